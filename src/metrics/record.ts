/**
 * One attempt = one AttemptRecord = one requests.csv row. A retry is a new attempt of the
 * same request (same requestId, attempt + 1). Times are ms relative to run start, from a
 * monotonic clock; undefined means "not applicable" (an empty CSV cell).
 */
export const OUTCOMES = [
  'ok',
  'rate_limited_requests',
  'rate_limited_tokens',
  'rate_limited_other',
  'quota_exhausted',
  'context_exceeded',
  'bad_request',
  'auth_error',
  'overloaded',
  'server_error',
  'timeout',
  'network_error',
  'dropped',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const RATE_LIMITED: readonly Outcome[] = ['rate_limited_requests', 'rate_limited_tokens', 'rate_limited_other'];

/** The rate-limit headers seen on a response, parsed (one definition: the wire format's). */
export type { RateLimitHeaders } from '../protocol/openai.js';
import type { RateLimitHeaders } from '../protocol/openai.js';

export interface AttemptRecord {
  requestId: number;
  attempt: number;
  group: string;
  phase: string;
  /** When the plan said this attempt should start (a retry: when the client's policy scheduled it). */
  targetedStartMs: number;
  /** Retries only (attempt > 1): the request's first planned send, where its response time starts. */
  firstTargetedStartMs?: number;
  /** When it was actually handed to the socket (undefined for dropped). */
  startMs?: number;
  firstByteMs?: number;
  firstTokenMs?: number;
  endMs: number;
  /** HTTP status; undefined when no response arrived (timeout, network error, dropped). */
  status?: number;
  outcome: Outcome;
  /** Provider's error code (e.g. rate_limit_exceeded) or a transport code (ECONNRESET). */
  errorCode?: string;
  errorMessage?: string;
  /** From the response's usage (server-reported), when present. */
  promptTokens?: number;
  completionTokens?: number;
  /** Our tokenizer's count of the prompt we sent. */
  promptTokensEstimate: number;
  maxTokens?: number;
  retryAfterMs?: number;
  rateLimit?: RateLimitHeaders;
  /** Bytes of response body received. */
  bytesIn?: number;
  stream?: boolean;
}
