/**
 * DashScope's burst guard ("Request rate increased too quickly", `limit_burst_rate`): a
 * request is refused when the count in the current short window would exceed
 * max(minRequests, factor × trailing rate), even below RPM/TPM. The trailing rate is an
 * exponential average of past windows' counts (weight 1/trailingWindows per window, empty
 * windows count as 0). The real thresholds are unpublished (reference §10); these are settings.
 *
 * Pure over BucketState: level = count in the window starting at `at`, prev = trailing rate.
 */
import type { BucketState } from './bucket.js';

export interface BurstSpec {
  /** How many times the trailing rate the current window may reach. */
  factor: number;
  /** The short window, ms. Default 1000. */
  windowMs: number;
  /** Never refuse below this many requests in a window. Default 5. */
  minRequests: number;
  /** Windows the trailing average spans. Default 10. */
  trailingWindows: number;
}

export const DEFAULT_BURST: Omit<BurstSpec, 'factor'> = { windowMs: 1000, minRequests: 5, trailingWindows: 10 };

/** (count in the current window, trailing rate) at `now`. */
export function burstParts(b: BurstSpec, s: BucketState | undefined, now: number): { count: number; trailing: number; start: number } {
  const start = Math.floor(now / b.windowMs) * b.windowMs;
  if (!s) return { count: 0, trailing: 0, start };
  if (s.at === start) return { count: s.level, trailing: s.prev ?? 0, start };
  const a = 1 / b.trailingWindows;
  let tr = (s.prev ?? 0) * (1 - a) + s.level * a; // the window that ended
  const empty = Math.round((start - s.at) / b.windowMs) - 1;
  if (empty > 0) tr *= Math.pow(1 - a, empty);
  return { count: 0, trailing: tr, start };
}

export function burstCeiling(b: BurstSpec, trailing: number): number {
  return Math.max(b.minRequests, b.factor * trailing);
}

/** (state, now) → (state, ok). A refused request does not count. */
export function burstTake(b: BurstSpec, s: BucketState | undefined, now: number): { ok: boolean; state: BucketState; waitMs: number } {
  const p = burstParts(b, s, now);
  const ok = p.count + 1 <= burstCeiling(b, p.trailing) + 1e-9;
  const state = { level: ok ? p.count + 1 : p.count, at: p.start, prev: p.trailing };
  return { ok, state, waitMs: ok ? 0 : p.start + b.windowMs - now };
}
