/**
 * The search for the largest value that keeps every SLO, over [from, to]. Pure apart from
 * `evaluate`, which runs one point; points are tried one at a time, in a fixed order, so a
 * plan is as deterministic as the runs it is made of.
 *
 * - grid: `steps` evenly spaced values (integers for integer parameters), every one tried.
 * - bisect: from and to, then halving the bracket [largest pass, smallest fail] until it is
 *   narrower than the resolution. Valid when passing is monotonic in the value (more load
 *   never helps): true of rate, tokens/min, clients and prompt size against fixed limits.
 * - auto (default): the grid first; if its verdicts are monotonic (passes, then failures),
 *   bisect inside the bracket where they change; if not, say so and refine the bracket above
 *   the largest passing grid value (a local answer: the response is not monotonic).
 */
export type SearchMode = 'auto' | 'bisect' | 'grid';

export interface SearchOptions {
  from: number;
  to: number;
  mode?: SearchMode;
  /** Grid points (auto and grid). Default 5 (auto), 9 (grid). */
  steps?: number;
  /** Integer parameter: values are rounded and the bracket stops at width 1. */
  integer?: boolean;
  /** Stop bisecting when hi − lo ≤ max(absolute, relative × lo). Defaults: 1 for integers else 0; 0.002. */
  absolute?: number;
  relative?: number;
  /** Safety cap on points tried. Default 60. */
  maxPoints?: number;
}

export interface Tried<R> {
  value: number;
  pass: boolean;
  result: R;
  /** How the point was chosen. */
  stage: 'grid' | 'bisect' | 'bound';
}

export interface SearchResult<R> {
  /** Largest passing value found; undefined when even `from` fails. */
  answer?: number;
  /** Smallest failing value above the answer; undefined when `to` passes. */
  firstFail?: number;
  /** False when the grid's verdicts were not monotonic (the answer is then local). */
  monotonic: boolean;
  /** Every point, in the order tried. */
  tried: Tried<R>[];
}

export async function searchLargestPassing<R>(opts: SearchOptions, evaluate: (value: number, stage: Tried<R>['stage']) => Promise<{ pass: boolean; result: R }>): Promise<SearchResult<R>> {
  const { from, to } = opts;
  if (!(Number.isFinite(from) && Number.isFinite(to) && to > from)) throw new RangeError(`expected finite from < to, got ${from} … ${to}`);
  const mode = opts.mode ?? 'auto';
  const integer = opts.integer ?? false;
  const absolute = opts.absolute ?? (integer ? 1 : 0);
  const relative = opts.relative ?? 0.002;
  const maxPoints = opts.maxPoints ?? 60;
  const round = (v: number) => (integer ? Math.round(v) : v);
  const tried: Tried<R>[] = [];
  const cache = new Map<number, boolean>();

  const at = async (value: number, stage: Tried<R>['stage']): Promise<boolean> => {
    const v = round(value);
    const known = cache.get(v);
    if (known !== undefined) return known;
    if (tried.length >= maxPoints) throw new RangeError(`capacity search tried ${maxPoints} points without converging`);
    const { pass, result } = await evaluate(v, stage);
    cache.set(v, pass);
    tried.push({ value: v, pass, result, stage });
    return pass;
  };

  const bisect = async (lo: number, hi: number): Promise<[number, number]> => {
    // Invariant: lo passes, hi fails.
    for (;;) {
      const width = hi - lo;
      if (width <= Math.max(absolute, relative * Math.abs(lo))) return [lo, hi];
      const mid = round(lo + width / 2);
      if (mid <= lo || mid >= hi) return [lo, hi];
      if (await at(mid, 'bisect')) lo = mid;
      else hi = mid;
    }
  };

  if (mode === 'bisect') {
    if (!(await at(from, 'bound'))) return { firstFail: round(from), monotonic: true, tried };
    if (await at(to, 'bound')) return { answer: round(to), monotonic: true, tried };
    const [lo, hi] = await bisect(round(from), round(to));
    return { answer: lo, firstFail: hi, monotonic: true, tried };
  }

  const steps = Math.max(2, opts.steps ?? (mode === 'grid' ? 9 : 5));
  const grid = [...new Set(Array.from({ length: steps }, (_, i) => round(from + ((to - from) * i) / (steps - 1))))];
  const verdicts: boolean[] = [];
  for (const v of grid) verdicts.push(await at(v, 'grid'));
  const firstFailIdx = verdicts.indexOf(false);
  const monotonic = firstFailIdx === -1 || verdicts.slice(firstFailIdx).every((p) => !p);
  const lastPassIdx = verdicts.lastIndexOf(true);
  if (lastPassIdx === -1) return { firstFail: grid[0], monotonic, tried };
  if (lastPassIdx === grid.length - 1) return { answer: grid[lastPassIdx], monotonic, tried };
  if (mode === 'grid') return { answer: grid[lastPassIdx], firstFail: grid[lastPassIdx + 1], monotonic, tried };
  const [lo, hi] = await bisect(grid[lastPassIdx]!, grid[lastPassIdx + 1]!);
  return { answer: lo, firstFail: hi, monotonic, tried };
}
