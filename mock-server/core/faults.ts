/**
 * Provider-wide overload and transport faults, seeded per request (createRng(seed, 'fault',
 * index)), so the same seed gives the same faults on the same requests. Pure decisions; the
 * routes and transports act on them.
 *
 * Overload (independent of quotas, checked after validation, before the limits, charges nothing):
 * - capacity model: with `inFlight` requests above `concurrency`, the error probability rises
 *   linearly from 0 to `maxProbability` at 2 × concurrency (capped); latency scales by
 *   1 + slowdown × max(0, inFlight / concurrency − 1).
 * - timeline: windows [fromMs, toMs) of the mock's clock with a probability (1 = every request).
 * The status is the dialect's (OpenAI 503, Anthropic 529, Azure its "high demand" 429) unless set.
 */
import { createRng } from '../../src/plan/rng.js';

export interface CapacityModel {
  /** In-flight requests the provider serves without degradation. */
  concurrency: number;
  /** Error probability reached at 2 × concurrency (and beyond). Default 1. */
  maxProbability?: number;
  /** Latency factor slope above capacity. Default 1 (2 × concurrency → twice as slow). */
  slowdown?: number;
}

export interface OverloadWindow {
  fromMs: number;
  toMs: number;
  /** Probability per request inside the window. Default 1. */
  probability?: number;
  /** 500, 503, 529, or 429 (Azure's high demand). Default: the dialect's. */
  status?: number;
}

export interface OverloadOptions {
  capacity?: CapacityModel;
  timeline?: OverloadWindow[];
  /** Status for capacity-model errors. Default: the dialect's. */
  status?: number;
}

export const FAULT_KINDS = ['reset', 'slow-first-byte', 'stall', 'cut', 'malformed-sse', 'error-event'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * A transport fault rule: `kind` happens with `probability` (default 1) to requests arriving in
 * [fromMs, toMs) (default: always).
 * - reset: the connection is destroyed before any header.
 * - slow-first-byte: headers wait `ms` (default 5000).
 * - stall: headers go out, then nothing for `ms` (default: until the client gives up).
 * - cut: a stream ends abruptly (connection destroyed) after `afterTokens` tokens (default half).
 * - malformed-sse: one broken `data:` line after `afterTokens` tokens, then the stream goes on.
 * - error-event: Anthropic streams send `event: error` (overloaded_error) after `afterTokens` and end.
 */
export interface FaultRule {
  kind: FaultKind;
  probability?: number;
  fromMs?: number;
  toMs?: number;
  ms?: number;
  afterTokens?: number;
}

export interface Fault {
  kind: FaultKind;
  ms?: number;
  afterTokens?: number;
}

export interface OverloadDecision {
  overloaded: boolean;
  status?: number;
  /** Latency multiplier from the capacity model (1 = none). */
  slowdown: number;
}

export function overloadProbability(c: CapacityModel, inFlight: number): number {
  if (inFlight <= c.concurrency || c.concurrency <= 0) return 0;
  const x = (inFlight - c.concurrency) / c.concurrency;
  return Math.min(1, x) * (c.maxProbability ?? 1);
}

export function decideOverload(o: OverloadOptions | undefined, seed: number, index: number, now: number, inFlight: number): OverloadDecision {
  if (!o) return { overloaded: false, slowdown: 1 };
  const rng = createRng(seed, 'overload', index);
  const u = rng.next();
  let slowdown = 1;
  if (o.capacity) {
    const c = o.capacity;
    if (c.concurrency > 0) slowdown = 1 + (c.slowdown ?? 1) * Math.max(0, inFlight / c.concurrency - 1);
    if (u < overloadProbability(c, inFlight)) return { overloaded: true, slowdown, ...(o.status ? { status: o.status } : {}) };
  }
  for (const w of o.timeline ?? []) {
    if (now >= w.fromMs && now < w.toMs && u < (w.probability ?? 1)) return { overloaded: true, slowdown, ...(w.status ?? o.status ? { status: (w.status ?? o.status)! } : {}) };
  }
  return { overloaded: false, slowdown };
}

export function decideFault(rules: readonly FaultRule[] | undefined, seed: number, index: number, now: number): Fault | undefined {
  if (!rules || rules.length === 0) return undefined;
  const rng = createRng(seed, 'fault', index);
  for (const r of rules) {
    const u = rng.next();
    if (r.fromMs !== undefined && now < r.fromMs) continue;
    if (r.toMs !== undefined && now >= r.toMs) continue;
    if (u < (r.probability ?? 1)) {
      const f: Fault = { kind: r.kind };
      if (r.ms !== undefined) f.ms = r.ms;
      if (r.afterTokens !== undefined) f.afterTokens = r.afterTokens;
      return f;
    }
  }
  return undefined;
}
