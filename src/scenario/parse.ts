/** Validates and normalizes scenario data (already parsed from YAML/JSON). Pure. */
import { ConfigError } from '../errors.js';
import { toIssues } from './issues.js';
import { scenarioSchema, type Scenario } from './schema.js';

/**
 * `input` is the scenario as data; `source` names it in the error (a file path, "overrides").
 * Throws one ConfigError carrying every problem found.
 */
export function parseScenario(input: unknown, source?: string): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = toIssues(result.error.issues, input);
  const n = issues.length;
  throw new ConfigError(`invalid scenario${source ? ` ${source}` : ''}: ${n} problem${n === 1 ? '' : 's'}`, issues);
}
