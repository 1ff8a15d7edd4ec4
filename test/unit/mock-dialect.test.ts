import { describe, expect, it } from 'vitest';
import {
  contextLengthMessage,
  maxTokensTooLargeMessage,
  rateLimited,
  rateLimitHeaders,
  rateLimitMessage,
  requestTooLargeMessage,
} from '../../mock-server/core/dialect-openai.js';
import { viewOf, perMinute } from '../../mock-server/core/bucket.js';

const limits = { requests: viewOf(perMinute(5000), 4999), tokens: viewOf(perMinute(160000), 159976) };

describe('OpenAI dialect', () => {
  it('puts the six x-ratelimit headers with Go durations', () => {
    expect(rateLimitHeaders(limits)).toEqual({
      'x-ratelimit-limit-requests': '5000',
      'x-ratelimit-limit-tokens': '160000',
      'x-ratelimit-remaining-requests': '4999',
      'x-ratelimit-remaining-tokens': '159976',
      'x-ratelimit-reset-requests': '12ms',
      'x-ratelimit-reset-tokens': '9ms',
    });
  });

  it('words the TPM and RPM messages like OpenAI', () => {
    expect(rateLimitMessage('tokens', 'gpt-4o-mini', 'org-abc', 30000, 22343, 10955, 6596)).toBe(
      'Rate limit reached for gpt-4o-mini in organization org-abc on tokens per min (TPM): Limit 30000, Used 22343, Requested 10955. Please try again in 6.596s. Visit https://platform.openai.com/account/rate-limits to learn more.',
    );
    expect(rateLimitMessage('requests', 'm', 'o', 3, 3, 1, 20000)).toBe(
      'Rate limit reached for m in organization o on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.',
    );
    expect(requestTooLargeMessage('tokens', 'gpt-4o', 'org-x', 30000, 31000)).toBe(
      'Request too large for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Requested 31000. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.',
    );
  });

  it('has both context-length variants', () => {
    expect(contextLengthMessage(8192, 9000, undefined)).toBe(
      "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
    );
    expect(contextLengthMessage(8192, 8000, 500)).toBe(
      "This model's maximum context length is 8192 tokens. However, you requested 8500 tokens (8000 in the messages, 500 in the completion). Please reduce the length of the messages or completion.",
    );
    expect(maxTokensTooLargeMessage('max_tokens', 20000, 16384)).toBe(
      'max_tokens is too large: 20000. This model supports at most 16384 completion tokens, whereas you provided 20000.',
    );
  });

  it('429: retry-after is ceil seconds, retry-after-ms the shown ms, body OpenAI-shaped', () => {
    const w = rateLimited('tokens', 'm', 'o', 250000, 250000, 149514, 35883.36, limits);
    expect(w.status).toBe(429);
    expect(w.headers['retry-after']).toBe('36');
    expect(w.headers['retry-after-ms']).toBe('35883');
    expect(w.headers['x-ratelimit-limit-tokens']).toBe('160000');
    expect(w.headers['content-type']).toBe('application/json');
    expect(JSON.parse(w.body)).toEqual({
      error: {
        message: expect.stringContaining('Please try again in 35.883s.'),
        type: 'tokens',
        param: null,
        code: 'rate_limit_exceeded',
      },
    });
  });
});
