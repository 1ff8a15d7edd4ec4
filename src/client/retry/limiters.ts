/**
 * Client-side send limiters, budgets and throttles: small state machines over times passed in
 * (ms on the run clock), no timers of their own. A limiter *reserves* capacity and returns the
 * time the attempt may go (reserve-ahead, FIFO: a bucket may go into debt, and each later
 * reservation waits for the debt to be paid), so waiting senders never poll and never herd.
 */
import type { AttemptResult } from '../../exec/ports.js';
import type { RandomSource } from './backoff.js';
import { isRateLimited } from './retryable.js';
import type { AdaptiveSpec, BudgetSpec, PacingSpec, ThrottleSpec } from './spec.js';

/** What an attempt costs a limiter: one request, and prompt + max_tokens tokens (the provider's reservation). */
export interface Cost {
  promptTokens: number;
  maxTokens: number;
}

export const reservedTokens = (c: Cost) => c.promptTokens + c.maxTokens;

export interface SendLimiter {
  /** Takes the attempt's cost; returns the run time (≥ now) it may be sent. */
  reserve(cost: Cost, now: number): number;
  /** An attempt this limiter let through has finished. */
  settle(cost: Cost, r: AttemptResult, now: number): void;
}

/** Continuous-refill token bucket that may go into debt (reserve-ahead). */
export class DebtBucket {
  level: number;
  private t: number | undefined;
  constructor(
    public capacity: number,
    /** Units per ms. */
    public ratePerMs: number,
    start: 'full' | 'empty' = 'full',
  ) {
    this.level = start === 'full' ? capacity : 0;
  }

  refill(now: number): void {
    if (this.t !== undefined && now > this.t) this.level = Math.min(this.capacity, this.level + (now - this.t) * this.ratePerMs);
    if (this.t === undefined || now > this.t) this.t = now;
  }

  /** Takes n units now (possibly into debt); returns ms to wait until the debt is paid. */
  take(n: number, now: number): number {
    this.refill(now);
    this.level -= n;
    return this.level >= 0 ? 0 : -this.level / this.ratePerMs;
  }

  give(n: number, now: number): void {
    this.refill(now);
    this.level = Math.min(this.capacity, this.level + n);
  }
}

/**
 * The OpenAI cookbook's proactive throttle (api_request_parallel_processor.py): a request
 * bucket and a token bucket, refilled continuously at limit/60 s, capacity one minute's worth
 * (burstSeconds), starting full; a request goes when both hold 1 request and prompt +
 * max_tokens tokens. Unlike the cookbook it refunds the unused max_tokens when the response
 * reports usage (as the provider does), and it waits FIFO instead of polling.
 */
export class PacingLimiter implements SendLimiter {
  private readonly req: DebtBucket;
  private readonly tok: DebtBucket;
  private pausedUntil = -Infinity;
  constructor(
    readonly rpm: number,
    readonly tpm: number,
    private readonly spec: PacingSpec = {},
  ) {
    const burst = (spec.burstSeconds ?? 60) / 60;
    this.req = new DebtBucket(Math.max(1, rpm * burst), rpm / 60_000);
    this.tok = new DebtBucket(Math.max(1, tpm * burst), tpm / 60_000);
  }

  reserve(cost: Cost, now: number): number {
    const start = Math.max(now, this.pausedUntil);
    const w = Math.max(this.req.take(1, start), this.tok.take(reservedTokens(cost), start));
    return start + w;
  }

  settle(cost: Cost, r: AttemptResult, now: number): void {
    if (r.outcome === 'ok' && (this.spec.refund ?? true) && r.completionTokens !== undefined) {
      const unused = cost.maxTokens - r.completionTokens;
      if (unused > 0) this.tok.give(unused, now);
    }
    if (isRateLimited(r) && this.spec.pauseAfter429Ms) this.pausedUntil = Math.max(this.pausedUntil, now + this.spec.pauseAfter429Ms);
  }
}

/** EWMA of the send rate over 0.5 s buckets, smoothing 0.8 (AWS DefaultRateLimiter.updateMeasuredRate). */
class MeasuredRate {
  rate = 0;
  private count = 0;
  private lastBucket: number | undefined;
  constructor(private readonly smooth = 0.8) {}

