/**
 * The scenario as written to `scenario.resolved.json`. Keys are only ever referenced by env
 * var name, but users can still put credentials in extra headers or the base URL: those are
 * replaced, so a report can be shared as is.
 */
import type { Scenario } from './schema.js';
import { REDACTED, isSensitiveHeader, redactUrl } from './sensitive.js';

/** A JSON-safe copy of the scenario with secret-looking header values and URL parts redacted. */
export function resolvedForReport(scenario: Scenario): Scenario {
  const copy = structuredClone(scenario);
  const t = copy.target;
  if (t.kind === 'http') {
    t.baseUrl = redactUrl(t.baseUrl);
    for (const name of Object.keys(t.headers)) if (isSensitiveHeader(name)) t.headers[name] = REDACTED;
  }
  return copy;
}
