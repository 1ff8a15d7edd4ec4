/**
 * Fatal vs retryable. By outcome class (our default): rate limits, overload, 5xx, timeouts
 * and network errors are retried; quota_exhausted (billing), context_exceeded, bad_request,
 * auth_error and dropped never are, and neither is the 429 that can never succeed
 * ("Request too large": error code request_too_large). The SDK presets decide by status as
 * their SDKs do (retry-anchors.md §2).
 */
import type { AttemptResult } from '../../exec/ports.js';
import type { Outcome } from '../../metrics/record.js';
import type { RetrySpec } from './spec.js';

export const RETRYABLE_OUTCOMES: ReadonlySet<Outcome> = new Set<Outcome>([
  'rate_limited_requests',
  'rate_limited_tokens',
  'rate_limited_other',
  'overloaded',
  'server_error',
  'timeout',
  'network_error',
]);

/** Outcomes that no policy ever retries, whatever its status rule says. */
export const FATAL_OUTCOMES: ReadonlySet<Outcome> = new Set<Outcome>(['quota_exhausted', 'context_exceeded']);

export function isRateLimited(r: Pick<AttemptResult, 'outcome'>): boolean {
  return r.outcome === 'rate_limited_requests' || r.outcome === 'rate_limited_tokens' || r.outcome === 'rate_limited_other';
}

export function isRetryable(r: AttemptResult, rule: NonNullable<RetrySpec['retryOn']> = 'outcome'): boolean {
  if (r.outcome === 'ok' || r.outcome === 'dropped') return false;
  if (FATAL_OUTCOMES.has(r.outcome)) return false;
  if (r.errorCode === 'request_too_large') return false;
  if (r.errorCode === 'AbortError') return false; // the run stopped it
  const s = r.status;
  switch (rule) {
    case 'outcome':
      return RETRYABLE_OUTCOMES.has(r.outcome);
    case 'status-408-409-429-5xx':
      // Stainless shouldRetry / Vercel isRetryable: no response (connection error, timeout) is retried too.
      return s === undefined || s === 408 || s === 409 || s === 429 || s >= 500;
    case 'not-4xx':
      // LangChain AsyncCaller: everything except 400–407 and 409 (and quota, excluded above).
      return s === undefined || !((s >= 400 && s <= 407) || s === 409);
    case '429-only':
      return s === 429;
  }
}
