/**
 * Scaled-integer continuous-refill arithmetic (scale-anchors §1.4), identical in JS (memory
 * store) and Lua (Redis store): for a limit of `cap` per period P µs, g = gcd(cap, P),
 * P' = P/g, c' = cap/g. The level is stored as tokens × P': refill adds elapsed_µs × c', a cost
 * of k subtracts k × P', full is cap × P' — or capacity × P' when the bucket's size differs
 * from its refill (burst ≠ refill: refill stays c' per µs, only the cap moves). All values are integers below 2^53, so JS doubles
 * and Lua 5.1 doubles compute bit-identical results.
 */
import { ConfigError } from '../../src/errors.js';

export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export interface DimParams {
  /** Refill per period. */
  cap: number;
  /** Bucket size (= cap unless burst ≠ refill). */
  size: number;
  /** P': µs per token. */
  pp: number;
  /** c': tokens×P' added per µs. */
  cp: number;
  full: number;
}

export function dimParams(limit: number, windowMs: number, capacity: number = limit): DimParams {
  const P = Math.round(windowMs * 1000);
  if (!Number.isSafeInteger(limit) || limit < 1 || !Number.isSafeInteger(P) || P < 1) {
    throw new ConfigError('limit not representable in the shared limiter store', [{ path: 'limit', expected: 'an integer limit ≥ 1 over a whole number of µs', found: `${limit} per ${windowMs} ms` }]);
  }
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new ConfigError('capacity not representable in the shared limiter store', [{ path: 'capacity', expected: 'an integer capacity ≥ 1', found: String(capacity) }]);
  }
  const g = gcd(limit, P);
  const pp = P / g;
  const cp = limit / g;
  const full = capacity * pp;
  if (!(full < 2 ** 53)) throw new ConfigError('limit too large for exact shared arithmetic', [{ path: 'limit', expected: 'capacity × P′ < 2^53', found: `${capacity} of ${limit} per ${windowMs} ms` }]);
  return { cap: limit, size: capacity, pp, cp, full };
}

/** µs until full from `level`. */
export function toFull(p: DimParams, level: number): number {
  return level >= p.full ? 0 : Math.ceil((p.full - level) / p.cp);
}

/**
 * Level at `now` from a stored (level, at, pp) — absent: full at `now`; a stored level scaled with
 * another P' (the limit changed) is rescaled; elapsed is clamped at 0 and at the time to full;
 * the time never moves backwards.
 */
export function refill(p: DimParams, L: number | undefined, t: number | undefined, storedPp: number | undefined, now: number): { L: number; t: number } {
  if (L === undefined || t === undefined) return { L: p.full, t: now };
  if (storedPp !== undefined && storedPp !== p.pp) L = Math.floor((L / storedPp) * p.pp);
  let el = now - t;
  if (el < 0) el = 0;
  if (L < p.full) {
    const ttf = Math.ceil((p.full - L) / p.cp);
    if (el > ttf) el = ttf;
    L = L + el * p.cp;
    if (L > p.full) L = p.full;
  } else if (L > p.full) L = p.full;
  return { L, t: t > now ? t : now };
}
