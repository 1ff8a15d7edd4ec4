/**
 * Azure OpenAI (reference §2): requests judged per 10 s (RPM/6; the limit header shows the
 * per-10 s value), TPM counted in fixed 60 s windows, RPM = 6 per 1,000 TPM unless set
 * (profiles/azure.ts), remaining/limit headers without reset headers, `retry-after` +
 * `retry-after-ms` on 429, Azure's 429 text, and the capacity 429 "high demand".
 */
import { err, OPENAI_DIALECT, OPENAI_ERRORS } from './openai.js';
import type { DialectSpec, ErrorBody } from './types.js';

export const AZURE_API_VERSION = '2024-10-21';

const azureErr = (status: number, code: string, message: string, headers?: Record<string, string>): ErrorBody => ({
  status,
  body: { error: { code, message } },
  ...(headers ? { headers } : {}),
});

export const AZURE_HIGH_DEMAND_MESSAGE =
  'The system is currently experiencing high demand and cannot process your request. Please retry after 20 seconds.';

export const AZURE_DIALECT: DialectSpec = {
  ...OPENAI_DIALECT,
  name: 'azure',
  enforcement: { requests: 'bucket', tokens: 'fixed', daily: 'bucket', subMinute: 'none', requestsPer10s: true },
  headline: { requests: ['rp10s', 'rpm'], tokens: ['tpm'] },
  headers: { style: 'azure', on429: true, retryAfter: 'seconds+ms' },
  authHeaders: ['api-key', 'authorization'],
  requestIdHeader: 'apim-request-id',
  errors: {
    ...OPENAI_ERRORS,
    rateLimited: (c) => {
      const s = Math.max(1, Math.ceil(Math.round(c.waitMs) / 1000));
      const what = c.rule === 'tpm' || c.rule === 'tpd' || c.rule === 'tps' || c.rule === 'tp10s' ? 'token rate limit' : 'call rate limit';
      return azureErr(
        429,
        '429',
        `Requests to the ChatCompletions_Create Operation under Azure OpenAI API version ${AZURE_API_VERSION} have exceeded ${what} of your current OpenAI S0 pricing tier. Please retry after ${s} second${s === 1 ? '' : 's'}. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`,
      );
    },
    requestTooLarge: (c) =>
      err(400, `Requests to the ChatCompletions_Create Operation under Azure OpenAI API version ${AZURE_API_VERSION} exceed the token rate limit of ${c.limit} tokens per minute: ${c.requested} requested.`, 'invalid_request_error', null, 'tokens_limit_reached'),
    unauthorized: () =>
      azureErr(401, '401', 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.'),
    overloaded: (c) =>
      c.status === 500 || c.status === 503 ? OPENAI_ERRORS.overloaded(c) : azureErr(429, '429', AZURE_HIGH_DEMAND_MESSAGE, { 'retry-after': '20', 'retry-after-ms': '20000' }),
    modelNotFound: (c) =>
      azureErr(404, 'DeploymentNotFound', `The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again. (${c.model})`),
  },
};
