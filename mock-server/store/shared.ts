/**
 * The mock's side of a shared LimiterStore: maps one chat admission (a model's rules, the
 * request's costs) to one atomic store admit, and the store's integer tuple back to the same
 * AdmissionDecision the in-memory path produces (views, the 429's rule, "Used", the wait).
 * Settles at response end: the unused reservation goes back (idempotent per request).
 *
 * Store failures: 'closed' (default) → the caller answers a 503 naming the store outage;
 * 'open-local' → an insurance memory store with every limit / N (N = instances). Either way the
 * outage interval is recorded and the next successful store call ends it.
 */
import { ConfigError } from '../../src/errors.js';
import { costs, dimensionOf, rulesOf, validate, type AdmissionDecision, type AdmissionInput, type AdmissionSettings, type ModelLimits } from '../core/admission.js';
import type { BucketView } from '../core/bucket.js';
import type { LimitsView } from '../core/dialect-openai.js';
import type { LimitRule } from '../core/rules.js';
import { MemoryLimiterStore } from './memory.js';
import { StoreUnavailableError, type DimResult, type LimiterStore, type StoreDecision, type StoreDim } from './types.js';

export type StoreFailureMode = 'closed' | 'open-local';

export interface SharedLimiterOptions {
  /** What to do when the store is unreachable. Default 'closed'. */
  failure?: StoreFailureMode;
  /** N for 'open-local': each instance admits within limit / N. Required for 'open-local'. */
  instances?: number;
  /** How long a reservation waits for its settle (ms). Default 600000 (10 min). */
  reservationTtlMs?: number;
  /** Key prefix. Default 'lp'. */
  prefix?: string;
  /** Unique per mock instance (reservation ids). Default: random. */
  instanceId?: string;
  /** The instance's clock in ms (outage intervals, the local insurance store). */
  nowMs: () => number;
}

export interface StoreOutage {
  /** Instance clock (ms) of the first failed store call. */
  start: number;
  /** Of the first successful call after it; absent while the outage lasts. */
  end?: number;
  /** The first error. */
  error: string;
  /** Requests answered with the outage 503 (closed) or admitted locally (open-local). */
  requests: number;
}

export interface LimiterStoreState {
  kind: 'memory' | 'redis';
  store: string;
  failure: StoreFailureMode;
  instances?: number;
  degraded: boolean;
  /** Requests decided while degraded (503s, or local admissions). */
  limiterDegraded: number;
  /** Settles that could not reach the store (the charge stood). */
  settleErrors: number;
  outages: StoreOutage[];
}

/** What a ticket carries to settle later. */
export interface SharedReservation {
  key: string;
  reservationKey: string;
  dims: StoreDim[];
  /** The ticket was admitted by the local insurance store. */
  local: boolean;
  /** Per dim: how the actual use is derived at settle. */
  kinds: ('fixed' | 'reserve' | 'generated-tokens' | 'generated-output')[];
}

export type SharedAdmission =
  | { kind: 'decided'; decision: AdmissionDecision; reservation?: SharedReservation; nowUs: number; local: boolean }
  | { kind: 'outage'; store: string; error: string };

const SUB_MINUTE = new Set(['rps', 'tps', 'rp10s', 'tp10s']);

function hashTag(s: string): string {
  return s.replace(/[{}]/g, '_');
}

/** Rules the shared store cannot hold exactly (non-bucket algorithms, fractional limits, burst). */
export function unsupportedRules(m: ModelLimits): string[] {
  const out: string[] = [];
  for (const r of rulesOf(m)) {
    if ((r.spec.algorithm ?? 'bucket') !== 'bucket') out.push(`${r.name} (${r.spec.algorithm})`);
    else if (!Number.isSafeInteger(r.spec.limit)) out.push(`${r.name} (limit ${r.spec.limit} is not an integer)`);
    else if (r.spec.capacity !== undefined && !Number.isSafeInteger(r.spec.capacity)) out.push(`${r.name} (capacity ${r.spec.capacity} is not an integer)`);
  }
  if (m.burst) out.push('burst guard');
  return out;
}

export class SharedLimiter {
  readonly failure: StoreFailureMode;
  readonly instances: number | undefined;
  private readonly ttlMs: number;
  private readonly prefix: string;
  private readonly instanceId: string;
  private readonly local: MemoryLimiterStore;
  private readonly outages: StoreOutage[] = [];
  private degradedCount = 0;
  private settleErrors = 0;
  private seq = 0;

