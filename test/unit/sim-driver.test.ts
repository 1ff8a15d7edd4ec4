/** SimClock ordering, cancellation and abort; driveVirtual advancing time only when the instant has settled. */
import { describe, expect, it } from 'vitest';
import { SimClock, driveVirtual } from '../../src/exec/virtual-driver.js';
import { VirtualClock } from '../../src/clock.js';

describe('SimClock', () => {
  it('wakes in (time, insertion) order, callbacks and sleepers alike', async () => {
    const c = new SimClock();
    const log: string[] = [];
    c.at(5, () => log.push('a5'));
    void c.sleepUntil(3).then(() => log.push('s3'));
    c.at(3, () => log.push('b3'));
    c.at(5, () => log.push('c5'));
    const cancel = c.at(4, () => log.push('x4'));
    cancel();
    expect(c.nextWake()).toBe(3);
    c.set(10);
    await Promise.resolve();
    expect(log).toEqual(['b3', 'a5', 'c5', 's3']); // callbacks run inside set(); the promise continuation after
    expect(c.nextWake()).toBeUndefined();
    expect(() => c.set(9)).toThrow(RangeError);
  });

  it('rejects an aborted sleep and forgets it', async () => {
    const c = new SimClock();
    const ac = new AbortController();
    const p = c.sleepUntil(10, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(c.nextWake()).toBeUndefined();
  });

  it('thousands of sleepers on one signal: one abort listener, every sleeper rejected, woken ones untouched', async () => {
    const c = new SimClock();
    const ac = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const early = c.sleepUntil(1, ac.signal);
      const late = Array.from({ length: 2000 }, (_, i) => c.sleepUntil(10 + i, ac.signal));
      c.set(1);
      await expect(early).resolves.toBeUndefined();
      ac.abort(new Error('stop'));
      const settled = await Promise.allSettled(late);
      expect(settled.every((s) => s.status === 'rejected')).toBe(true);
      expect(c.nextWake()).toBeUndefined();
      await new Promise((r) => setImmediate(r)); // warnings are emitted on a later tick
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('keeps 100,000 interleaved wake-ups in order', () => {
    const c = new SimClock();
    const seen: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const t = (i * 7919) % 1000;
      c.at(t + 1, () => seen.push(t));
    }
    c.set(2000);
    let sorted = seen.length === 100_000;
    for (let i = 1; i < seen.length; i++) if (seen[i]! < seen[i - 1]!) sorted = false;
    expect(sorted).toBe(true);
  });
});

describe('driveVirtual', () => {
  async function scenario(clock: SimClock | VirtualClock) {
    const log: [string, number][] = [];
    const worker = async (name: string, gap: number) => {
      for (let i = 0; i < 3; i++) {
        await clock.sleepUntil(clock.now() + gap);
        // A few hops without the clock, then it is read again: must still be the same instant.
        await null;
        await null;
        log.push([name, clock.now()]);
      }
      return name;
    };
    const r = await Promise.all([worker('a', 10), worker('b', 15)]);
    return { r, log };
  }

  it('runs concurrent sleepers at their virtual times, in a fixed order, with both drains and on VirtualClock', async () => {
    // At 30 both wake: b's sleep was scheduled first (at 15, a's at 20), so b goes first.
    const expected = [['a', 10], ['b', 15], ['a', 20], ['b', 30], ['a', 30], ['b', 45]];
    for (const make of [() => ({ c: new SimClock(), d: {} }), () => ({ c: new SimClock(), d: { drain: 'macrotask' as const } }), () => ({ c: new VirtualClock(), d: {} })]) {
      const { c, d } = make();
      const out = await driveVirtual(c, scenario(c), d);
      expect(out.r).toEqual(['a', 'b']);
      expect(out.log).toEqual(expected);
      expect(c.now()).toBe(45);
    }
  });

  it('takes a real macrotask (setImmediate) at one instant before moving time', async () => {
    const c = new SimClock();
    const work = (async () => {
      c.at(100, () => {});
      await new Promise<void>((r) => setImmediate(r));
      return c.now();
    })();
    expect(await driveVirtual(c, work)).toBe(0);
  });

  it('rejects as the work rejects, and stops a runaway clock', async () => {
    const c = new SimClock();
    await expect(driveVirtual(c, (async () => {
      await c.sleepUntil(5);
      throw new Error('boom');
    })())).rejects.toThrow('boom');
    const c2 = new SimClock();
    const forever = (async () => {
      for (;;) await c2.sleepUntil(c2.now() + 1000);
    })();
    await expect(driveVirtual(c2, forever, { maxTimeMs: 60_000 })).rejects.toThrow(/60000 ms of virtual time/);
  });

  it('simulates many attempts quickly', async () => {
    const c = new SimClock();
    const t0 = performance.now();
    const work = Promise.all(Array.from({ length: 20_000 }, (_, i) => c.sleepUntil(i * 3 + 1)));
    await driveVirtual(c, work);
    expect(c.now()).toBe(59_998);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});
