/**
 * The mock's control state: what it admitted and rejected and why, tokens in and out, and the
 * bucket levels. Served as JSON at GET /__limitprobe/state and readable in process through
 * `core.state()`, so a harness can compare the limits it inferred with the truth.
 */
import type { BucketView } from './bucket.js';
import type { Enforcement, RuleName } from './rules.js';
import type { LimiterStoreState } from '../store/shared.js';

/** Rejection classes, named after the harness's outcome classes where one exists. */
export const REJECTION_CLASSES = [
  'rate_limited_requests',
  'rate_limited_tokens',
  /** The never-succeeds 429 (request larger than the TPM limit). */
  'request_too_large',
  'context_exceeded',
  'bad_request',
  'not_found',
  'payload_too_large',
  'server_error',
  /** Missing or unknown API key. */
  'unauthorized',
  /** Spend budget used up (insufficient_quota, spend cap). */
  'quota_exceeded',
  /** Provider-wide overload (503/500/529, Azure high demand). */
  'overloaded',
] as const;
export type RejectionClass = (typeof REJECTION_CLASSES)[number];

export class Counters {
  /** Chat requests admitted (charged to the buckets). */
  admitted = 0;
  /** Admitted requests whose response finished (fully sent, or ended by the client). */
  completed = 0;
  /** Of those, ended early by the client (disconnect/abort). */
  aborted = 0;
  rejected: Record<RejectionClass, number> = Counters.zeroRejected();
  promptTokens = 0;
  completionTokens = 0;
  /** Tokens charged to TPM at admission (prompt + max_tokens). */
  chargedTokens = 0;
  /** Tokens returned to TPM at response end (unused max_tokens). */
  refundedTokens = 0;

  static zeroRejected(): Record<RejectionClass, number> {
    const r = {} as Record<RejectionClass, number>;
    for (const k of REJECTION_CLASSES) r[k] = 0;
    return r;
  }

  get inFlight(): number {
    return this.admitted - this.completed;
  }

  get rejectedTotal(): number {
    let n = 0;
    for (const k of REJECTION_CLASSES) n += this.rejected[k];
    return n;
  }
}

export interface ModelState {
  admitted: number;
  rejected: number;
  buckets: { requests: BucketView; tokens: BucketView };
  /** Every enforced rule (rpm, tpm, rpd, itpm, rps, …). */
  rules?: Partial<Record<RuleName, BucketView>>;
}

/** The JSON of GET /__limitprobe/state. */
export interface MockState {
  /** Clock time of the snapshot (ms, the mock's clock). */
  now: number;
  profile: string;
  dialect: string;
  org: string;
  /** The default model: `buckets` are its buckets. */
  model: string;
  admitted: number;
  completed: number;
  aborted: number;
  inFlight: number;
  rejected: Record<RejectionClass, number>;
  rejectedTotal: number;
  tokens: { prompt: number; completion: number; charged: number; refunded: number };
  buckets: { requests: BucketView; tokens: BucketView };
  /** Every model of the profile, with its own buckets (limits are per model). */
  models: Record<string, ModelState>;
  /** Per tenant: limit scope, spend, and the rules of the models it used. */
  tenants?: Record<string, { scope: string; spentUsd: number; budgetUsd?: number; models: Record<string, Partial<Record<RuleName, BucketView>>> }>;
  settings: {
    refundUnused: boolean;
    rejectedConsumeRequests: boolean;
    bothExhausted: string;
    outputLength: string;
    seed: number;
    validateFirst?: boolean;
    enforcement?: Enforcement;
    limitChanges?: number;
  };
  /** The shared limiter store, when one is configured: kind, failure mode, outage intervals (instance clock, ms). */
  limiterStore?: LimiterStoreState;
}
