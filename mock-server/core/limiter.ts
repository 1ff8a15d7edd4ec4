/**
 * The limit algorithms, all pure (spec, state, now, cost) → (state, decision) over the same
 * BucketState record, so one BucketStore (memory now, a shared atomic store later) holds them all:
 *
 * - 'bucket'  continuous refill (bucket.ts): capacity L, refill L/window; OpenAI/Groq/Anthropic.
 * - 'fixed'   fixed window aligned to multiples of `windowMs` on the mock's clock: `level` is the
 *             count used in the window starting at `at`; it resets to 0 when the window ends
 *             (Azure's TPM "resets each minute").
 * - 'sliding' sliding-window counter: used = prev × (1 − elapsed/window) + current; `level` is the
 *             current window's count, `prev` the previous window's.
 * - 'counter' no refill: `level` is what is in use (max concurrent requests); credit releases.
 *
 * Every algorithm answers the same questions: the view (limit, remaining, ms until fully
 * reset), whether `cost` fits now, and how long until it would.
 */
import { check as bucketCheck, credit as bucketCredit, debit as bucketDebit, levelAt, viewOf, type BucketSpec, type BucketState, type BucketView, type TakeDecision } from './bucket.js';

export type Algorithm = NonNullable<BucketSpec['algorithm']>;

const EPS = 1e-9;

function windowStart(spec: BucketSpec, now: number): number {
  return Math.floor(now / spec.windowMs) * spec.windowMs;
}

/** Fixed window: count used in the window containing `now`. */
function fixedUsed(spec: BucketSpec, s: BucketState | undefined, now: number): number {
  if (!s) return 0;
  return s.at === windowStart(spec, now) ? s.level : 0;
}

/** Sliding counter: (previous window's count, current window's count, window start) at `now`. */
function slidingParts(spec: BucketSpec, s: BucketState | undefined, now: number): { prev: number; cur: number; start: number } {
  const start = windowStart(spec, now);
  if (!s) return { prev: 0, cur: 0, start };
  if (s.at === start) return { prev: s.prev ?? 0, cur: s.level, start };
  if (s.at === start - spec.windowMs) return { prev: s.level, cur: 0, start };
  return { prev: 0, cur: 0, start };
}

function slidingUsed(spec: BucketSpec, p: { prev: number; cur: number; start: number }, now: number): number {
  const f = (now - p.start) / spec.windowMs;
  return p.prev * (1 - f) + p.cur;
}

/** Units used at `now` (L − content for a bucket). */
export function usedAt(spec: BucketSpec, s: BucketState | undefined, now: number): number {
  switch (spec.algorithm ?? 'bucket') {
    case 'bucket':
      return (spec.capacity ?? spec.limit) - levelAt(spec, s, now);
    case 'fixed':
      return fixedUsed(spec, s, now);
    case 'sliding':
      return slidingUsed(spec, slidingParts(spec, s, now), now);
    case 'counter':
      return s ? s.level : 0;
  }
}

export function viewAt(spec: BucketSpec, s: BucketState | undefined, now: number): BucketView {
  const alg = spec.algorithm ?? 'bucket';
  if (alg === 'bucket') return viewOf(spec, levelAt(spec, s, now));
  const used = usedAt(spec, s, now);
  const left = spec.limit - used;
  const remaining = left <= 0 ? 0 : Math.floor(left + EPS);
  let resetMs = 0;
  if (used > EPS) {
    if (alg === 'fixed') resetMs = windowStart(spec, now) + spec.windowMs - now;
    else if (alg === 'sliding') {
      const p = slidingParts(spec, s, now);
      resetMs = p.start + spec.windowMs - now + (p.cur > EPS ? spec.windowMs : 0);
    }
  }
  return { limit: spec.limit, remaining, resetMs };
}

/** Whether `cost` fits at `now`; when not, "Used" as a 429 shows it and the wait until it would fit. */
export function checkAt(spec: BucketSpec, s: BucketState | undefined, now: number, cost: number): TakeDecision {
  const alg = spec.algorithm ?? 'bucket';
  if (alg === 'bucket') return bucketCheck(spec, s, now, cost);
  const used = usedAt(spec, s, now);
  if (used + cost <= spec.limit + EPS) return { ok: true, level: spec.limit - used };
  const never = cost > spec.limit;
  const shownUsed = Math.min(spec.limit, Math.ceil(used - EPS));
  let waitMs = 0;
  if (alg === 'fixed') waitMs = windowStart(spec, now) + spec.windowMs - now;
  else if (alg === 'sliding') {
    const p = slidingParts(spec, s, now);
    const need = used + cost - spec.limit;
    const curLeft = p.prev * (1 - (now - p.start) / spec.windowMs);
    if (p.prev > 0 && need <= curLeft + EPS) waitMs = (need * spec.windowMs) / p.prev;
    else {
      // Next window: used = cur × (1 − f); fits when f ≥ 1 − (L − cost)/cur.
      const f = p.cur > 0 ? Math.max(0, 1 - (spec.limit - cost) / p.cur) : 0;
      waitMs = p.start + spec.windowMs - now + f * spec.windowMs;
    }
  }
  // 'counter': unknown (depends on when requests finish): 0, the dialect shows its minimum.
  return { ok: false, level: spec.limit - used, used: shownUsed, waitMs: Math.max(0, waitMs), never };
}

export function debitAt(spec: BucketSpec, s: BucketState | undefined, now: number, cost: number): BucketState {
  switch (spec.algorithm ?? 'bucket') {
    case 'bucket':
      return bucketDebit(spec, s, now, cost);
    case 'fixed':
      return { level: fixedUsed(spec, s, now) + cost, at: windowStart(spec, now) };
    case 'sliding': {
      const p = slidingParts(spec, s, now);
      return { level: p.cur + cost, at: p.start, prev: p.prev };
    }
    case 'counter':
      return { level: (s ? s.level : 0) + cost, at: now };
  }
}

export function creditAt(spec: BucketSpec, s: BucketState | undefined, now: number, amount: number): BucketState | undefined {
  switch (spec.algorithm ?? 'bucket') {
    case 'bucket':
      return bucketCredit(spec, s, now, amount);
    case 'fixed': {
      const used = fixedUsed(spec, s, now);
      return { level: Math.max(0, used - amount), at: windowStart(spec, now) };
    }
    case 'sliding': {
      const p = slidingParts(spec, s, now);
      return { level: Math.max(0, p.cur - amount), at: p.start, prev: p.prev };
    }
    case 'counter':
      return { level: Math.max(0, (s ? s.level : 0) - amount), at: now };
  }
}
