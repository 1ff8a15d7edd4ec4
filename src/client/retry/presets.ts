/**
 * What popular clients do by default, parameter for parameter (retry-anchors.md §1–2), plus
 * the building-block arms of the retry shootout. A preset is a RetrySpec; scenario fields
 * override it.
 */
import type { RetrySpec } from './spec.js';

/** The naive loop's safety bound: "retry forever" stops after this many attempts so a run ends. */
export const NAIVE_MAX_ATTEMPTS = 50;

export const PRESETS = {
  /** No retries at all. */
  none: { maxAttempts: 1 },
  /**
   * openai-node v7.5 (src/client.ts): maxRetries 2 (3 attempts); 408/409/429/≥500 and
   * connection errors; retry-after-ms, else retry-after, obeyed only when 0 ≤ d ≤ 60 s, else the
   * default backoff min(0.5 s · 2^n, 8 s) · (1 − 0.25 U) (an early retry). x-should-retry is
   * not visible in an AttemptResult: use `client.kind: openai-sdk` to test it for real.
   */
  'openai-node': {
    maxAttempts: 3,
    retryOn: 'status-408-409-429-5xx',
    backoff: { type: 'stainless', baseMs: 500, capMs: 8_000 },
    retryAfter: { honor: true, capMs: 60_000, beyondCap: 'backoff' },
  },
  /** anthropic-sdk-typescript: the same, but any retry-after is obeyed, however long. */
  anthropic: {
    maxAttempts: 3,
    retryOn: 'status-408-409-429-5xx',
    backoff: { type: 'stainless', baseMs: 500, capMs: 8_000 },
    retryAfter: { honor: true },
  },
  /** openai-python ≥ 2026-07 (PR #3555): advice up to 120 s obeyed, longer → no retry. */
  'openai-python': {
    maxAttempts: 3,
    retryOn: 'status-408-409-429-5xx',
    backoff: { type: 'stainless', baseMs: 500, capMs: 8_000 },
    retryAfter: { honor: true, capMs: 120_000, beyondCap: 'fail' },
  },
  /**
   * Vercel AI SDK retryWithExponentialBackoff: maxRetries 2, 2 s then 4 s, no jitter; the
   * header is used when ≥ 0 and (< 60 s or shorter than the current backoff).
   */
  'vercel-ai': {
    maxAttempts: 3,
    retryOn: 'status-408-409-429-5xx',
    backoff: { type: 'exponential', baseMs: 2_000, capMs: Number.MAX_SAFE_INTEGER, factor: 2 },
    retryAfter: { honor: true, capMs: 60_000, beyondCap: 'backoff', shorterThanBackoff: true },
  },
  /**
   * LangChain.js AsyncCaller: p-retry with retries 6 (7 attempts), factor 2, minTimeout 1 s,
   * no max, randomize ×U[1, 2); retries everything but 400–407/409/quota; ignores Retry-After.
   */
  langchain: {
    maxAttempts: 7,
    retryOn: 'not-4xx',
    backoff: { type: 'p-retry', baseMs: 1_000, capMs: Number.MAX_SAFE_INTEGER, factor: 2 },
    retryAfter: { honor: false },
  },
  /**
   * The loop vendor pages print: on 429 sleep a fixed 10 s and retry, forever. Bounded at
   * NAIVE_MAX_ATTEMPTS attempts (a safety bound, not part of the original).
   */
  naive: {
    maxAttempts: NAIVE_MAX_ATTEMPTS,
    retryOn: '429-only',
    backoff: { type: 'fixed', delayMs: 10_000 },
    retryAfter: { honor: false },
  },
  /** AWS SDK standard mode: 3 attempts, full jitter, 500 ms throttling base, 20 s cap, hint as a floor, retry quota 500/5/10/+1. */
  'aws-standard': {
    maxAttempts: 3,
    backoff: { type: 'full-jitter', baseMs: 500, capMs: 20_000 },
    retryAfter: { honor: true, combine: 'max' },
    budget: { quota: { initial: 500, cost: 5, timeoutCost: 10, noRetryIncrement: 1 } },
  },
  /** AWS SDK adaptive mode: standard + the CUBIC client rate limiter. */
  'aws-adaptive': {
    maxAttempts: 3,
    backoff: { type: 'full-jitter', baseMs: 500, capMs: 20_000 },
    retryAfter: { honor: true, combine: 'max' },
    budget: { quota: { initial: 500, cost: 5, timeoutCost: 10, noRetryIncrement: 1 } },
    adaptive: { type: 'cubic' },
  },
  /** Google SRE: 3 attempts, randomised exponential, ≤ 10 % retries per client, adaptive throttling K = 2 over 2 min. */
  sre: {
    maxAttempts: 3,
    backoff: { type: 'full-jitter', baseMs: 500, capMs: 20_000 },
    budget: { ratio: 0.1 },
    throttle: { k: 2, windowMs: 120_000 },
  },
  /** OpenAI cookbook parallel processor: RPM+TPM buckets, 15 s pause after a 429, 5 attempts, re-sent without backoff. */
  cookbook: {
    maxAttempts: 5,
    backoff: { type: 'none' },
    retryAfter: { honor: false },
    pacing: { headroom: 0.9, burstSeconds: 60, refund: false, pauseAfter429Ms: 15_000 },
  },

  // ---- the shootout's building-block arms (retry until done: 30 attempts)
  /** Capped exponential, no jitter: 0.5 s · 2^n up to 8 s. */
  'no-jitter': { maxAttempts: 30, backoff: { type: 'exponential', baseMs: 500, capMs: 8_000 }, retryAfter: { honor: false } },
  /** Full jitter (AWS): U(0, min(20 s, 0.5 s · 2^n)). */
  'full-jitter': { maxAttempts: 30, backoff: { type: 'full-jitter', baseMs: 500, capMs: 20_000 }, retryAfter: { honor: false } },
  'equal-jitter': { maxAttempts: 30, backoff: { type: 'equal-jitter', baseMs: 500, capMs: 20_000 }, retryAfter: { honor: false } },
  'decorrelated-jitter': { maxAttempts: 30, backoff: { type: 'decorrelated-jitter', baseMs: 500, capMs: 20_000 }, retryAfter: { honor: false } },
  /**
   * Retry-After-strict (RPB P7): max(advice, a small full-jitter backoff) + U(0, 250 ms), no cap:
   * never before the advised time, and a herd told the same time is spread by the backoff.
   */
  'retry-after': {
    maxAttempts: 30,
    backoff: { type: 'full-jitter', baseMs: 500, capMs: 20_000 },
    retryAfter: { honor: true, useResetHeaders: true, combine: 'max', spreadMs: 250 },
  },
  /** AIMD token-rate limiter + Retry-After-aware retries. */
  aimd: {
    maxAttempts: 30,
    backoff: { type: 'full-jitter', baseMs: 500, capMs: 20_000 },
    retryAfter: { honor: true, useResetHeaders: true, combine: 'max', spreadMs: 250 },
    adaptive: { type: 'aimd', unit: 'tokens' },
  },
  /** AWS-style CUBIC request-rate limiter + Retry-After-aware retries (no quota: retry until done). */
  adaptive: {
    maxAttempts: 30,
    backoff: { type: 'full-jitter', baseMs: 500, capMs: 20_000 },
    retryAfter: { honor: true, useResetHeaders: true, combine: 'max', spreadMs: 250 },
    adaptive: { type: 'cubic', cutCooldownMs: 1_000 },
  },
  /** Proactive pacing (RPB P11): RPM+TPM buckets at the whole limit with refunds, Retry-After on the fallback path. */
  pacing: {
    maxAttempts: 30,
    backoff: { type: 'full-jitter', baseMs: 500, capMs: 20_000 },
    retryAfter: { honor: true, useResetHeaders: true, combine: 'max', spreadMs: 250 },
    pacing: { headroom: 1, burstSeconds: 60, refund: true },
  },
  /**
   * Pacing as a fleet does it under per-second enforcement: one RPM+TPM limiter shared by every
   * client on the key (a shared bucket, e.g. Redis) at 95 % of the key's limits, 1 s burst.
   */
  'shared-pacing': {
    maxAttempts: 30,
    backoff: { type: 'full-jitter', baseMs: 500, capMs: 20_000 },
    retryAfter: { honor: true, useResetHeaders: true, combine: 'max', spreadMs: 250 },
    pacing: { scope: 'shared', headroom: 0.95, burstSeconds: 1, refund: true },
  },
  /** Built to ignore the server: a fixed 200 ms retry, whatever Retry-After says (the referee's early-retry test). */
  'ignore-retry-after': { maxAttempts: 30, backoff: { type: 'fixed', delayMs: 200 }, retryAfter: { honor: false } },
} as const satisfies Record<string, RetrySpec>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function isPresetName(s: string): s is PresetName {
  return Object.hasOwn(PRESETS, s);
}
