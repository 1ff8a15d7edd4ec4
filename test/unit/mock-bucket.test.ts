import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  check,
  credit,
  debit,
  levelAt,
  MemoryBucketStore,
  perMinute,
  take,
  viewOf,
  type BucketState,
} from '../../mock-server/core/bucket.js';

describe('token bucket arithmetic', () => {
  const spec = perMinute(30000);

  it('starts full and refills at L/60000 per ms, capped at L', () => {
    expect(levelAt(spec, undefined, 123)).toBe(30000);
    const s: BucketState = { level: 0, at: 1000 };
    expect(levelAt(spec, s, 1000)).toBe(0);
    expect(levelAt(spec, s, 2000)).toBe(500); // 30000/60 per second
    expect(levelAt(spec, s, 61_000)).toBe(30000);
    expect(levelAt(spec, s, 1_000_000)).toBe(30000);
  });

  it('views: remaining is floored, reset = (L − remaining) × 60000 / L', () => {
    expect(viewOf(spec, 30000)).toEqual({ limit: 30000, remaining: 30000, resetMs: 0 });
    expect(viewOf(spec, 29996)).toEqual({ limit: 30000, remaining: 29996, resetMs: 8 });
    expect(viewOf(spec, 12.7).remaining).toBe(12);
    expect(viewOf(spec, -1).remaining).toBe(0);
    // §6 header sets
    expect(viewOf(perMinute(5000), 4999).resetMs).toBe(12);
    expect(viewOf(perMinute(160000), 159976).resetMs).toBe(9);
  });

  it('rejects what does not fit with the wait (used + requested − L) × 60000 / L', () => {
    const s = debit(spec, undefined, 0, 29937); // Used 29937
    const d = check(spec, s, 0, 385);
    expect(d).toEqual({ ok: false, level: 63, used: 29937, waitMs: 644, never: false });
    // after exactly the wait, the same request fits
    expect(check(spec, s, 644, 385).ok).toBe(true);
    expect(check(spec, s, 643, 385).ok).toBe(false);
  });

  it('flags requests larger than the whole bucket as never fitting', () => {
    const d = check(spec, undefined, 0, 30001);
    expect(d.ok).toBe(false);
    expect(!d.ok && d.never).toBe(true);
  });

  it('take does not debit on rejection; credit caps at L', () => {
    const r = take(spec, { level: 10, at: 0 }, 0, 11);
    expect(r.decision.ok).toBe(false);
    expect(r.state).toEqual({ level: 10, at: 0 });
    const ok = take(spec, { level: 10, at: 0 }, 0, 10);
    expect(ok.state).toEqual({ level: 0, at: 0 });
    expect(credit(spec, { level: 29990, at: 0 }, 0, 100)).toEqual({ level: 30000, at: 0 });
  });

  it('never admits more than L + L × t / 60000 over any span t (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 5000 })), { minLength: 1, maxLength: 200 }),
        (L, steps) => {
          const sp = perMinute(L);
          let s: BucketState | undefined;
          let t = 0;
          let admitted = 0;
          for (const [dt, cost] of steps) {
            t += dt;
            const r = take(sp, s, t, cost);
            if (r.decision.ok) admitted += cost;
            s = r.state;
            const lvl = levelAt(sp, s, t);
            expect(lvl).toBeGreaterThanOrEqual(0);
            expect(lvl).toBeLessThanOrEqual(L);
          }
          expect(admitted).toBeLessThanOrEqual(L + (L * t) / 60000 + 1e-6);
        },
      ),
    );
  });

  it('a rejected request would fit after its stated wait (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (L, fill, req) => {
        const sp = perMinute(L);
        const s: BucketState = { level: L * fill, at: 0 };
        const cost = Math.max(1, Math.floor(L * req));
        const d = check(sp, s, 0, cost);
        if (!d.ok) expect(check(sp, s, d.waitMs, cost).ok).toBe(true);
      }),
    );
  });
});

describe('MemoryBucketStore', () => {
  it('transacts over several keys and writes back only what changed', () => {
    const store = new MemoryBucketStore();
    const r = store.transact(['a', 'b'], (states) => {
      expect(states).toEqual([undefined, undefined]);
      return { states: [{ level: 1, at: 0 }, undefined], result: 42 };
    });
    expect(r).toBe(42);
    expect(store.get('a')).toEqual({ level: 1, at: 0 });
    expect(store.get('b')).toBeUndefined();
    store.clear();
    expect(store.get('a')).toBeUndefined();
  });
});
