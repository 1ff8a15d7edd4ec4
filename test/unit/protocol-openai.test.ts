import { describe, expect, it } from 'vitest';
import {
  messageText,
  openAIErrorBody,
  parseRateLimitHeaders,
  parseResetValue,
  parseRetryAfter,
  RATE_LIMIT_HEADER,
  type RateLimitHeaders,
} from '../../src/protocol/openai.js';
import type { RateLimitHeaders as RecordRateLimitHeaders } from '../../src/metrics/record.js';

const getter = (h: Record<string, string>) => (name: string) => h[name];

describe('parseRateLimitHeaders', () => {
  it('reads the OpenAI doc sample', () => {
    const h = {
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-limit-tokens': '150000',
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-remaining-tokens': '149984',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-reset-tokens': '6m0s',
    };
    expect(parseRateLimitHeaders(getter(h))).toEqual({
      limitRequests: 60,
      limitTokens: 150000,
      remainingRequests: 59,
      remainingTokens: 149984,
      resetRequestsMs: 1000,
      resetTokensMs: 360000,
    });
  });

  it('reads the §6 observed header sets', () => {
    const a = parseRateLimitHeaders(getter({
      'x-ratelimit-limit-requests': '5000', 'x-ratelimit-remaining-requests': '4999', 'x-ratelimit-reset-requests': '12ms',
      'x-ratelimit-limit-tokens': '160000', 'x-ratelimit-remaining-tokens': '159976', 'x-ratelimit-reset-tokens': '9ms',
    }));
    expect(a).toEqual({ limitRequests: 5000, remainingRequests: 4999, resetRequestsMs: 12, limitTokens: 160000, remainingTokens: 159976, resetTokensMs: 9 });
    const b = parseRateLimitHeaders(getter({ 'x-ratelimit-limit-tokens': '30000', 'x-ratelimit-remaining-tokens': '29996', 'x-ratelimit-reset-tokens': '8ms' }));
    expect(b).toEqual({ limitTokens: 30000, remainingTokens: 29996, resetTokensMs: 8 });
    const groq = parseRateLimitHeaders(getter({ 'x-ratelimit-reset-requests': '2m59.56s', 'x-ratelimit-reset-tokens': '7.66s' }));
    expect(groq).toEqual({ resetRequestsMs: 179560, resetTokensMs: 7660 });
  });

  it('leaves out absent or garbage headers', () => {
    expect(parseRateLimitHeaders(getter({}))).toEqual({});
    expect(parseRateLimitHeaders(getter({ 'x-ratelimit-limit-requests': 'lots', 'x-ratelimit-reset-tokens': 'soon' }))).toEqual({});
  });

  it('accepts RFC 3339 reset timestamps relative to now', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseResetValue('2026-01-01T00:00:02.500Z', now)).toBe(2500);
    expect(parseResetValue('2025-12-31T23:59:00Z', now)).toBe(0);
  });

  it('uses the canonical lower-case header names', () => {
    expect(Object.values(RATE_LIMIT_HEADER)).toEqual([
      'x-ratelimit-limit-requests', 'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-requests',
      'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens',
    ]);
  });

  it('is structurally the same type as metrics RateLimitHeaders', () => {
    const x: RateLimitHeaders = { limitRequests: 1 };
    const y: RecordRateLimitHeaders = x;
    const z: RateLimitHeaders = y;
    expect(z).toBe(x);
  });
});

describe('parseRetryAfter', () => {
  it('prefers retry-after-ms (float)', () => {
    expect(parseRetryAfter(getter({ 'retry-after-ms': '644.5', 'retry-after': '1' }))).toBe(644.5);
  });
  it('falls back to retry-after seconds', () => {
    expect(parseRetryAfter(getter({ 'retry-after': '7' }))).toBe(7000);
    expect(parseRetryAfter(getter({ 'retry-after': '1.5' }))).toBe(1500);
    expect(parseRetryAfter(getter({ 'retry-after-ms': 'x', 'retry-after': '2' }))).toBe(2000);
  });
  it('accepts an HTTP date', () => {
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    expect(parseRetryAfter(getter({ 'retry-after': 'Wed, 21 Oct 2026 07:28:30 GMT' }), now)).toBe(30000);
    expect(parseRetryAfter(getter({ 'retry-after': 'Wed, 21 Oct 2026 07:27:00 GMT' }), now)).toBe(0);
  });
  it('is undefined when absent or unparsable', () => {
    expect(parseRetryAfter(getter({}))).toBeUndefined();
    expect(parseRetryAfter(getter({ 'retry-after': 'later' }))).toBeUndefined();
    expect(parseRetryAfter(getter({ 'retry-after-ms': '-5' }))).toBeUndefined();
  });
});

describe('helpers', () => {
  it('builds the OpenAI error shape', () => {
    expect(JSON.stringify(openAIErrorBody('m', 'invalid_request_error', 'messages', 'x'))).toBe(
      '{"error":{"message":"m","type":"invalid_request_error","param":"messages","code":"x"}}',
    );
    expect(openAIErrorBody('m', 't')).toEqual({ error: { message: 'm', type: 't', param: null, code: null } });
  });
  it('reads message text from strings and text parts', () => {
    expect(messageText('hi')).toBe('hi');
    expect(messageText([{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }])).toBe('ab');
  });
});
