/**
 * OpenAI (reference §1, §6): continuous buckets for RPM/TPM (RPD/TPD when set), six
 * `x-ratelimit-*` headers on every chat answer, `retry-after` + `retry-after-ms` on rate 429s,
 * `insufficient_quota` for a spent budget (fatal, no retry-after).
 */
import { contextLengthMessage, INVALID_JSON_MESSAGE, maxTokensTooLargeMessage, modelNotFoundMessage, RATE_LIMITS_URL, requestTooLargeMessage } from '../core/dialect-openai.js';
import { formatGoDuration } from '../../src/protocol/duration.js';
import { DEFAULT_ENFORCEMENT, RULE_LABEL, type RuleName } from '../core/rules.js';
import type { DialectErrors, DialectSpec, ErrorBody, RateLimitContext } from './types.js';

export { INVALID_JSON_MESSAGE };

export const err = (status: number, message: string, type: string, param: string | null, code: string | null, headers?: Record<string, string>): ErrorBody => ({
  status,
  body: { error: { message, type, param, code } },
  ...(headers ? { headers } : {}),
});

const TYPE_OF = (rule: RuleName | 'burst'): string =>
  rule === 'rpm' || rule === 'rpd' || rule === 'rps' || rule === 'rp10s' || rule === 'concurrent' || rule === 'burst' ? 'requests' : 'tokens';

export function openaiRateMessage(c: RateLimitContext, label = RULE_LABEL): string {
  const on = c.rule === 'burst' ? 'requests per second (burst)' : label[c.rule];
  return `Rate limit reached for ${c.model} in organization ${c.org} on ${on}: Limit ${c.limit}, Used ${c.used}, Requested ${c.requested}. Please try again in ${formatGoDuration(c.waitMs)}. Visit ${RATE_LIMITS_URL} to learn more.`;
}

export const OPENAI_QUOTA_MESSAGE =
  'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.';

export function maskKey(k: string): string {
  return k.length <= 8 ? '*'.repeat(k.length) : `${k.slice(0, 3)}*************${k.slice(-4)}`;
}

export const OPENAI_ERRORS: DialectErrors = {
  rateLimited: (c) => err(429, openaiRateMessage(c), TYPE_OF(c.rule), null, 'rate_limit_exceeded'),
  requestTooLarge: (c) => err(429, requestTooLargeMessage('tokens', c.model, c.org, c.limit, c.requested), 'tokens', null, 'rate_limit_exceeded'),
  contextExceeded: (c) => err(400, contextLengthMessage(c.contextWindow, c.promptTokens, c.maxTokens), 'invalid_request_error', 'messages', 'context_length_exceeded'),
  maxTokensTooLarge: (c) => err(400, maxTokensTooLargeMessage(c.param, c.value, c.max), 'invalid_request_error', c.param, 'invalid_value'),
  badRequest: (c) => err(400, c.message, 'invalid_request_error', c.param, c.code),
  modelNotFound: (c) => err(404, modelNotFoundMessage(c.model), 'invalid_request_error', null, 'model_not_found'),
  unauthorized: (c) =>
    c.presented === undefined
      ? err(
          401,
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.",
          'invalid_request_error',
          null,
          null,
        )
      : err(401, `Incorrect API key provided: ${maskKey(c.presented)}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_request_error', null, 'invalid_api_key'),
  quotaExceeded: () => err(429, OPENAI_QUOTA_MESSAGE, 'insufficient_quota', null, 'insufficient_quota'),
  overloaded: (c) =>
    c.status === 500
      ? err(500, 'The server had an error while processing your request. Sorry about that!', 'server_error', null, null)
      : err(503, 'The server is overloaded or not ready yet.', 'server_error', null, null),
  serverError: () => err(500, 'The server had an error while processing your request. Sorry about that!', 'server_error', null, null),
  payloadTooLarge: (c) => err(413, `${c.bytes === undefined ? 'The request body' : `The request body (${c.bytes} bytes)`} exceeds the maximum of ${c.max} bytes.`, 'invalid_request_error', null, 'request_too_large'),
  invalidUrl: (c) => err(404, `Invalid URL (${c.method} ${c.path})`, 'invalid_request_error', null, null),
};

export const OPENAI_DIALECT: DialectSpec = {
  name: 'openai',
  family: 'openai',
  scope: 'credential',
  enforcement: DEFAULT_ENFORCEMENT,
  charge: 'reserve',
  headline: { requests: ['rpm', 'rp10s', 'rpd'], tokens: ['tpm', 'tpd'] },
  headers: { style: 'openai', on429: true, retryAfter: 'seconds+ms' },
  authHeaders: ['authorization'],
  requestIdHeader: 'x-request-id',
  errors: OPENAI_ERRORS,
};
