/**
 * Configuration and usage errors. Failures of the *target* are never thrown: they are
 * outcomes recorded as data. Everything thrown from here has a stable `code` so scripts
 * and the CLI can map it (the CLI maps config errors to exit 2).
 */
export class LimitprobeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** One problem found in user input: where, what was expected, what was found. */
export interface Issue {
  path: string;
  expected: string;
  found: string;
  message?: string;
}

/** The scenario or arguments are invalid; nothing was sent. Carries every issue found at once. */
export class ConfigError extends LimitprobeError {
  constructor(
    message: string,
    readonly issues: Issue[] = [],
  ) {
    super('E_CONFIG', issues.length ? `${message}\n${formatIssues(issues)}` : message, issues);
  }
}

/** A secret referenced by name (apiKeyEnv) is not set in the environment. */
export class MissingSecretError extends LimitprobeError {
  constructor(readonly variable: string, readonly field: string) {
    super('E_SECRET', `${field}: expected environment variable ${variable} to be set, found it unset`);
  }
}

/** The target cannot be reached at all (before any load): wrong URL, refused, DNS. */
export class TargetUnreachableError extends LimitprobeError {
  constructor(readonly url: string, cause: string) {
    super('E_TARGET', `target ${url} is unreachable: ${cause}`);
  }
}

export function formatIssues(issues: Issue[]): string {
  return issues
    .map((i) => `  - ${i.path || '(root)'}: expected ${i.expected}, found ${i.found}${i.message ? ` (${i.message})` : ''}`)
    .join('\n');
}

export function isConfigError(e: unknown): e is LimitprobeError {
  return e instanceof LimitprobeError && (e.code === 'E_CONFIG' || e.code === 'E_SECRET');
}