  /** Counts `units` sent at `nowSec`; returns the measured rate (units/s). */
  add(nowSec: number, units: number): number {
    const bucket = Math.floor(nowSec * 2) / 2;
    this.lastBucket ??= bucket;
    this.count += units;
    if (bucket > this.lastBucket) {
      const current = this.count / (bucket - this.lastBucket);
      this.rate = current * this.smooth + this.rate * (1 - this.smooth);
      this.count = 0;
      this.lastBucket = bucket;
    }
    return this.rate;
  }
}

/**
 * AWS SDK adaptive retry mode's client rate limiter (smithy-typescript util-retry
 * DefaultRateLimiter), constant for constant: a request-unit token bucket, off until the first
 * throttle; on a throttle lastMaxRate = min(measured, fill) (measured when off), rate = β ·
 * lastMaxRate, K = ∛(lastMaxRate(1 − β)/C); on success rate = C(t − tThrottle − K)³ + lastMaxRate,
 * capped at 2 × measured; fill ≥ 0.5 req/s, capacity = rate (≥ 1). Updated on every response.
 * `cutCooldownMs` (not in AWS's limiter, default 0) takes at most one cut per that many ms.
 */
export class CubicLimiter implements SendLimiter {
  private readonly beta: number;
  private readonly C: number;
  private readonly minFill: number;
  private readonly minCapacity = 1;
  private readonly cooldownMs: number;
  private enabled = false;
  private fillRate: number;
  private maxCapacity = 1;
  private capacity = 0;
  private lastTs: number | undefined;
  private lastMaxRate = 0;
  private lastThrottle: number;
  private timeWindow = 0;
  private readonly measured = new MeasuredRate();

  constructor(spec: Extract<AdaptiveSpec, { type: 'cubic' }> = { type: 'cubic' }, nowMs = 0) {
    this.beta = spec.beta ?? 0.7;
    this.C = spec.scaleConstant ?? 0.4;
    this.minFill = spec.minFillRate ?? 0.5;
    this.cooldownMs = spec.cutCooldownMs ?? 0;
    this.fillRate = this.minFill;
    this.lastThrottle = nowMs / 1000;
  }

  /** Current fill rate (req/s) and whether the bucket is on (tests, reports). */
  get rate(): number {
    return this.fillRate;
  }
  get active(): boolean {
    return this.enabled;
  }

  private refill(ts: number) {
    if (this.lastTs === undefined) {
      this.lastTs = ts;
      return;
    }
    if (ts > this.lastTs) {
      this.capacity = Math.min(this.maxCapacity, this.capacity + (ts - this.lastTs) * this.fillRate);
      this.lastTs = ts;
    }
  }

  reserve(_cost: Cost, now: number): number {
    if (!this.enabled) return now;
    const ts = now / 1000;
    this.refill(ts);
    let wait = 0;
    if (1 > this.capacity) wait = ((1 - this.capacity) / this.fillRate) * 1000;
    this.capacity -= 1;
    return now + wait;
  }

  settle(_cost: Cost, r: AttemptResult, now: number): void {
    const ts = now / 1000;
    const measured = this.measured.add(ts, 1);
    let calculated: number;
    if (isRateLimited(r) || r.outcome === 'overloaded') {
      // One congestion event per cooldown (as TCP CUBIC cuts once per loss window): the rest of
      // a herd of 429s answering attempts sent before the cut is not a new signal. Off (0) in AWS's own limiter.
      if (this.enabled && this.cooldownMs > 0 && ts - this.lastThrottle < this.cooldownMs / 1000) return;
      const rateToUse = !this.enabled ? measured : Math.min(measured, this.fillRate);
      this.lastMaxRate = rateToUse;
      this.timeWindow = Math.cbrt((this.lastMaxRate * (1 - this.beta)) / this.C);
      this.lastThrottle = ts;
      calculated = rateToUse * this.beta;
      this.enabled = true;
    } else {
      this.timeWindow = Math.cbrt((this.lastMaxRate * (1 - this.beta)) / this.C);
      calculated = this.C * (ts - this.lastThrottle - this.timeWindow) ** 3 + this.lastMaxRate;
    }
    const newRate = Math.min(calculated, 2 * measured);
    this.refill(ts);
    this.fillRate = Math.max(newRate, this.minFill);
    this.maxCapacity = Math.max(newRate, this.minCapacity);
    this.capacity = Math.min(this.capacity, this.maxCapacity);
  }
}

