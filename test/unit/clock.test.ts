import { describe, expect, it } from 'vitest';
import { RealClock, VirtualClock } from '../../src/clock.js';
import { runRelativeClock } from '../../src/exec/run-clock.js';

describe('VirtualClock', () => {
  it('wakes sleepers in deadline order only when time reaches them', async () => {
    const c = new VirtualClock();
    const woke: number[] = [];
    void c.sleepUntil(30).then(() => woke.push(30));
    void c.sleepUntil(10).then(() => woke.push(10));
    void c.sleepUntil(20).then(() => woke.push(20));
    expect(c.nextWake()).toBe(10);
    c.set(15);
    await Promise.resolve();
    expect(woke).toEqual([10]);
    c.set(40);
    await new Promise((r) => setImmediate(r));
    expect(woke).toEqual([10, 20, 30]);
    expect(() => c.set(5)).toThrow(/cannot go back/);
  });

  it('rejects a sleep when its signal aborts', async () => {
    const c = new VirtualClock();
    const ac = new AbortController();
    const p = c.sleepUntil(100, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(c.nextWake()).toBeUndefined();
  });
});

describe('RealClock', () => {
  it('never wakes before the deadline', async () => {
    const c = new RealClock();
    for (let i = 0; i < 20; i++) {
      const target = c.now() + 3 + (i % 4);
      await c.sleepUntil(target);
      expect(c.now()).toBeGreaterThanOrEqual(target);
    }
  });

  it('rejects when aborted while sleeping', async () => {
    const c = new RealClock();
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('bye')), 5);
    await expect(c.sleepUntil(c.now() + 10_000, ac.signal)).rejects.toThrow('bye');
  });

  it('one signal for many sleeps: finished ones resolve, waiting ones reject on abort, later sleeps reject at once', async () => {
    const c = new RealClock();
    const ac = new AbortController();
    await c.sleepUntil(c.now() + 2, ac.signal);
    const early = c.sleepUntil(c.now() + 3, ac.signal);
    const late = [1, 2, 3].map((i) => c.sleepUntil(c.now() + 10_000 * i, ac.signal));
    await early;
    ac.abort(new Error('stop'));
    for (const p of late) await expect(p).rejects.toThrow('stop');
    await expect(c.sleepUntil(c.now() + 5, ac.signal)).rejects.toThrow('stop');
    // A sleep on another signal is untouched.
    const other = new AbortController();
    await c.sleepUntil(c.now() + 2, other.signal);
  });
});

describe('runRelativeClock', () => {
  it('counts from its origin, and restart() moves t = 0 to now (set-up time is not run time)', async () => {
    const base = new VirtualClock(1_000);
    const run = runRelativeClock(base);
    expect(run.now()).toBe(0);
    base.advance(25); // opening reports, building the plan…
    expect(run.now()).toBe(25);
    run.restart();
    expect(run.now()).toBe(0);
    let woke = -1;
    const p = run.sleepUntil(10).then(() => (woke = run.now()));
    base.advance(9);
    await Promise.resolve();
    expect(woke).toBe(-1);
    base.advance(1);
    await p;
    expect(woke).toBe(10);
  });
});

describe('whenAborted (both clocks)', () => {
  it('VirtualClock: many sleeps on one signal, one listener; an abort rejects the pending ones only', async () => {
    const c = new VirtualClock(0);
    const ac = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const done = c.sleepUntil(5, ac.signal);
      const pending = Array.from({ length: 50 }, (_, i) => c.sleepUntil(10 + i, ac.signal));
      c.set(5);
      await expect(done).resolves.toBeUndefined();
      ac.abort(new Error('stop'));
      const settled = await Promise.allSettled(pending);
      expect(settled.every((s) => s.status === 'rejected' && (s.reason as Error).message === 'stop')).toBe(true);
      expect(c.nextWake()).toBeUndefined();
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