  constructor(
    readonly store: LimiterStore,
    private readonly opts: SharedLimiterOptions,
  ) {
    this.failure = opts.failure ?? 'closed';
    if (this.failure !== 'closed' && this.failure !== 'open-local') throw new ConfigError('invalid store failure mode', [{ path: 'storeFailure', expected: "'closed' or 'open-local'", found: JSON.stringify(this.failure) }]);
    this.instances = opts.instances;
    if (this.failure === 'open-local' && !(Number.isInteger(opts.instances) && opts.instances! >= 1)) {
      throw new ConfigError('open-local needs the instance count', [{ path: 'storeInstances', expected: 'an integer ≥ 1 (each instance admits limit / N while the store is down)', found: String(opts.instances) }]);
    }
    this.ttlMs = opts.reservationTtlMs ?? 600_000;
    this.prefix = opts.prefix ?? 'lp';
    this.instanceId = opts.instanceId ?? Math.random().toString(36).slice(2, 10);
    this.local = new MemoryLimiterStore({ nowUs: () => Math.round(opts.nowMs() * 1000) });
  }

  /** Whether an outage is open. */
  get degraded(): boolean {
    const last = this.outages[this.outages.length - 1];
    return last !== undefined && last.end === undefined;
  }

  private failed(e: unknown): StoreOutage {
    let last = this.outages[this.outages.length - 1];
    if (!last || last.end !== undefined) {
      last = { start: this.opts.nowMs(), error: e instanceof StoreUnavailableError && e.cause instanceof Error ? e.cause.message : e instanceof Error ? e.message : String(e), requests: 0 };
      this.outages.push(last);
    }
    return last;
  }

  private recovered(): void {
    const last = this.outages[this.outages.length - 1];
    if (last && last.end === undefined) last.end = this.opts.nowMs();
  }

  async admit(m: ModelLimits, input: AdmissionInput, settings: AdmissionSettings, scope: string): Promise<SharedAdmission> {
    const prompt = input.promptTokens;
    const est = input.estimateTokens ?? prompt;
    const n = input.n ?? 1;
    let invalid: AdmissionDecision | undefined;
    let maxTokens: number;
    const v = validate(m, input);
    if (typeof v === 'number') maxTokens = v;
    else {
      if (settings.validateFirst !== false) return { kind: 'decided', decision: v, nowUs: 0, local: false };
      invalid = v;
      maxTokens = input.maxTokens ?? Math.max(0, Math.min(m.maxOutputTokens, m.contextWindow - prompt));
    }
    const reserve = n * maxTokens;
    const rules = rulesOf(m);
    const cs = rules.map((r) => costs(m, r, est, reserve));
    const dims: StoreDim[] = rules.map((r, i) => {
      const d: StoreDim = { field: r.name, limit: r.spec.limit, windowMs: r.spec.windowMs, check: cs[i]!.check, debit: cs[i]!.debit };
      if (r.spec.capacity !== undefined) d.capacity = r.spec.capacity;
      if (dimensionOf(r) === 'tokens' && !SUB_MINUTE.has(r.name)) d.tokens = true;
      if (r.counts === 'requests') d.requests = true;
      return d;
    });
    const kinds = rules.map((r): SharedReservation['kinds'][number] => {
      if (m.charge === 'generated') return r.counts === 'tokens' ? 'generated-tokens' : r.counts === 'output_tokens' ? 'generated-output' : 'fixed';
      return r.counts === 'tokens' || r.counts === 'output_tokens' ? 'reserve' : 'fixed';
    });
    const tag = hashTag(scope);
    const key = `${this.prefix}:{${tag}}:${m.id}`;
    const reservationKey = `${this.prefix}:{${tag}}:res:${this.instanceId}:${this.seq++}`;
    const op = { key, dims, reservation: { key: reservationKey, ttlMs: this.ttlMs }, rejectedCount: settings.rejectedConsumeRequests };
    let r: StoreDecision;
    let local = false;
    let usedDims = dims;
    try {
      r = await this.store.admit(op);
      this.recovered();
    } catch (e) {
      const o = this.failed(e);
      o.requests++;
      this.degradedCount++;
      if (this.failure === 'closed') return { kind: 'outage', store: this.store.name, error: o.error };
      const N = this.instances!;
      usedDims = dims.map((d) => ({ ...d, limit: Math.max(1, Math.floor(d.limit / N)), ...(d.capacity !== undefined ? { capacity: Math.max(1, Math.floor(d.capacity / N)) } : {}) }));
      r = this.local.admitSync({ ...op, dims: usedDims });
      local = true;
    }
    const decision = this.toDecision(m, rules, usedDims, r, cs, maxTokens, est, reserve, settings);
    if (invalid && decision.kind === 'admitted') return { kind: 'decided', decision: invalid, nowUs: r.nowUs, local };
    const out: SharedAdmission = { kind: 'decided', decision, nowUs: r.nowUs, local };
    if (decision.kind === 'admitted') out.reservation = { key, reservationKey, dims: usedDims, local, kinds };
    return out;
  }