/**
 * AIMD over a reserve-ahead bucket, in requests or tokens (prompt + max_tokens): off until the
 * first throttle (unless initialRate); a throttle sets rate = decrease × min(measured, rate)
 * (at most once per `cooldownMs`, so one herd of 429s is one congestion signal, as TCP takes
 * one cut per window); each success adds increasePerSec × elapsed seconds (default 5 % of the
 * rate at the last cut, per second), capped at 2 × measured.
 */
export class AimdLimiter implements SendLimiter {
  private readonly unit: 'requests' | 'tokens';
  private readonly decrease: number;
  private readonly minRate: number;
  private enabled: boolean;
  private rate: number;
  private lastCutRate: number;
  private lastCutAt = -Infinity;
  private lastUpdate: number | undefined;
  private readonly bucket: DebtBucket;
  private readonly measured = new MeasuredRate();
  private readonly cooldownMs = 1_000;

  constructor(private readonly spec: Extract<AdaptiveSpec, { type: 'aimd' }> = { type: 'aimd' }) {
    this.unit = spec.unit ?? 'tokens';
    this.decrease = spec.decrease ?? 0.5;
    this.minRate = spec.minRate ?? (this.unit === 'tokens' ? 100 : 0.5);
    this.enabled = spec.initialRate !== undefined;
    this.rate = spec.initialRate ?? 0;
    this.lastCutRate = this.rate;
    this.bucket = new DebtBucket(Math.max(1, this.rate), this.rate / 1000);
  }

  get currentRate(): number {
    return this.enabled ? this.rate : Infinity;
  }

  private units(c: Cost) {
    return this.unit === 'tokens' ? reservedTokens(c) : 1;
  }

  private setRate(r: number, now: number) {
    this.bucket.refill(now);
    this.rate = Math.max(this.minRate, r);
    this.bucket.ratePerMs = this.rate / 1000;
    this.bucket.capacity = Math.max(this.rate, 1);
    if (this.bucket.level > this.bucket.capacity) this.bucket.level = this.bucket.capacity;
  }

  reserve(cost: Cost, now: number): number {
    const u = this.units(cost);
    this.measured.add(now / 1000, u);
    if (!this.enabled) return now;
    // A request larger than a second's worth still goes (the bucket's capacity grows to it).
    if (this.bucket.capacity < u) this.bucket.capacity = u;
    return now + this.bucket.take(u, now);
  }

  settle(_cost: Cost, r: AttemptResult, now: number): void {
    const measured = this.measured.rate;
    if (isRateLimited(r) || r.outcome === 'overloaded') {
      if (now - this.lastCutAt < this.cooldownMs) return;
      const base = this.enabled ? Math.min(this.rate, measured > 0 ? measured : this.rate) : measured;
      this.enabled = true;
      this.lastCutAt = now;
      this.lastCutRate = Math.max(this.minRate, base);
      this.setRate(this.decrease * base, now);
      this.bucket.level = Math.min(this.bucket.level, 0);
      this.lastUpdate = now;
      return;
    }
    if (!this.enabled || r.outcome !== 'ok') return;
    const dt = (now - (this.lastUpdate ?? now)) / 1000;
    this.lastUpdate = now;
    const inc = this.spec.increasePerSec ?? 0.05 * this.lastCutRate;
    let next = this.rate + inc * dt;
    if (measured > 0) next = Math.min(next, Math.max(this.rate, 2 * measured));
    this.setRate(next, now);
  }
}

