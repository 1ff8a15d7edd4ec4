/**
 * Go `time.Duration` strings, as OpenAI and Groq send them in `x-ratelimit-reset-*` and in
 * "Please try again in {d}": `12ms`, `1s`, `6.596s`, `6m0s`, `2m59.56s`, `1h0m0s`, `0s`.
 *
 * OpenAI's values are whole milliseconds, so `formatGoDuration` rounds to the nearest ms first
 * (half up) and never prints `µs`/`ns`. `parseGoDuration` accepts everything Go's
 * `time.ParseDuration` accepts (`1m30s`, `1.5h`, `500us`, `500µs`, `10ns`, `-2s`, `0`).
 */

/** Formats a duration in ms the way Go's `Duration.String()` does, rounded to whole ms. */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`duration must be finite, got ${ms}`);
  let total = Math.round(Math.abs(ms));
  const sign = ms < 0 && total > 0 ? '-' : '';
  if (total === 0) return '0s';
  if (total < 1000) return `${sign}${total}ms`;
  const h = Math.floor(total / 3_600_000);
  total -= h * 3_600_000;
  const m = Math.floor(total / 60_000);
  total -= m * 60_000;
  const s = Math.floor(total / 1000);
  const frac = total - s * 1000;
  let secs = String(s);
  if (frac > 0) secs += '.' + String(frac).padStart(3, '0').replace(/0+$/, '');
  let out = sign;
  if (h > 0) out += `${h}h${m}m`;
  else if (m > 0) out += `${m}m`;
  return `${out}${secs}s`;
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign
  'μs': 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

// One "<number><unit>" component; compiled once.
const COMPONENT = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a Go duration string to milliseconds (may be fractional, e.g. `500us` → 0.5).
 * Returns undefined for anything Go would reject (empty, missing unit, unknown unit).
 */
export function parseGoDuration(input: string): number | undefined {
  if (typeof input !== 'string') return undefined;
  let s = input.trim();
  if (s === '') return undefined;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let pos = 0;
  let total = 0;
  while (pos < s.length) {
    COMPONENT.lastIndex = pos;
    const m = COMPONENT.exec(s);
    if (!m) return undefined;
    total += parseFloat(m[1]!) * UNIT_MS[m[2]!]!;
    pos = COMPONENT.lastIndex;
  }
  // Float sums such as 2m59.56s = 179560.00000000003: snap to the nearest nanosecond.
  return sign * (Math.round(total * 1e6) / 1e6);
}
