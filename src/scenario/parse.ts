/** Validates and normalizes scenario data (already parsed from YAML/JSON). Pure. */
import { ConfigError } from '../errors.js';
import { toIssues } from './issues.js';
import { formatPath } from './paths.js';
import { phaseLoadProblems, scenarioSchema, type Scenario } from './schema.js';
import { EXPECTED_PREFIX } from './schema-kit.js';

/**
 * `input` is the scenario as data; `source` names it in the error (a file path, "overrides").
 * Throws one ConfigError carrying every problem found.
 */
export function parseScenario(input: unknown, source?: string): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = toIssues(result.error.issues, input);
  // zod skips cross-field checks after some failures; this one is worth reporting with the rest.
  for (const p of phaseLoadProblems(input)) {
    const path = formatPath(p.path);
    if (!issues.some((i) => i.path === path)) issues.push({ path, expected: p.message.slice(EXPECTED_PREFIX.length), found: p.found });
  }
  const n = issues.length;
  throw new ConfigError(`invalid scenario${source ? ` ${source}` : ''}: ${n} problem${n === 1 ? '' : 's'}`, issues);
}