/** Several limiters in series: an attempt goes when all of them let it. */
export class LimiterChain implements SendLimiter {
  constructor(private readonly parts: readonly SendLimiter[]) {}
  reserve(cost: Cost, now: number): number {
    let t = now;
    // Each limiter reserves at the time the previous one allows (a later start never hurts a bucket).
    for (const p of this.parts) t = Math.max(t, p.reserve(cost, t));
    return t;
  }
  settle(cost: Cost, r: AttemptResult, now: number): void {
    for (const p of this.parts) p.settle(cost, r, now);
  }
}

/**
 * Retry budgets. SRE: a client retries only while retries / first attempts stays ≤ ratio (10 %).
 * AWS standard retry quota: a bucket of `initial` tokens, a retry costs `cost` (`timeoutCost`
 * after a timeout), a success without retries adds `noRetryIncrement`, a success after a retry
 * refunds that retry's cost; no tokens → no retry (fail fast).
 */
export class RetryBudget {
  firstAttempts = 0;
  retries = 0;
  denied = 0;
  private quota: number | undefined;
  constructor(private readonly spec: BudgetSpec) {
    this.quota = spec.quota?.initial;
  }

  onFirstAttempt(): void {
    this.firstAttempts++;
  }

  /** May this request retry now? Takes the cost when yes. */
  tryRetry(r: AttemptResult): { ok: boolean; cost: number } {
    const ratio = this.spec.ratio;
    if (ratio !== undefined && this.retries + 1 > ratio * this.firstAttempts) {
      this.denied++;
      return { ok: false, cost: 0 };
    }
    const q = this.spec.quota;
    let cost = 0;
    if (q && this.quota !== undefined) {
      cost = r.outcome === 'timeout' ? q.timeoutCost : q.cost;
      if (this.quota < cost) {
        this.denied++;
        return { ok: false, cost: 0 };
      }
      this.quota -= cost;
    }
    this.retries++;
    return { ok: true, cost };
  }

  /** A request succeeded; lastRetryCost is what its last retry took (0: it never retried). */
  onSuccess(lastRetryCost: number): void {
    const q = this.spec.quota;
    if (!q || this.quota === undefined) return;
    this.quota = Math.min(q.initial, this.quota + (lastRetryCost > 0 ? lastRetryCost : q.noRetryIncrement));
  }

  get quotaLeft(): number | undefined {
    return this.quota;
  }
}

/**
 * SRE client-side adaptive throttling (Handling Overload, ch. 21): over the last `windowMs`,
 * requests = attempts the client wanted to send (counted before sending), accepts = attempts
 * the backend accepted (anything but a rate limit or overload); a new attempt is rejected
 * locally with probability max(0, (requests − K · accepts) / (requests + 1)).
 */
export class AdaptiveThrottle {
  private readonly events: { t: number; accepted: boolean | undefined; gone?: boolean }[] = [];
  private head = 0;
  private requests = 0;
  private accepts = 0;
  rejected = 0;
  constructor(
    private readonly spec: ThrottleSpec,
    private readonly rng: RandomSource,
  ) {}

  private expire(now: number) {
    const from = now - this.spec.windowMs;
    while (this.head < this.events.length && this.events[this.head]!.t < from) {
      const e = this.events[this.head++]!;
      e.gone = true;
      this.requests--;
      if (e.accepted) this.accepts--;
    }
    if (this.head > 4096) {
      this.events.splice(0, this.head);
      this.head = 0;
    }
  }

  probability(now: number): number {
    this.expire(now);
    return Math.max(0, (this.requests - this.spec.k * this.accepts) / (this.requests + 1));
  }

  /** Counts the request; returns a handle to report its acceptance, or undefined when rejected locally. */
  admit(now: number): { accepted(ok: boolean, at: number): void } | undefined {
    const p = this.probability(now);
    const e: { t: number; accepted: boolean | undefined; gone?: boolean } = { t: now, accepted: undefined };
    this.events.push(e);
    this.requests++;
    if (p > 0 && this.rng.next() < p) {
      e.accepted = false;
      this.rejected++;
      return undefined;
    }
    return {
      accepted: (ok) => {
        if (e.accepted !== undefined) return;
        e.accepted = ok;
        if (ok && !e.gone) this.accepts++;
      },
    };
  }
}
