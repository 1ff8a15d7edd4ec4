/**
 * Every default of a scenario, in one place. The schema applies them; the JSON Schema shows
 * them to editors; `toInput` leaves out the ones that would otherwise go stale (output dir).
 */
export const DIALECTS = ['openai', 'azure', 'dashscope', 'anthropic', 'groq'] as const;
export type Dialect = (typeof DIALECTS)[number];

export const DEFAULTS = {
  seed: 1,
  mockProfile: 'qwen2',
  dialect: 'openai' as Dialect,
  stream: false,
  timeoutMs: 60_000,
  maxInFlight: 512,
  /** A closed-loop phase bounded by `requests` alone ends when they are done, or after this long (as k6's maxDuration). */
  requestsOnlyMaxDurationMs: 600_000,
} as const;

/** `phase-1`, `phase-2`, … for phases without a name (index is 0-based). */
export function defaultPhaseName(index: number): string {
  return `phase-${index + 1}`;
}

export function defaultOutputDir(name: string): string {
  return `reports/${name}`;
}
