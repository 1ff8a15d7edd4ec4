/**
 * Virtual time for simulation: a fast virtual clock and the driver that pumps it.
 *
 * `SimClock` is a `Clock` whose time only moves when told to (like `VirtualClock`), kept as a
 * binary min-heap of wake-ups ordered by (time, insertion order), so waking the earliest
 * sleeper is O(log n) however many attempts are in flight, and the order of simultaneous
 * wake-ups is fixed (first scheduled, first woken): the same work gives the same interleaving,
 * run after run. Besides `sleepUntil` it offers `at(t, fn)`, a callback wake-up without a
 * promise, for hot paths (the simulated dispatch).
 *
 * `driveVirtual(clock, work)` runs `work` to completion in virtual time: let every
 * continuation of the current instant run, advance the clock to the next wake-up, repeat. It
 * accepts any clock with `nextWake()` and `set(t)` (so also `VirtualClock`).
 *
 * "Let every continuation run" (draining) is the subtle part. A macrotask (setImmediate)
 * drains everything for certain, but costs ~5 µs here; a simulated attempt needs one or two
 * drains. The default `microtask` drain instead yields microtask by microtask until the clock
 * has seen no call (now/sleepUntil/at) for `idleHops` (4) consecutive hops, then confirms with
 * a `process.nextTick`: a tick queued from a microtask runs only once the microtask queue is
 * empty (Node drains all microtasks before it processes ticks), so if the clock still saw no
 * call by then, nothing runnable is left at this instant; if it did, the hops start again.
 * (Ticks queued by others, e.g. file streams, run in the same batch as ours; they do not
 * touch the clock.) The hops before the confirmation are what the livelock guard counts
 * (`maxHopsPerInstant`): work that never lets time pass keeps the clock busy, so it never
 * gets to the tick. Two guards keep it honest: a pending setImmediate (the executor's yield to I/O) always
 * gets a real macrotask drain before time moves, and every `yieldEveryMs` of wall time the
 * driver yields a macrotask anyway so file streams flush (flat memory) and signals (Ctrl-C)
 * are delivered. `drain: 'macrotask'` is the slow, assumption-free mode; a test checks both
 * give byte-identical reports.
 */
import { abortError, whenAborted, type Clock } from '../clock.js';

/** A clock the driver can pump. */
export interface DrivableClock extends Clock {
  /** Earliest pending wake-up, if any. */
  nextWake(): number | undefined;
  /** Moves time forward to `t`, waking every sleeper due by then, in order. */
  set(t: number): void;
}

interface Wake {
  t: number;
  seq: number;
  fn: (() => void) | undefined;
}

