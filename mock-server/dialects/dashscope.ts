/**
 * Alibaba DashScope, OpenAI-compatible mode (reference §4): limits per root account (every key
 * shares them), RPM/TPM with per-second enforcement at RPM/60 and TPM/60, no rate-limit headers
 * and no retry-after, `limit_requests` for requests, the TPM throttle worded as
 * `insufficient_quota` (retryable: it clears within the minute), `limit_burst_rate` from the
 * burst guard, and the "Range of … should be [1, N]" validation messages.
 */
import { err, OPENAI_DIALECT, OPENAI_ERRORS, OPENAI_QUOTA_MESSAGE } from './openai.js';
import type { DialectSpec, ErrorBody } from './types.js';

const withId = (e: ErrorBody, requestId: string): ErrorBody => ({ ...e, body: { ...(e.body as object), request_id: requestId } });

export const DASHSCOPE_LIMIT_REQUESTS_MESSAGE =
  'You have exceeded your current request limit. For details, see: https://help.aliyun.com/zh/model-studio/error-code#rate-limit';
export const DASHSCOPE_BURST_MESSAGE =
  'Request rate increased too quickly. To ensure system stability, please adjust your client logic to scale requests more smoothly over time.';

export const DASHSCOPE_DIALECT: DialectSpec = {
  ...OPENAI_DIALECT,
  name: 'dashscope',
  scope: 'account',
  enforcement: { requests: 'bucket', tokens: 'bucket', daily: 'bucket', subMinute: '1s', requestsPer10s: false },
  headline: { requests: ['rpm'], tokens: ['tpm'] },
  headers: { style: 'none', on429: false, retryAfter: 'none' },
  requestIdHeader: 'x-request-id',
  errors: {
    ...OPENAI_ERRORS,
    rateLimited: (c) => {
      if (c.rule === 'burst') return withId(err(429, DASHSCOPE_BURST_MESSAGE, 'limit_burst_rate', null, 'limit_burst_rate'), c.requestId);
      if (c.rule === 'tpm' || c.rule === 'tps' || c.rule === 'tpd' || c.rule === 'tp10s') {
        return withId(err(429, OPENAI_QUOTA_MESSAGE, 'insufficient_quota', 'insufficient_quota', 'insufficient_quota'), c.requestId);
      }
      return withId(err(429, DASHSCOPE_LIMIT_REQUESTS_MESSAGE, 'limit_requests', null, 'limit_requests'), c.requestId);
    },
    requestTooLarge: (c) => withId(err(400, `Range of input length should be [1, ${c.limit}]`, 'invalid_request_error', null, 'invalid_parameter_error'), c.requestId),
    contextExceeded: (c) =>
      withId(err(400, `Range of input length should be [1, ${c.maxInputTokens ?? c.contextWindow}]`, 'invalid_request_error', null, 'invalid_parameter_error'), c.requestId),
    maxTokensTooLarge: (c) => withId(err(400, `Range of max_tokens should be [1, ${c.max}]`, 'invalid_request_error', null, 'invalid_parameter_error'), c.requestId),
    unauthorized: (c) => withId(err(401, 'Incorrect API key provided. ', 'invalid_request_error', null, 'invalid_api_key'), c.requestId),
    quotaExceeded: (c) => withId(err(403, 'Access denied, please make sure your account is in good standing.', 'Arrearage', null, 'Arrearage'), c.requestId),
    modelNotFound: (c) => withId(err(404, `The model \`${c.model}\` does not exist or you do not have access to it.`, 'invalid_request_error', null, 'model_not_found'), c.requestId),
  },
};
