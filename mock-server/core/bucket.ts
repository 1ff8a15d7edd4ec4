/**
 * Continuous-refill token bucket, the limiter OpenAI's and Groq's numbers match exactly
 * (reference §6): capacity L (the per-minute limit), refilled at L/60000 per ms, capped at L.
 *
 * - remaining  = the bucket's content (reported floored to an integer)
 * - reset      = (L − remaining) × 60000 / L ms   (time until full again)
 * - wait on a rejection of `requested`: (used + requested − L) × 60000 / L ms, used = L − ⌊remaining⌋
 *
 * Optionally the capacity C differs from the refill L per window (burst ≠ refill, `capacity`):
 * the content is capped at C, a fresh bucket holds C, and the same formulas hold with C where
 * they mean "full" and L where they mean "rate": reset = (C − remaining) × window / L, used =
 * C − ⌊remaining⌋, wait = (used + requested − C) × window / L, never = requested > C. The view's
 * `limit` stays L (what providers name in x-ratelimit-limit-*: the per-minute quota). With C = L
 * every formula is the reference's.
 *
 * The arithmetic is pure, (state, now, cost) → (state, decision), so the same functions run
 * over any `BucketStore`: in memory here, atomically in a shared store (e.g. Redis with a
 * compare-and-set or a script) when several mock instances must enforce one org-wide limit.
 */

/** What is stored per bucket: its content at an instant. Absent state means "full". */
export interface BucketState {
  level: number;
  at: number;
  /** Sliding window: the previous window's count; burst guard: the trailing rate. */
  prev?: number;
}

export interface BucketSpec {
  /** Refill per window L (the per-minute limit); also the capacity unless `capacity` is set. */
  limit: number;
  /** Bucket size C when it differs from L (burst ≠ refill). 'bucket' algorithm only. */
  capacity?: number;
  /** Refill period: the bucket goes from empty to full in this many ms (60000 for per-minute limits). */
  windowMs: number;
  /** How the limit is enforced (core/limiter.ts). Default 'bucket' (continuous refill). */
  algorithm?: 'bucket' | 'fixed' | 'sliding' | 'counter';
}

/** Header/state view of a bucket at an instant. */
export interface BucketView {
  /** The refill per window (the per-minute limit L). */
  limit: number;
  /** The bucket size, only when it differs from `limit`. */
  capacity?: number;
  /** ⌊content⌋, never negative. */
  remaining: number;
  /** ms until full, from the exact (unfloored) content. */
  resetMs: number;
}

export type TakeDecision =
  | { ok: true; level: number }
  | {
      ok: false;
      level: number;
      /** C − ⌊level⌋ (C = capacity, L by default): what the 429 message calls "Used". */
      used: number;
      /** (used + cost − C) × window / L ms: "Please try again in". */
      waitMs: number;
      /** The request can never fit (cost > C). */
      never: boolean;
    };

export function perMinute(limit: number): BucketSpec {
  return { limit, windowMs: 60_000 };
}

/** The bucket size: `capacity` when set, else the limit. */
export function capacityOf(spec: BucketSpec): number {
  return spec.capacity ?? spec.limit;
}

/** The content at `now` (refilled since `state.at` at L per window, capped at C). */
export function levelAt(spec: BucketSpec, state: BucketState | undefined, now: number): number {
  const cap = spec.capacity ?? spec.limit;
  if (state === undefined) return cap;
  const dt = now - state.at;
  // Capped even without refill: a limit lowered at run time caps what is left.
  if (dt <= 0) return state.level < cap ? state.level : cap;
  const lvl = state.level + (dt * spec.limit) / spec.windowMs;
  return lvl >= cap ? cap : lvl;
}

export function viewOf(spec: BucketSpec, level: number): BucketView {
  const remaining = level <= 0 ? 0 : Math.floor(level + 1e-9);
  const cap = spec.capacity ?? spec.limit;
  const missing = cap - level;
  const v: BucketView = { limit: spec.limit, remaining, resetMs: missing <= 0 ? 0 : (missing * spec.windowMs) / spec.limit };
  if (spec.capacity !== undefined && spec.capacity !== spec.limit) v.capacity = spec.capacity;
  return v;
}

/**
 * Decides whether `cost` fits at `now` without changing anything; `commit` applies it.
 * Split in two so several buckets can all be checked before any is debited.
 */
export function check(spec: BucketSpec, state: BucketState | undefined, now: number, cost: number): TakeDecision {
  const level = levelAt(spec, state, now);
  if (cost <= level + 1e-9) return { ok: true, level };
  const cap = spec.capacity ?? spec.limit;
  const used = cap - Math.max(0, Math.floor(level + 1e-9));
  const waitMs = Math.max(0, ((used + cost - cap) * spec.windowMs) / spec.limit);
  return { ok: false, level, used, waitMs, never: cost > cap };
}

/** New state after removing `cost` at `now` (level may not go below 0). */
export function debit(spec: BucketSpec, state: BucketState | undefined, now: number, cost: number): BucketState {
  const level = levelAt(spec, state, now) - cost;
  return { level: level > 0 ? level : 0, at: now };
}

/** New state after returning `amount` at `now` (capped at C): refunds of unused reservations. */
export function credit(spec: BucketSpec, state: BucketState | undefined, now: number, amount: number): BucketState {
  const level = levelAt(spec, state, now) + amount;
  const cap = spec.capacity ?? spec.limit;
  return { level: level < cap ? level : cap, at: now };
}

/** One-bucket convenience: (state, now, cost) → (state, decision). */
export function take(
  spec: BucketSpec,
  state: BucketState | undefined,
  now: number,
  cost: number,
): { state: BucketState | undefined; decision: TakeDecision } {
  const decision = check(spec, state, now, cost);
  return { state: decision.ok ? debit(spec, state, now, cost) : state, decision };
}

/**
 * Where bucket states live. `transact` reads the states of `keys`, runs `fn` on them and writes
 * back what it returns, atomically with respect to other transactions on those keys. `fn` must
 * be pure (a shared store may re-run it on contention). The memory store is synchronous; a
 * networked store would offer the same contract behind a promise.
 */
export interface BucketStore {
  transact<R>(
    keys: readonly string[],
    fn: (states: readonly (BucketState | undefined)[]) => { states: readonly (BucketState | undefined)[]; result: R },
  ): R;
  get(key: string): BucketState | undefined;
  clear(): void;
}

export class MemoryBucketStore implements BucketStore {
  private readonly map = new Map<string, BucketState>();

  transact<R>(
    keys: readonly string[],
    fn: (states: readonly (BucketState | undefined)[]) => { states: readonly (BucketState | undefined)[]; result: R },
  ): R {
    const before = keys.map((k) => this.map.get(k));
    const { states, result } = fn(before);
    for (let i = 0; i < keys.length; i++) {
      const s = states[i];
      if (s === undefined) this.map.delete(keys[i]!);
      else if (s !== before[i]) this.map.set(keys[i]!, s);
    }
    return result;
  }

  get(key: string): BucketState | undefined {
    return this.map.get(key);
  }

  clear(): void {
    this.map.clear();
  }
}
