/**
 * Secrets are referenced by env var name in scenarios and resolved only here, at run time,
 * so they never sit in the Scenario, its reports or its error messages.
 */
import { MissingSecretError } from '../errors.js';
import type { Scenario } from './schema.js';

export interface ResolvedSecrets {
  /** Absent: send no auth header. */
  apiKey?: string;
  /** Keys of groups with their own apiKeyEnv, by group name (other groups use apiKey). */
  groupApiKeys?: Record<string, string>;
}

export function resolveSecrets(scenario: Scenario, env: Readonly<Record<string, string | undefined>> = process.env): ResolvedSecrets {
  const t = scenario.target;
  if (t.kind !== 'http') return {};
  const read = (variable: string, field: string) => {
    const value = env[variable];
    // An empty or blank variable is as good as unset: it would only earn 401s.
    if (value === undefined || value.trim() === '') throw new MissingSecretError(variable, field);
    return value;
  };
  const out: ResolvedSecrets = {};
  if (t.apiKeyEnv !== undefined) out.apiKey = read(t.apiKeyEnv, 'target.apiKeyEnv');
  scenario.groups?.forEach((g, i) => {
    if (g.apiKeyEnv !== undefined) (out.groupApiKeys ??= {})[g.name] = read(g.apiKeyEnv, `groups[${i}].apiKeyEnv`);
  });
  return out;
}
