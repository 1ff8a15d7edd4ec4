import { describe, expect, it } from 'vitest';
import { classify, type ClassifyInput } from '../../src/metrics/classify.js';
import type { Outcome } from '../../src/metrics/record.js';

type Row = [name: string, input: ClassifyInput, outcome: Outcome, errorCode?: string];

const OPENAI_TPM =
  'Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Used 29937, Requested 385. Please try again in 644ms.';
const OPENAI_RPM = 'Rate limit reached for gpt-4o in organization org-x on requests per min (RPM): Limit 500, Used 500, Requested 1.';
const TOO_LARGE =
  'Request too large for gpt-4 in organization org-x on tokens per min (TPM): Limit 10000, Requested 12000. The input or output tokens must be reduced in order to run successfully.';
const QUOTA = 'You exceeded your current quota, please check your plan and billing details.';

const rows: Row[] = [
  // OpenAI
  ['openai 200', { dialect: 'openai', status: 200 }, 'ok'],
  ['openai RPM', { dialect: 'openai', status: 429, errorType: 'requests', errorCode: 'rate_limit_exceeded', message: OPENAI_RPM }, 'rate_limited_requests', 'rate_limit_exceeded'],
  ['openai TPM', { dialect: 'openai', status: 429, errorType: 'tokens', errorCode: 'rate_limit_exceeded', message: OPENAI_TPM }, 'rate_limited_tokens', 'rate_limit_exceeded'],
  ['openai tokens_usage_based', { dialect: 'openai', status: 429, errorType: 'tokens_usage_based', errorCode: 'rate_limit_exceeded' }, 'rate_limited_tokens', 'rate_limit_exceeded'],
  ['openai request too large', { dialect: 'openai', status: 429, errorType: 'tokens', errorCode: 'rate_limit_exceeded', message: TOO_LARGE }, 'rate_limited_tokens', 'request_too_large'],
  ['openai untyped TPM (old body)', { dialect: 'openai', status: 429, errorCode: 'rate_limit_exceeded', message: OPENAI_TPM }, 'rate_limited_tokens', 'rate_limit_exceeded'],
  ['openai insufficient_quota is fatal', { dialect: 'openai', status: 429, errorType: 'insufficient_quota', errorCode: 'insufficient_quota', message: QUOTA }, 'quota_exhausted', 'insufficient_quota'],
  ['openai old quota body (code null)', { dialect: 'openai', status: 429, errorType: 'insufficient_quota' }, 'quota_exhausted', 'insufficient_quota'],
  ['openai unknown 429', { dialect: 'openai', status: 429 }, 'rate_limited_other'],
  ['openai RPM wording without code or type is not trusted', { dialect: 'openai', status: 429, errorType: 'weird', message: OPENAI_RPM }, 'rate_limited_other', 'weird'],
  ['openai context', { dialect: 'openai', status: 400, errorType: 'invalid_request_error', errorCode: 'context_length_exceeded' }, 'context_exceeded', 'context_length_exceeded'],
  ['openai 400', { dialect: 'openai', status: 400, errorType: 'invalid_request_error' }, 'bad_request', 'invalid_request_error'],
  ['openai 404', { dialect: 'openai', status: 404 }, 'bad_request'],
  ['openai 413', { dialect: 'openai', status: 413 }, 'bad_request'],
  ['openai 422', { dialect: 'openai', status: 422 }, 'bad_request'],
  ['openai 401', { dialect: 'openai', status: 401, errorCode: 'invalid_api_key' }, 'auth_error', 'invalid_api_key'],
  ['openai 403', { dialect: 'openai', status: 403 }, 'auth_error'],
  ['openai 408', { dialect: 'openai', status: 408 }, 'timeout'],
  ['openai 500', { dialect: 'openai', status: 500 }, 'server_error'],
  ['openai 502', { dialect: 'openai', status: 502 }, 'server_error'],
  ['openai 504', { dialect: 'openai', status: 504 }, 'server_error'],
  ['openai 503', { dialect: 'openai', status: 503 }, 'overloaded'],
  ['transport timeout', { dialect: 'openai', transport: 'timeout' }, 'timeout', 'timeout'],
  ['transport network error', { dialect: 'openai', transport: 'network_error', errorCode: 'ECONNRESET' }, 'network_error', 'ECONNRESET'],
  ['no status at all', { dialect: 'openai' }, 'network_error', 'network_error'],
  // Groq: OpenAI-shaped
  ['groq TPM', { dialect: 'groq', status: 429, errorType: 'tokens', errorCode: 'rate_limit_exceeded' }, 'rate_limited_tokens', 'rate_limit_exceeded'],
  ['groq 498 capacity', { dialect: 'groq', status: 498 }, 'overloaded', 'capacity_exceeded'],
  // DashScope
  ['dashscope limit_requests', { dialect: 'dashscope', status: 429, errorType: 'limit_requests', errorCode: 'limit_requests' }, 'rate_limited_requests', 'limit_requests'],
  ['dashscope Throttling.RateQuota', { dialect: 'dashscope', status: 429, errorCode: 'Throttling.RateQuota' }, 'rate_limited_requests', 'Throttling.RateQuota'],
  ['dashscope native throttle surfaced as 400', { dialect: 'dashscope', status: 400, errorCode: 'Throttling.RateQuota' }, 'rate_limited_requests', 'Throttling.RateQuota'],
  ['dashscope insufficient_quota is its TPM throttle', { dialect: 'dashscope', status: 429, errorType: 'insufficient_quota', errorCode: 'insufficient_quota', message: QUOTA }, 'rate_limited_tokens', 'insufficient_quota'],
  ['dashscope AllocationQuota', { dialect: 'dashscope', status: 429, errorCode: 'Throttling.AllocationQuota' }, 'rate_limited_tokens', 'Throttling.AllocationQuota'],
  ['dashscope free tier gone', { dialect: 'dashscope', status: 429, errorCode: 'Throttling.AllocationQuota', message: 'Free allocated quota exceeded.' }, 'quota_exhausted', 'Throttling.AllocationQuota'],
  ['dashscope burst', { dialect: 'dashscope', status: 429, errorCode: 'limit_burst_rate' }, 'rate_limited_other', 'limit_burst_rate'],
  ['dashscope billing', { dialect: 'dashscope', status: 429, errorCode: 'PrepaidBillOverdue' }, 'quota_exhausted', 'PrepaidBillOverdue'],
  ['dashscope input too long', { dialect: 'dashscope', status: 400, errorCode: 'invalid_parameter_error', message: 'Range of input length should be [1, 30720]' }, 'context_exceeded', 'invalid_parameter_error'],
  ['dashscope max_tokens range', { dialect: 'dashscope', status: 400, errorCode: 'invalid_parameter_error', message: 'Range of max_tokens should be [1, 8192]' }, 'bad_request', 'invalid_parameter_error'],
  ['dashscope unknown 429', { dialect: 'dashscope', status: 429 }, 'rate_limited_other'],
  // Azure: no code on 429, the message is the only signal
  ['azure token rate limit', { dialect: 'azure', status: 429, errorCode: '429', message: 'Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-02-01 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds.' }, 'rate_limited_tokens', '429'],
  ['azure newer token wording', { dialect: 'azure', status: 429, message: 'Your requests to gpt4 for gpt-4 in East US have exceeded the token rate limit for your current AIServices S0 pricing tier.' }, 'rate_limited_tokens', '429'],
  ['azure call rate limit', { dialect: 'azure', status: 429, errorCode: '429', message: 'Requests to the ChatCompletions_Create Operation have exceeded call rate limit of your current OpenAI S0 pricing tier.' }, 'rate_limited_requests', '429'],
  ['azure high demand', { dialect: 'azure', status: 429, message: 'The system is currently experiencing high demand and cannot process your request. Please retry after 20 seconds.' }, 'overloaded', '429'],
  ['azure short form', { dialect: 'azure', status: 429, message: 'Rate limit is exceeded. Try again in 3 seconds.' }, 'rate_limited_other', '429'],
  ['azure context', { dialect: 'azure', status: 400, errorCode: 'context_length_exceeded' }, 'context_exceeded', 'context_length_exceeded'],
  // Anthropic
  ['anthropic input tokens', { dialect: 'anthropic', status: 429, errorType: 'rate_limit_error', message: 'This request would exceed the rate limit for your organization of 30,000 input tokens per minute.' }, 'rate_limited_tokens', 'rate_limit_error'],
  ['anthropic output tokens', { dialect: 'anthropic', status: 429, errorType: 'rate_limit_error', message: 'This request would exceed your rate limit of 8,000 output tokens per minute.' }, 'rate_limited_tokens', 'rate_limit_error'],
  ['anthropic requests', { dialect: 'anthropic', status: 429, errorType: 'rate_limit_error', message: 'This request would exceed the rate limit for your organization of 50 requests per minute.' }, 'rate_limited_requests', 'rate_limit_error'],
  ['anthropic unnamed limit', { dialect: 'anthropic', status: 429, errorType: 'rate_limit_error', message: 'Rate limited.' }, 'rate_limited_other', 'rate_limit_error'],
  ['anthropic spend cap', { dialect: 'anthropic', status: 429, errorType: 'rate_limit_error', errorCode: 'enforced_spend_limit_reached' }, 'quota_exhausted', 'enforced_spend_limit_reached'],
  ['anthropic 529', { dialect: 'anthropic', status: 529, errorType: 'overloaded_error' }, 'overloaded', 'overloaded_error'],
  ['anthropic overloaded mid-stream', { dialect: 'anthropic', status: 200, errorType: 'overloaded_error' }, 'overloaded', 'overloaded_error'],
  ['anthropic prompt too long', { dialect: 'anthropic', status: 400, errorType: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' }, 'context_exceeded', 'invalid_request_error'],
  ['anthropic 500', { dialect: 'anthropic', status: 500, errorType: 'api_error' }, 'server_error', 'api_error'],
];

describe('classify', () => {
  it.each(rows)('%s', (_name, input, outcome, errorCode) => {
    const got = classify(input);
    expect(got.outcome).toBe(outcome);
    expect(got.errorCode).toBe(errorCode);
  });

  it('insufficient_quota differs by dialect (the same body)', () => {
    const body = { status: 429, errorType: 'insufficient_quota', errorCode: 'insufficient_quota', message: QUOTA } as const;
    expect(classify({ dialect: 'openai', ...body }).outcome).toBe('quota_exhausted');
    expect(classify({ dialect: 'dashscope', ...body }).outcome).toBe('rate_limited_tokens');
  });
});
