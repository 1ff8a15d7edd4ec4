/**
 * Tracks attempts in flight so the executor can cap them (open loop: over the cap an arrival
 * is dropped, not queued — queueing would hide overload) and wait for them at the end.
 */
export class InFlight {
  private count = 0;
  private peak = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly max: number) {}

  get size(): number {
    return this.count;
  }

  get maxSeen(): number {
    return this.peak;
  }

  tryAcquire(): boolean {
    if (this.count >= this.max) return false;
    this.count++;
    if (this.count > this.peak) this.peak = this.count;
    return true;
  }

  release(): void {
    this.count--;
    if (this.count === 0) for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when nothing is in flight. */
  drained(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }
}
