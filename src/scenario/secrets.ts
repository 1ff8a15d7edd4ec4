/**
 * Secrets are referenced by env var name in scenarios and resolved only here, at run time,
 * so they never sit in the Scenario, its reports or its error messages.
 */
import { MissingSecretError } from '../errors.js';
import type { Scenario } from './schema.js';

export interface ResolvedSecrets {
  /** Absent: send no auth header. */
  apiKey?: string;
}

export function resolveSecrets(scenario: Scenario, env: Readonly<Record<string, string | undefined>> = process.env): ResolvedSecrets {
  const t = scenario.target;
  if (t.kind !== 'http' || t.apiKeyEnv === undefined) return {};
  const value = env[t.apiKeyEnv];
  // An empty or blank variable is as good as unset: it would only earn 401s.
  if (value === undefined || value.trim() === '') throw new MissingSecretError(t.apiKeyEnv, 'target.apiKeyEnv');
  return { apiKey: value };
}
