/**
 * Wake-ups for many concurrent streams. On the wall clock one timer drives every pending
 * wake-up (a min-heap of deadlines, the timer armed for the earliest), so thousands of
 * streams cost one setTimeout rather than one per token; streams emit every token due when
 * they wake, so a late wake-up batches tokens instead of drifting. On any other clock (the
 * virtual clock in tests and simulation) it delegates to `clock.sleepUntil`, which is exact.
 */
import { RealClock, type Clock } from '../../src/clock.js';

export interface Scheduler {
  sleepUntil(t: number, signal?: AbortSignal): Promise<void>;
  /** Pending wake-ups (for diagnostics). */
  readonly pending: number;
}

interface Entry {
  t: number;
  resolve: () => void;
  reject: (e: unknown) => void;
  done: boolean;
  signal?: AbortSignal;
  onAbort?: () => void;
}

class TimerScheduler implements Scheduler {
  private heap: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Infinity;
  private live = 0;

  constructor(private readonly clock: Clock) {}

  get pending(): number {
    return this.live;
  }

  sleepUntil(t: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason ?? new DOMException('aborted', 'AbortError'));
    if (t <= this.clock.now()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const e: Entry = { t, resolve, reject, done: false };
      if (signal) {
        e.signal = signal;
        e.onAbort = () => {
          if (e.done) return;
          e.done = true;
          this.live--;
          reject(signal.reason ?? new DOMException('aborted', 'AbortError'));
        };
        signal.addEventListener('abort', e.onAbort, { once: true });
      }
      this.push(e);
      this.live++;
      if (t < this.armedAt) this.arm(t);
    });
  }

  private arm(t: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedAt = t;
    const delay = Math.max(0, t - this.clock.now());
    this.timer = setTimeout(this.fire, delay);
    this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedAt = Infinity;
    // Wake everything due by now (never early: a woken stream expects its token to be due).
    const horizon = this.clock.now();
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.t <= horizon) {
      const e = this.pop()!;
      if (e.done) continue;
      e.done = true;
      this.live--;
      if (e.signal && e.onAbort) e.signal.removeEventListener('abort', e.onAbort);
      e.resolve();
    }
    // Drop cancelled entries at the top, then re-arm for the earliest live one.
    while (heap.length > 0 && heap[0]!.done) this.pop();
    if (heap.length > 0) this.arm(heap[0]!.t);
  };

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.t <= e.t) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && h[r]!.t < h[l]!.t ? r : l;
        if (h[c]!.t >= last.t) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

class ClockScheduler implements Scheduler {
  private live = 0;
  constructor(private readonly clock: Clock) {}
  get pending(): number {
    return this.live;
  }
  async sleepUntil(t: number, signal?: AbortSignal): Promise<void> {
    this.live++;
    try {
      await this.clock.sleepUntil(t, signal);
    } finally {
      this.live--;
    }
  }
}

export function createScheduler(clock: Clock): Scheduler {
  return clock instanceof RealClock ? new TimerScheduler(clock) : new ClockScheduler(clock);
}
