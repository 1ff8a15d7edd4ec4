/**
 * Cost control: a request may be sent only if what was already spent, plus the worst case of
 * every request still in flight, plus its own worst case stays within the budget, and only if
 * the request cap has room. Worst case = prompt tokens × input price + max_tokens × output
 * price (a provider may bill the whole completion). Spent comes from the responses' usage;
 * a response without usage that may have generated output is charged its worst case.
 */
import type { AttemptResult } from '../exec/ports.js';
import type { Prices, StageRequest } from './types.js';

export function worstCaseUsd(p: Prices, promptTokens: number, maxTokens: number): number {
  return (promptTokens * p.inputPerMTokens + maxTokens * p.outputPerMTokens) / 1e6;
}

export function actualUsd(p: Prices, spec: StageRequest, r: AttemptResult): number {
  if (r.promptTokens !== undefined || r.completionTokens !== undefined) {
    return ((r.promptTokens ?? spec.promptTokens) * p.inputPerMTokens + (r.completionTokens ?? 0) * p.outputPerMTokens) / 1e6;
  }
  // A 200 without usage, or a stream cut after its first byte: it may have been billed in full.
  if (r.status === 200 || (r.status === undefined && r.firstByteMs !== undefined)) return worstCaseUsd(p, spec.promptTokens, spec.maxTokens);
  return 0;
}

export class Budget {
  spentUsd = 0;
  inFlightUsd = 0;
  sent = 0;
  inFlight = 0;
  peakCommittedUsd = 0;

  constructor(
    readonly prices: Prices,
    readonly budgetUsd: number,
    readonly maxRequests: number,
  ) {}

  /** Why `spec` may not be sent now, or undefined (then it is reserved: call settle() after). */
  reserve(spec: StageRequest): 'budget' | 'requests' | undefined {
    if (this.sent >= this.maxRequests) return 'requests';
    const w = worstCaseUsd(this.prices, spec.promptTokens, spec.maxTokens);
    if (this.spentUsd + this.inFlightUsd + w > this.budgetUsd + 1e-12) return 'budget';
    this.sent++;
    this.inFlight++;
    this.inFlightUsd += w;
    this.peakCommittedUsd = Math.max(this.peakCommittedUsd, this.spentUsd + this.inFlightUsd);
    return undefined;
  }

  /** The attempt ended: release its reservation, add what it cost. Returns that cost. */
  settle(spec: StageRequest, r: AttemptResult): number {
    this.inFlight--;
    this.inFlightUsd = Math.max(0, this.inFlightUsd - worstCaseUsd(this.prices, spec.promptTokens, spec.maxTokens));
    const c = actualUsd(this.prices, spec, r);
    this.spentUsd += c;
    return c;
  }

  /** Requests still allowed by the cap. */
  get requestsLeft(): number {
    return this.maxRequests - this.sent;
  }

  /** Worst-case USD still allowed. */
  get usdLeft(): number {
    return this.budgetUsd - this.spentUsd - this.inFlightUsd;
  }
}
