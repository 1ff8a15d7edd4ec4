/**
 * Durations and rates as users write them. The string forms are validated by these patterns
 * (shared with the JSON Schema, so editors flag the same mistakes) and converted here.
 */

/** "500ms", "10s", "2m", "1h", decimals allowed ("1.5s"). */
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)$/;
/** "20/s", "1200/min", "0.5/s". */
export const RATE_PATTERN = /^(\d+(?:\.\d+)?|\.\d+)\/(s|min)$/;

const MS_PER: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, rounded to a whole ms (at least 1): a bare number means seconds. */
export function durationToMs(value: number | string): number {
  let ms: number;
  if (typeof value === 'number') ms = value * 1000;
  else {
    const m = DURATION_PATTERN.exec(value);
    if (!m) throw new RangeError(`not a duration: ${value}`);
    ms = Number(m[1]) * MS_PER[m[2]!]!;
  }
  return Math.max(1, Math.round(ms));
}

/** Requests per second: a bare number already is. */
export function rateToPerSecond(value: number | string): number {
  if (typeof value === 'number') return value;
  const m = RATE_PATTERN.exec(value);
  if (!m) throw new RangeError(`not a rate: ${value}`);
  return m[2] === 'min' ? Number(m[1]) / 60 : Number(m[1]);
}

/** The input form of a normalized duration; exact, so parsing it back gives the same ms. */
export function formatDurationMs(ms: number): string {
  return `${ms}ms`;
}
