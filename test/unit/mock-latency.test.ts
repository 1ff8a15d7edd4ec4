import { describe, expect, it } from 'vitest';
import { RealClock, VirtualClock } from '../../src/clock.js';
import { completionMs, planTiming, tokenDueMs, tokensDueBy } from '../../mock-server/core/latency.js';
import { createScheduler } from '../../mock-server/core/scheduler.js';

describe('latency model', () => {
  it('without jitter: TTFT then 1000/TPS per token', () => {
    const t = planTiming({ ttftMs: 200, tokensPerSecond: 50, jitter: 0 }, 1, 0);
    expect(t).toEqual({ ttftMs: 200, interTokenMs: 20 });
    expect(tokenDueMs(t, 0)).toBe(200);
    expect(tokenDueMs(t, 3)).toBe(260);
    expect(completionMs(t, 200)).toBe(200 + 199 * 20); // ≈ TTFT + 4 s for 200 tokens at 50 tok/s
    expect(tokensDueBy(t, 199, 10)).toBe(0);
    expect(tokensDueBy(t, 200, 10)).toBe(1);
    expect(tokensDueBy(t, 239.9, 10)).toBe(2);
    expect(tokensDueBy(t, 240, 10)).toBe(3);
    expect(tokensDueBy(t, 1e9, 10)).toBe(10);
  });

  it('infinite or zero TPS emits everything at TTFT', () => {
    for (const tps of [0, Infinity]) {
      const t = planTiming({ ttftMs: 5, tokensPerSecond: tps, jitter: 0 }, 1, 0);
      expect(t.interTokenMs).toBe(0);
      expect(tokensDueBy(t, 5, 100)).toBe(100);
      expect(completionMs(t, 100)).toBe(5);
    }
  });

  it('prefill adds prompt time to TTFT', () => {
    expect(planTiming({ ttftMs: 100, tokensPerSecond: 10, jitter: 0, prefillTokensPerSecond: 1000 }, 0, 0, 500).ttftMs).toBe(600);
  });

  it('jitter is seeded per request and bounded', () => {
    const m = { ttftMs: 100, tokensPerSecond: 50, jitter: 0.2 };
    expect(planTiming(m, 3, 17)).toEqual(planTiming(m, 3, 17));
    expect(planTiming(m, 3, 17)).not.toEqual(planTiming(m, 3, 18));
    for (let i = 0; i < 500; i++) {
      const t = planTiming(m, 9, i);
      expect(t.ttftMs).toBeGreaterThanOrEqual(80);
      expect(t.ttftMs).toBeLessThanOrEqual(120);
      expect(1000 / t.interTokenMs).toBeGreaterThanOrEqual(40 - 1e-9);
      expect(1000 / t.interTokenMs).toBeLessThanOrEqual(60 + 1e-9);
    }
  });
});

describe('scheduler', () => {
  it('on a virtual clock, wakes exactly at the deadline', async () => {
    const clock = new VirtualClock(0);
    const s = createScheduler(clock);
    let woke = -1;
    const p = s.sleepUntil(50).then(() => (woke = clock.now()));
    clock.set(49);
    await Promise.resolve();
    expect(woke).toBe(-1);
    clock.set(50);
    await p;
    expect(woke).toBe(50);
  });

  it('on the real clock, one timer wakes many sleepers in deadline order', async () => {
    const clock = new RealClock();
    const s = createScheduler(clock);
    const t0 = clock.now();
    const order: number[] = [];
    const late: number[] = [];
    const ps = [30, 10, 20, 10, 40].map((d, i) =>
      s.sleepUntil(t0 + d).then(() => {
        order.push(i);
        late.push(clock.now() - (t0 + d));
      }),
    );
    expect(s.pending).toBe(5);
    await Promise.all(ps);
    expect(order).toEqual([1, 3, 2, 0, 4]);
    for (const l of late) expect(l).toBeGreaterThanOrEqual(0);
    expect(s.pending).toBe(0);
  });

  it('aborting a sleeper rejects it without disturbing the others', async () => {
    const clock = new RealClock();
    const s = createScheduler(clock);
    const ac = new AbortController();
    const t0 = clock.now();
    const a = s.sleepUntil(t0 + 15, ac.signal);
    const b = s.sleepUntil(t0 + 20);
    ac.abort();
    await expect(a).rejects.toBeDefined();
    await b;
    expect(clock.now() - t0).toBeGreaterThanOrEqual(19.5);
    expect(s.pending).toBe(0);
  });

  it('an earlier deadline re-arms the timer', async () => {
    const clock = new RealClock();
    const s = createScheduler(clock);
    const t0 = clock.now();
    const slow = s.sleepUntil(t0 + 200);
    await s.sleepUntil(t0 + 10);
    expect(clock.now() - t0).toBeLessThan(150);
    await slow;
  });
});
