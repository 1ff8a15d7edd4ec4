/**
 * What a client retry policy is made of, as data (the scenario's `client.retry`, normalized).
 * Every field is optional; a preset fills a whole policy in and explicit fields override it.
 * The scenario schema (src/scenario/retry-schema.ts) produces exactly this shape.
 */

export type BackoffSpec =
  /** Retry at once. */
  | { type: 'none' }
  /** Always the same wait. */
  | { type: 'fixed'; delayMs: number }
  /** base · factor^n, capped (n = retries already made). */
  | { type: 'exponential'; baseMs: number; capMs: number; factor?: number }
  /** U(0, expo(n)) (AWS "full jitter"). */
  | { type: 'full-jitter'; baseMs: number; capMs: number; factor?: number }
  /** expo(n)/2 + U(0, expo(n)/2). */
  | { type: 'equal-jitter'; baseMs: number; capMs: number; factor?: number }
  /** min(cap, U(base, 3 · previous)), starting from base. */
  | { type: 'decorrelated-jitter'; baseMs: number; capMs: number }
  /** Stainless SDKs (openai-node, anthropic): min(base · 2^n, cap) · (1 − 0.25 · U). */
  | { type: 'stainless'; baseMs: number; capMs: number }
  /** p-retry with randomize (LangChain.js): min(base · factor^n · U[1, 2), cap). */
  | { type: 'p-retry'; baseMs: number; capMs: number; factor: number };

export type BackoffType = BackoffSpec['type'];

export interface RetryAfterSpec {
  /** Read the server's advice (retry-after-ms, else retry-after; then x-ratelimit-reset-* when `useResetHeaders`). */
  honor: boolean;
  /** Advice longer than this is not obeyed as is (see `beyondCap`). Absent: no cap. */
  capMs?: number;
  /** Over the cap: `backoff` (use the computed backoff: an early retry, as openai-node/Vercel), `fail` (give up, as openai-python ≥ 2026-07), `cap` (wait capMs). */
  beyondCap?: 'backoff' | 'fail' | 'cap';
  /** How the advice combines with the backoff: `advice` (the advice alone), `max` (max(advice, backoff): AWS). Default `advice`. */
  combine?: 'advice' | 'max';
  /** Also read x-ratelimit-reset-requests/-tokens (the limit the 429 names) when no retry-after came. */
  useResetHeaders?: boolean;
  /** Added spread U(0, spreadMs) on top of the advice, so a herd told the same time does not return in step. */
  spreadMs?: number;
  /** Vercel AI SDK rule: obey the advice also above the cap when it is shorter than the backoff. */
  shorterThanBackoff?: boolean;
}

/** Client-side pacing (OpenAI cookbook): RPM and TPM token buckets, reserving prompt + max_tokens before sending. */
export interface PacingSpec {
  /** This client's request budget per minute. Absent: the target's limit × headroom ÷ clients. */
  rpm?: number;
  tpm?: number;
  /** Fraction of the limit to use when rpm/tpm are derived (cookbook: 0.5–0.75; 1 = the whole limit). Default 0.9. */
  headroom?: number;
  /** Bucket capacity in seconds of refill (cookbook: 60, a full minute's burst). Default 60. */
  burstSeconds?: number;
  /** Give the unused part of max_tokens back when a response says how many were generated (as the provider does). Default true. */
  refund?: boolean;
  /**
   * `client` (default): each client paces its own share (the target's limits × headroom ÷ clients).
   * `shared`: the clients on one key pace through one limiter at the key's limits × headroom (a
   * shared rate limiter, e.g. a Redis bucket all workers take from): no share sits idle while
   * another client still has work.
   */
  scope?: 'client' | 'shared';
  /** Cookbook: after a 429, nothing is sent for this long (15 s there). Default 0. */
  pauseAfter429Ms?: number;
}

/** A send-rate controller that learns the limit from 429s. */
export type AdaptiveSpec =
  /** Additive increase, multiplicative decrease over a token bucket (unit: requests or tokens). */
  | { type: 'aimd'; unit?: 'requests' | 'tokens'; increasePerSec?: number; decrease?: number; minRate?: number; initialRate?: number }
  /** AWS SDK adaptive mode's DefaultRateLimiter (CUBIC, request units), constants as in smithy util-retry. */
  | {
      type: 'cubic';
      beta?: number;
      scaleConstant?: number;
      minFillRate?: number;
      /** At most one multiplicative cut per this many ms (a herd of 429s is one congestion signal). Default 0: every throttle cuts (AWS). */
      cutCooldownMs?: number;
    };

/** Client retry budgets: SRE's per-client retry ratio, and AWS's retry quota. */
export interface BudgetSpec {
  /** Retries allowed while retries / first attempts stays ≤ this (SRE: 0.1). */
  ratio?: number;
  /** AWS standard retry quota: initial 500, cost 5 per retry (10 for timeouts), +1 per success without retry, refund on success after retry. */
  quota?: { initial: number; cost: number; timeoutCost: number; noRetryIncrement: number };
}

/** SRE client-side adaptive throttling: reject locally with P = max(0, (requests − K·accepts)/(requests + 1)). */
export interface ThrottleSpec {
  k: number;
  windowMs: number;
}

export interface RetrySpec {
  /** Start from a preset (openai-node, anthropic, vercel-ai, langchain, naive, aws-standard, aws-adaptive, …); fields below override it. */
  preset?: string;
  /** Attempts in all (first + retries). `naive` has no limit in spirit; a safety bound is applied. */
  maxAttempts?: number;
  backoff?: BackoffSpec;
  retryAfter?: RetryAfterSpec;
  /** Which outcomes are retried: `outcome` (rate limits, overload, 5xx, timeouts, network; never quota/context/bad request/auth), `status-408-409-429-5xx` (Stainless/Vercel), `not-4xx` (LangChain: all but 400–407, 409), `429-only` (naive loop). */
  retryOn?: 'outcome' | 'status-408-409-429-5xx' | 'not-4xx' | '429-only';
  pacing?: PacingSpec;
  adaptive?: AdaptiveSpec;
  budget?: BudgetSpec;
  throttle?: ThrottleSpec;
}
