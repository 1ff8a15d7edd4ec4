/**
 * The `LimiterStore` boundary: where shared limiter state lives, behind two operations that
 * each run atomically over all the dimensions of one decision (scale-anchors §1.4):
 *
 * - admit:  refill every dimension to `now`, then debit all of them or none; optionally record
 *           a reservation (id → per-dimension debit, deadline) for a later settle.
 * - settle: refund the unused part of the reservation (estimate − actual per dimension, clamped
 *           at full; actual > estimate leaves debt), idempotent per id: a second settle, an
 *           unknown id or an expired reservation changes nothing.
 *
 * Both stores run the same scaled-integer arithmetic (arith.ts): the memory store in JS, the
 * Redis store as two Lua scripts. Their replies are the same integer tuple, so everything the
 * mock derives from them (decisions, 429 bodies, rate-limit headers) goes through one code path.
 */

/** One dimension (limit rule) of a decision. Limits are integers per `windowMs`. */
export interface StoreDim {
  /** Field name inside the bucket hash (the rule name: rpm, tpm, rpd, …). */
  field: string;
  /** Refill per `windowMs`. */
  limit: number;
  windowMs: number;
  /** Bucket size when it differs from `limit` (burst ≠ refill). Default: limit. */
  capacity?: number;
  /** What must fit now (tokens or requests). Admit only. */
  check?: number;
  /** What is taken when admitted (≤ check; 0 for a rule only checked). Default: check. */
  debit?: number;
  /** A token dimension: `check` above the capacity is "too large" (never succeeds). */
  tokens?: boolean;
  /** A request dimension: under `rejectedCount` a rejection still takes one. */
  requests?: boolean;
  /** Settle only: the actual use; refund = reserved − actual. Absent: unchanged. */
  actual?: number;
}

export interface AdmitOp {
  /** Bucket hash key, e.g. `lp:{org}:model` (hash tag = scope, so a cluster keeps one slot). */
  key: string;
  dims: readonly StoreDim[];
  /** Reservation id (its own key, same hash tag); absent: nothing to settle later. */
  reservation?: { key: string; ttlMs: number };
  /** A rejection still counts one request on request dimensions. Default false. */
  rejectedCount?: boolean;
  /** Test-only time in µs (the memory store always honours it; Redis only in test mode). */
  now?: number;
}

export interface SettleOp {
  key: string;
  dims: readonly StoreDim[];
  reservationKey: string;
  now?: number;
}

export type StoreOutcome = 'allow' | 'deny' | 'too_large' | 'settled' | 'unknown' | 'expired';
export const OUTCOME_CODES: readonly StoreOutcome[] = ['allow', 'deny', 'too_large', 'settled', 'unknown', 'expired'];

/** Per-dimension integers after the operation. */
export interface DimResult {
  /** Level as a scaled integer (tokens × P'); may be negative (debt). */
  level: number;
  /** P' (µs per token after the gcd reduction): remaining = ⌊level / P'⌋. */
  pp: number;
  /** µs until full. */
  toFullUs: number;
  /** Whether `check` fit (admit); true otherwise. */
  ok: boolean;
  /** µs until `check` would fit (0 when it fits). */
  waitUs: number;
}

export interface StoreDecision {
  outcome: StoreOutcome;
  /** The store's time of the decision (µs): Redis TIME in production. */
  nowUs: number;
  /** max waitUs over the dimensions that did not fit. */
  retryAfterUs: number;
  dims: DimResult[];
}

export interface LimiterStore {
  readonly kind: 'memory' | 'redis';
  /** For messages (the Redis URL without credentials, or "memory"). */
  readonly name: string;
  admit(op: AdmitOp): Promise<StoreDecision>;
  settle(op: SettleOp): Promise<StoreDecision>;
  /** Drops every key under this store's prefix (tests). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** The store could not be reached or answered with an error. */
export class StoreUnavailableError extends Error {
  constructor(
    readonly store: string,
    override readonly cause: unknown,
  ) {
    super(`limiter store ${store} unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'StoreUnavailableError';
  }
}