/** Virtual clock on a min-heap of wake-ups; time starts at `start` (0: the run's start). */
export class SimClock implements DrivableClock {
  private t: number;
  private heap: Wake[] = [];
  private seq = 0;
  /** Incremented on every call: the driver's evidence that continuations are still running. */
  activity = 0;
  /** Wake-ups fired so far (diagnostics, benchmarks). */
  fired = 0;

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    this.activity++;
    return this.t;
  }

  /** Calls `fn` when the clock reaches `t` (at once, synchronously, if `t` has passed). Returns a cancel function. */
  at(t: number, fn: () => void): () => void {
    this.activity++;
    if (t <= this.t) {
      fn();
      return noop;
    }
    const w: Wake = { t, seq: this.seq++, fn };
    this.push(w);
    return () => {
      w.fn = undefined;
    };
  }

  sleepUntil(t: number, signal?: AbortSignal): Promise<void> {
    this.activity++;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (t <= this.t) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      if (!signal) {
        this.push({ t, seq: this.seq++, fn: resolve });
        return;
      }
      const w: Wake = {
        t,
        seq: this.seq++,
        fn: () => {
          forget();
          resolve();
        },
      };
      const forget = whenAborted(signal, (e) => {
        w.fn = undefined;
        reject(e);
      });
      this.push(w);
    });
  }

  nextWake(): number | undefined {
    const h = this.heap;
    while (h.length > 0 && h[0]!.fn === undefined) this.pop();
    return h.length > 0 ? h[0]!.t : undefined;
  }

  /** Pending wake-ups (cancelled ones may still be counted until they reach the top). */
  get pending(): number {
    return this.heap.length;
  }

  set(t: number): void {
    if (t < this.t) throw new RangeError(`SimClock cannot go back from ${this.t} to ${t}`);
    this.t = t;
    this.activity++;
    const h = this.heap;
    while (h.length > 0 && h[0]!.t <= t) {
      const w = this.pop()!;
      const fn = w.fn;
      if (fn === undefined) continue;
      w.fn = undefined;
      this.fired++;
      fn();
    }
  }

  advance(ms: number): void {
    this.set(this.t + ms);
  }

  private less(a: Wake, b: Wake): boolean {
    return a.t < b.t || (a.t === b.t && a.seq < b.seq);
  }

  private push(w: Wake): void {
    const h = this.heap;
    let i = h.length;
    h.push(w);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!this.less(w, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = w;
  }

  private pop(): Wake | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && this.less(h[r]!, h[l]!) ? r : l;
        if (!this.less(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

const noop = () => {};

const IDLE_HOPS = 4;

export interface DriveOptions {
  /** 'microtask' (default, fast) or 'macrotask' (a setImmediate per instant: slow, no assumptions). */
  drain?: 'microtask' | 'macrotask';
  /**
   * Microtask drain: hops without any clock call before the drain confirms the instant has
   * settled (a nextTick, which runs once the microtask queue is empty). Default 4.
   */
  idleHops?: number;
  /** Yield a macrotask at least this often (wall ms), so I/O flushes and signals arrive. Default 4. */
  yieldEveryMs?: number;
  /**
   * Virtual time cannot pass this (ms); reaching it with work still pending rejects. Guards
   * against work that never ends (e.g. a sleeper that re-arms itself forever). Default Infinity.
   */
  maxTimeMs?: number;
  /**
   * Livelock guard: this many microtask hops at one instant with clock activity all along
   * means work that never lets time pass (e.g. a loop over answers that take no time); the
   * drive rejects instead of hanging. Default 50,000,000 (seconds of CPU).
   */
  maxHopsPerInstant?: number;
}

export interface DriveStats {
  /** Instants advanced to. */
  steps: number;
  /** Macrotask yields made. */
  macrotasks: number;
  /**
   * Microtask drain: the longest run of hops without a clock call after which a clock call
   * still came (the margin left is idleHops − this). Tests assert it stays well below idleHops.
   */
  maxQuietHops?: number;
}

const macrotask = () => new Promise<void>((r) => setImmediate(r));
const RESOLVED = Promise.resolve();
/** Resolves once every microtask queued so far, and every one they queue, has run (see the module doc). */
const afterMicrotasks = () => new Promise<void>((r) => process.nextTick(r));

function hasPendingImmediate(): boolean {
  const info = process.getActiveResourcesInfo();
  for (let i = 0; i < info.length; i++) if (info[i] === 'Immediate') return true;
  return false;
}

/**
 * Runs `work` to completion, advancing `clock` from wake-up to wake-up whenever everything
 * runnable at the current instant has run. Resolves or rejects as `work` does.
 */
export async function driveVirtual<T>(clock: DrivableClock, work: Promise<T>, opts: DriveOptions = {}, stats?: DriveStats): Promise<T> {
  let settled = false;
  let failed = false;
  let value: T | undefined;
  let error: unknown;
  work.then(
    (v) => {
      settled = true;
      value = v;
    },
    (e: unknown) => {
      settled = true;
      failed = true;
      error = e;
    },
  );
  const micro = (opts.drain ?? 'microtask') === 'microtask';
  const idleHops = opts.idleHops ?? IDLE_HOPS;
  const yieldEveryMs = opts.yieldEveryMs ?? 4;
  const maxTimeMs = opts.maxTimeMs ?? Infinity;
  const maxHops = opts.maxHopsPerInstant ?? 50_000_000;
  const sim = clock instanceof SimClock ? clock : undefined;
  let lastYield = performance.now();
  let steps = 0;
  let macrotasks = 0;
  let maxQuiet = 0;

  for (;;) {
    // Drain the current instant.
    if (micro && sim) {
      let seen = sim.activity;
      let idle = 0;
      let hops = 0;
      for (;;) {
        while (idle < idleHops && !settled) {
          if (++hops > maxHops) throw new Error(`virtual time is stuck at ${sim.now()} ms: ${maxHops} microtask hops at one instant (work that never waits for the clock)`);
          await RESOLVED;
          if (sim.activity !== seen) {
            seen = sim.activity;
            if (idle > maxQuiet) maxQuiet = idle;
            idle = 0;
          } else idle++;
        }
        if (settled) break;
        // Confirm: a nextTick queued from a microtask runs only once the microtask queue is empty.
        await afterMicrotasks();
        if (sim.activity === seen) break;
        seen = sim.activity;
        idle = 0;
      }
      if (!settled && hasPendingImmediate()) {
        await macrotask();
        macrotasks++;
        lastYield = performance.now();
        continue; // the immediate may have started more work at this instant
      }
    } else {
      await macrotask();
      macrotasks++;
    }
    if (settled) break;

    const next = clock.nextWake();
    if (next === undefined) {
      // Nothing scheduled in virtual time: the work waits on something real (a file, a timer).
      await macrotask();
      macrotasks++;
      lastYield = performance.now();
      continue;
    }
    if (next > maxTimeMs) throw new RangeError(`simulation passed ${maxTimeMs} ms of virtual time with work still pending`);
    clock.set(next);
    steps++;
    if (micro && (steps & 255) === 0) {
      const now = performance.now();
      if (now - lastYield >= yieldEveryMs) {
        await macrotask();
        macrotasks++;
        lastYield = performance.now();
      }
    }
  }
  if (stats) {
    stats.steps += steps;
    stats.macrotasks += macrotasks;
    stats.maxQuietHops = Math.max(stats.maxQuietHops ?? 0, maxQuiet);
  }
  if (failed) throw error;
  return value as T;
}
