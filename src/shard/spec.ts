/**
 * Shard specs and striping (k6 execution segments, scale-anchors.md §2.2).
 *
 * A run split into N equal shards is the sequence 0, 1/N, …, 1; shard i owns the global
 * arrival indices k with k mod N = i (for equal segments k6's striping reduces to round
 * robin). `stripeOwners` is the general striping for integer weights, ported from k6's
 * `NewExecutionSegmentSequenceWrapper`, and `scaleInt` its ScaleInt64: a shard's share of an
 * integer quantity (workers, a request cap), shares summing to the whole and never decreasing.
 */
import { ConfigError } from '../errors.js';

export interface ShardSpec {
  /** 0-based shard index. */
  index: number;
  /** Number of shards. */
  count: number;
}

/** The whole run as one shard. */
export const WHOLE: ShardSpec = { index: 0, count: 1 };

/** Parse `i/N` (0 ≤ i < N, integers). */
export function parseShardSpec(text: string, path = '--shard'): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const bad = (why: string) =>
    new ConfigError(`${path}: ${why}`, [{ path, expected: 'i/N with integers 0 ≤ i < N, e.g. 0/3 (the first of three shards)', found: JSON.stringify(text) }]);
  if (!m) throw bad('not of the form i/N');
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1) throw bad('N must be a positive integer');
  if (index >= count) throw bad(`the index must be below N (shards are numbered 0…${count - 1})`);
  return { index, count };
}

export const formatShard = (s: ShardSpec): string => `${s.index}/${s.count}`;

/** Whether shard `s` owns global index k (equal segments: round robin). */
export const owns = (s: ShardSpec, k: number): boolean => k % s.count === s.index;

/**
 * Striping for segments with integer weights (k6: lengths a_j/L, L = Σ a_j). Returns, for
 * one period of L global indices, the segment that owns each; index k belongs to
 * owners[k mod L]. Segments are walked largest weight first (stable); segment s takes
 * element i once i ≥ c_s·L/a_s (c_s = elements it already took).
 */
export function stripeOwners(weights: readonly number[]): number[] {
  if (weights.length === 0 || weights.some((w) => !Number.isSafeInteger(w) || w < 0) || !weights.some((w) => w > 0)) {
    throw new ConfigError('shard weights: expected non-negative integers, at least one positive', [
      { path: 'shard weights', expected: 'non-negative integers, not all zero', found: JSON.stringify(weights) },
    ]);
  }
  // Reduce by the gcd so L is the least common denominator of the lengths.
  const g = weights.reduce((a, b) => gcd(a, b));
  const a = weights.map((w) => w / g);
  const L = a.reduce((x, y) => x + y, 0);
  const order = a.map((w, j) => ({ w, j })).filter((x) => x.w > 0).sort((x, y) => y.w - x.w || x.j - y.j);
  const taken = new Map<number, number>(order.map(({ j }) => [j, 0]));
  const owners: number[] = [];
  for (let i = 0; i < L; i++) {
    for (const { w, j } of order) {
      const c = taken.get(j)!;
      // i ≥ c·L/w, in integers: i·w ≥ c·L.
      if (c < w && i * w >= c * L) {
        owners.push(j);
        taken.set(j, c + 1);
        break;
      }
    }
  }
  return owners;
}

/** Segment j's share of v under striping (k6 ScaleInt64): Σ over segments = v; monotone in v. */
export function scaleInt(owners: readonly number[], j: number, v: number): number {
  const L = owners.length;
  const perPeriod = owners.reduce((n, o) => n + (o === j ? 1 : 0), 0);
  const rem = v % L;
  let below = 0;
  for (let i = 0; i < rem; i++) if (owners[i] === j) below++;
  return Math.floor(v / L) * perPeriod + below;
}

/** Shard s's share of v for equal shards: ⌊(v + N − 1 − i)/N⌋. */
export const shareOf = (s: ShardSpec, v: number): number => Math.floor((v + s.count - 1 - s.index) / s.count);

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