  private toDecision(
    m: ModelLimits,
    rules: readonly LimitRule[],
    dims: readonly StoreDim[],
    r: StoreDecision,
    cs: { check: number; debit: number }[],
    maxTokens: number,
    est: number,
    reserve: number,
    settings: AdmissionSettings,
  ): AdmissionDecision {
    const limits = limitsFromStore(m, dims, r.dims);
    if (r.outcome === 'allow') {
      const cost = m.charge === 'generated' ? est : m.reserve === 'max' ? Math.max(est, reserve) : est + reserve;
      return { kind: 'admitted', cost, maxTokens, limits };
    }
    const fails: number[] = [];
    r.dims.forEach((d, i) => {
      if (!d.ok) fails.push(i);
    });
    if (r.outcome === 'too_large') {
      const sizeOf = (j: number) => dims[j]!.capacity ?? dims[j]!.limit;
      const i = fails.find((j) => dims[j]!.tokens && (dims[j]!.check ?? 0) > sizeOf(j)) ?? fails[0]!;
      return { kind: 'request_too_large', dimension: 'tokens', limit: sizeOf(i), requested: cs[i]!.check, limits, rule: rules[i]!.name };
    }
    let pick = fails[0]!;
    if (fails.length > 1) {
      if (settings.bothExhausted === 'longer-wait') pick = fails.reduce((a, b) => (r.dims[b]!.waitUs > r.dims[a]!.waitUs ? b : a));
      else pick = fails.find((j) => dimensionOf(rules[j]!) === settings.bothExhausted) ?? pick;
    }
    const d = r.dims[pick]!;
    const L = dims[pick]!.limit;
    const C = dims[pick]!.capacity ?? L;
    const used = C - remainingOf(d);
    // The wait the 429 shows is the in-memory mock's (bucket.ts): from "Used" (C − ⌊level⌋), as
    // providers word it; the store's exact µs deficit stays in the tuple (retryAfterUs).
    const waitMs = Math.max(0, ((used + cs[pick]!.check - C) * dims[pick]!.windowMs) / L);
    return {
      kind: 'rate_limited',
      dimension: dimensionOf(rules[pick]!),
      rule: rules[pick]!.name,
      limit: L,
      used,
      requested: cs[pick]!.check,
      waitMs,
      limits,
    };
  }

  /**
   * The response of an admitted request ended: refund the unused reservation (reserve mode,
   * when `refundUnused`) or charge the generated output ('generated' mode). Fire and forget;
   * a store error is counted and the charge stands (the reservation expires unrefunded).
   */
  settle(res: SharedReservation, unused: number, completionTokens: number, refundUnused: boolean): Promise<StoreDecision | undefined> {
    const dims = res.dims.map((d, i): StoreDim => {
      const out: StoreDim = { field: d.field, limit: d.limit, windowMs: d.windowMs };
      if (d.capacity !== undefined) out.capacity = d.capacity;
      const debit = d.debit ?? d.check ?? 0;
      switch (res.kinds[i]) {
        case 'reserve':
          if (refundUnused && unused > 0) out.actual = Math.max(0, debit - unused);
          break;
        case 'generated-tokens':
        case 'generated-output':
          if (completionTokens > 0) out.actual = debit + completionTokens;
          break;
      }
      return out;
    });
    const op = { key: res.key, dims, reservationKey: res.reservationKey };
    if (res.local) return Promise.resolve(this.local.settleSync(op));
    return this.store.settle(op).then(
      (r) => {
        this.recovered();
        return r;
      },
      (e) => {
        this.failed(e);
        this.settleErrors++;
        return undefined;
      },
    );
  }

  state(): LimiterStoreState {
    const s: LimiterStoreState = {
      kind: this.store.kind,
      store: this.store.name,
      failure: this.failure,
      degraded: this.degraded,
      limiterDegraded: this.degradedCount,
      settleErrors: this.settleErrors,
      outages: this.outages.map((o) => ({ ...o })),
    };
    if (this.instances !== undefined) s.instances = this.instances;
    return s;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

function remainingOf(d: DimResult): number {
  return d.level <= 0 ? 0 : Math.floor(d.level / d.pp);
}

/** A rule's view from the store's integers: ⌊level / P'⌋, µs to full → ms. */
export function viewFromStore(limit: number, d: DimResult, capacity?: number): BucketView {
  const v: BucketView = { limit, remaining: remainingOf(d), resetMs: d.toFullUs / 1000 };
  if (capacity !== undefined && capacity !== limit) v.capacity = capacity;
  return v;
}

const EMPTY: BucketView = { limit: 0, remaining: 0, resetMs: 0 };

/** The headline views (requests, tokens) of a model from a store decision. */
export function limitsFromStore(m: ModelLimits, dims: readonly StoreDim[], r: readonly DimResult[]): LimitsView {
  const h = m.headline ?? { requests: 0, tokens: 1 };
  const rq = r[h.requests];
  const tk = r[h.tokens];
  return {
    requests: rq ? viewFromStore(dims[h.requests]!.limit, rq, dims[h.requests]!.capacity) : EMPTY,
    tokens: tk ? viewFromStore(dims[h.tokens]!.limit, tk, dims[h.tokens]!.capacity) : EMPTY,
  };
}
