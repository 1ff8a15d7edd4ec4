/**
 * Anthropic Messages API (reference §3): separate RPM, ITPM and OTPM buckets, output tokens
 * charged as generated (no max_tokens reservation), `anthropic-ratelimit-*` headers with
 * RFC 3339 resets and token remainders rounded to the thousand, `retry-after` (s) on 429,
 * `rate_limit_error`, the spend-cap 429 without retry-after, and 529 `overloaded_error`.
 */
import { DEFAULT_ENFORCEMENT } from '../core/rules.js';
import type { DialectSpec, ErrorBody } from './types.js';

export const RATE_LIMITS_DOC = 'https://docs.claude.com/en/api/rate-limits';

export const aErr = (status: number, type: string, message: string, requestId?: string, extra?: Record<string, unknown>): ErrorBody => ({
  status,
  body: { type: 'error', error: { type, message, ...extra }, ...(requestId ? { request_id: requestId } : {}) },
});

const WHAT: Record<string, string> = {
  rpm: 'requests per minute',
  itpm: 'input tokens per minute',
  otpm: 'output tokens per minute',
  tpm: 'tokens per minute',
  rpd: 'requests per day',
  tpd: 'tokens per day',
  rps: 'requests per second',
  tps: 'tokens per second',
  rp10s: 'requests per 10 seconds',
  tp10s: 'tokens per 10 seconds',
  concurrent: 'concurrent requests',
  burst: 'requests per second (acceleration limit)',
};

export const ANTHROPIC_DIALECT: DialectSpec = {
  name: 'anthropic',
  family: 'anthropic',
  scope: 'credential',
  enforcement: DEFAULT_ENFORCEMENT,
  charge: 'generated',
  headline: { requests: ['rpm'], tokens: ['itpm', 'tpm'] },
  headers: { style: 'anthropic', on429: true, retryAfter: 'seconds' },
  authHeaders: ['x-api-key', 'authorization'],
  requestIdHeader: 'request-id',
  errors: {
    rateLimited: (c) =>
      aErr(
        429,
        'rate_limit_error',
        `This request would exceed the rate limit for your organization (${c.org}) of ${c.limit} ${WHAT[c.rule] ?? c.rule}. For details, refer to: ${RATE_LIMITS_DOC}. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.`,
        c.requestId,
      ),
    requestTooLarge: (c) =>
      aErr(429, 'rate_limit_error', `This request would exceed the rate limit for your organization (${c.org}) of ${c.limit} ${WHAT[c.rule] ?? c.rule}: it needs ${c.requested} on its own. For details, refer to: ${RATE_LIMITS_DOC}.`, c.requestId),
    contextExceeded: (c) =>
      aErr(400, 'invalid_request_error', `prompt is too long: ${c.promptTokens + (c.maxTokens ?? 0)} tokens > ${c.contextWindow} maximum`, c.requestId),
    maxTokensTooLarge: (c) =>
      aErr(400, 'invalid_request_error', `max_tokens: ${c.value} > ${c.max}, which is the maximum allowed number of output tokens for ${c.model}`, c.requestId),
    badRequest: (c) => aErr(400, 'invalid_request_error', c.message, c.requestId),
    modelNotFound: (c) => aErr(404, 'not_found_error', `model: ${c.model}`, c.requestId),
    unauthorized: (c) => aErr(401, 'authentication_error', c.presented === undefined ? 'x-api-key header is required' : 'invalid x-api-key', c.requestId),
    quotaExceeded: (c) =>
      aErr(429, 'rate_limit_error', 'You have reached your specified API usage limits. You will regain access on the first day of next month.', c.requestId, {
        details: { error_code: 'enforced_spend_limit_reached' },
      }),
    overloaded: (c) => (c.status === 500 ? aErr(500, 'api_error', 'Internal server error', c.requestId) : aErr(529, 'overloaded_error', 'Overloaded', c.requestId)),
    serverError: (c) => aErr(500, 'api_error', 'Internal server error', c.requestId),
    payloadTooLarge: () => aErr(413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.'),
    invalidUrl: (c) => aErr(404, 'not_found_error', `Not Found (${c.method} ${c.path})`),
  },
};
