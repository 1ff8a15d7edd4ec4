/** Dialects end to end through the MSW handlers (in process, VirtualClock): §7 items 11–18, 23. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { countPromptTokens } from '../../src/tokens/count.js';
import { MockCore, type MockCoreOptions } from '../../mock-server/core/core.js';
import { inProcess, readSse } from '../../mock-server/testing.js';

const INSTANT = { ttftMs: 0, tokensPerSecond: 0, jitter: 0 };
const EPOCH = Date.UTC(2026, 0, 1, 0, 0, 0);
const MSG = [{ role: 'user', content: 'Hello there, how are you?' }];

function setup(opts: MockCoreOptions) {
  const clock = new VirtualClock(0);
  const core = new MockCore({ latency: INSTANT, clock, seed: 1, epochMs: EPOCH, ...opts });
  return { clock, core, mock: inProcess(core) };
}
const headersOf = (r: Response) => Object.fromEntries([...r.headers.entries()].filter(([k]) => /ratelimit|retry-after/.test(k)));

describe('openai: insufficient_quota and header toggles', () => {
  it('a spent budget gives the fatal insufficient_quota 429 without retry-after (§7.16)', async () => {
    const { mock } = setup({ profile: 'openai', budgetUsd: 0.00001 });
    const ok = await mock.post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: MSG, max_tokens: 100 });
    expect(ok.status).toBe(200);
    const r = await mock.post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: MSG, max_tokens: 100 });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBeNull();
    expect(await r.json()).toEqual({
      error: {
        message:
          'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
    });
  });

  it('dropRateLimitHeadersOn429 drops x-ratelimit-* from 429s but keeps retry-after (§7.12)', async () => {
    const { mock } = setup({ profile: 'openai', rpm: 1, dropRateLimitHeadersOn429: true });
    expect(headersOf(await mock.post('/v1/chat/completions', { messages: MSG, max_tokens: 1 }))).toHaveProperty('x-ratelimit-limit-requests', '1');
    const r = await mock.post('/v1/chat/completions', { messages: MSG, max_tokens: 1 });
    expect(r.status).toBe(429);
    expect(headersOf(r)).toEqual({ 'retry-after': '60', 'retry-after-ms': '60000' });
  });
});

describe('groq', () => {
  it('request headers come from the RPD bucket; 429 text names the tier; retry-after only (§7.11)', async () => {
    const { mock } = setup({ profile: 'groq', rpm: 2, rpd: 1000, tpm: 6000 });
    const body = { model: 'llama-3.1-8b-instant', messages: MSG, max_tokens: 10 };
    const a = await mock.post('/openai/v1/chat/completions', body);
    expect(headersOf(a)).toMatchObject({ 'x-ratelimit-limit-requests': '1000', 'x-ratelimit-remaining-requests': '999', 'x-ratelimit-reset-requests': '1m26.4s', 'x-ratelimit-limit-tokens': '6000' });
    await mock.post('/openai/v1/chat/completions', body);
    const r = await mock.post('/openai/v1/chat/completions', body);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('30');
    expect(r.headers.get('retry-after-ms')).toBeNull();
    expect(((await r.json()) as { error: { message: string } }).error.message).toBe(
      'Rate limit reached for model `llama-3.1-8b-instant` in organization `org_limitprobe` service tier `on_demand` on requests per minute (RPM): Limit 2, Used 2, Requested 1. Please try again in 30s. Visit https://console.groq.com/docs/rate-limits for more information.',
    );
  });
});

describe('azure (§7.13)', () => {
  it('RPM = 6 per 1,000 TPM; limit-requests per 10 s; no reset headers; the deployment comes from the path', async () => {
    const { core, mock } = setup({ profile: 'azure' });
    expect(core.state().models['gpt-4o']!.rules).toMatchObject({ rp10s: { limit: 8 }, tpm: { limit: 8000 } });
    const r = await mock.post('/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21', { messages: MSG, max_tokens: 10 }, { 'api-key': 'k' });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { model: string }).model).toBe('gpt-4o');
    expect(headersOf(r)).toEqual({
      'x-ratelimit-limit-requests': '8',
      'x-ratelimit-remaining-requests': '7',
      'x-ratelimit-limit-tokens': '8000',
      'x-ratelimit-remaining-tokens': String(8000 - countPromptTokens(MSG, 'gpt-4o') - 10),
    });
  });

  it('429 with retry-after + retry-after-ms and the Azure text; TPM in fixed minutes', async () => {
    const { clock, mock } = setup({ profile: 'azure', tpm: 1000, rpm: 600 });
    clock.advance(45_000);
    const big = { model: 'gpt-4o', messages: MSG, max_tokens: 900 };
    expect((await mock.post('/openai/deployments/gpt-4o/chat/completions', big)).status).toBe(200);
    const r = await mock.post('/openai/deployments/gpt-4o/chat/completions', big);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('15');
    expect(r.headers.get('retry-after-ms')).toBe('15000');
    expect(await r.json()).toEqual({
      error: {
        code: '429',
        message:
          'Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 15 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.',
      },
    });
    clock.advance(15_000); // the minute ends: the count resets at once
    expect((await mock.post('/openai/deployments/gpt-4o/chat/completions', big)).status).toBe(200);
  });

  it('capacity 429 "high demand" from the overload timeline', async () => {
    const { mock } = setup({ profile: 'azure', overload: { timeline: [{ fromMs: 0, toMs: 1000 }] } });
    const r = await mock.post('/openai/deployments/gpt-4o/chat/completions', { messages: MSG, max_tokens: 1 });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('20');
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/^The system is currently experiencing high demand/);
  });
});

describe('dashscope (§7.15, §7.16, §7.18)', () => {
  const path = '/compatible-mode/v1/chat/completions';
  it('no rate-limit headers, no retry-after; limit_requests; per-second enforcement at RPM/60', async () => {
    const { clock, mock } = setup({ profile: 'dashscope', rpm: 120, tpm: 1_000_000 });
    const body = { model: 'qwen-plus', messages: MSG, max_tokens: 5 };
    const a = await mock.post(path, body);
    expect(a.status).toBe(200);
    expect(headersOf(a)).toEqual({});
    expect((await mock.post(path, body)).status).toBe(200);
    const r = await mock.post(path, body); // RPS = 2
    expect(r.status).toBe(429);
    expect(headersOf(r)).toEqual({});
    const j = (await r.json()) as { error: { code: string; type: string; message: string }; request_id: string };
    expect(j.error).toMatchObject({ code: 'limit_requests', type: 'limit_requests', message: 'You have exceeded your current request limit. For details, see: https://help.aliyun.com/zh/model-studio/error-code#rate-limit' });
    expect(j.request_id).toMatch(/^req_/);
    clock.advance(500);
    expect((await mock.post(path, body)).status).toBe(200);
  });

  it('the TPM throttle says insufficient_quota and clears within the minute', async () => {
    const { clock, mock } = setup({ profile: 'dashscope', rpm: 1000, tpm: 600 });
    const body = { model: 'qwen-plus', messages: MSG, max_tokens: 5 };
    let r: Response;
    let n = 0;
    do {
      r = await mock.post(path, body);
      n++;
    } while (r.status === 200 && n < 100);
    expect(r.status).toBe(429);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('insufficient_quota');
    clock.advance(60_000);
    expect((await mock.post(path, body)).status).toBe(200);
  });

  it('limit_burst_rate when the rate jumps faster than the factor', async () => {
    const { mock } = setup({ profile: 'dashscope', rpm: 30_000, tpm: 10_000_000, burst: { factor: 2, minRequests: 3 } });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await mock.post(path, { model: 'qwen-plus', messages: MSG, max_tokens: 1 })).status);
    expect(codes).toEqual([200, 200, 200, 429]);
  });

  it('Range of input length / max_tokens should be [1, N]', async () => {
    const { mock } = setup({ profile: 'dashscope' });
    const r1 = await mock.post(path, { model: 'qwen-max-2025-01-25', messages: [{ role: 'user', content: 'word '.repeat(30_721) }], max_tokens: 10 });
    expect(r1.status).toBe(400);
    expect(((await r1.json()) as { error: unknown }).error).toEqual({ message: 'Range of input length should be [1, 30720]', type: 'invalid_request_error', param: null, code: 'invalid_parameter_error' });
    const r2 = await mock.post(path, { model: 'qwen-max-2025-01-25', messages: MSG, max_tokens: 9000 });
    expect(((await r2.json()) as { error: { message: string } }).error.message).toBe('Range of max_tokens should be [1, 8192]');
  });

  it('limits are per root account: two keys share one limiter (§7.1)', async () => {
    const { mock } = setup({ profile: 'dashscope', rpm: 60, apiKeys: { 'sk-a': {}, 'sk-b': {} } });
    const body = { model: 'qwen-plus', messages: MSG, max_tokens: 1 };
    expect((await mock.post(path, body, { authorization: 'Bearer sk-a' })).status).toBe(200);
    expect((await mock.post(path, body, { authorization: 'Bearer sk-b' })).status).toBe(429); // RPS 1, shared
  });
});

describe('dashscope native API', () => {
  const path = '/api/v1/services/aigc/text-generation/generation';
  it('answers in the native shape and refuses with Throttling.RateQuota / InvalidParameter; shares the account limits with compatible mode', async () => {
    const { mock } = setup({ profile: 'dashscope', rpm: 60 });
    const body = { model: 'qwen-plus', input: { messages: MSG }, parameters: { max_tokens: 3, result_format: 'message' } };
    const ok = await mock.post(path, body);
    expect(ok.status).toBe(200);
    const j = (await ok.json()) as { output: { choices: { finish_reason: string; message: { content: string } }[] }; usage: { output_tokens: number }; request_id: string };
    expect(j.output.choices[0]!.finish_reason).toBe('length');
    expect(j.usage.output_tokens).toBe(3);
    expect(j.request_id).toMatch(/^req_/);
    const r = await mock.post(path, body); // RPS = 1
    expect(r.status).toBe(429);
    expect(await r.json()).toMatchObject({ code: 'Throttling.RateQuota', message: 'Requests rate limit exceeded, please try again later.' });
    const c = await mock.post('/compatible-mode/v1/chat/completions', { model: 'qwen-plus', messages: MSG, max_tokens: 1 });
    expect(c.status).toBe(429); // the same account limiter
    const bad = await mock.post(path, { model: 'qwen-max-2025-01-25', input: { messages: MSG }, parameters: { max_tokens: 9000 } });
    expect(await bad.json()).toMatchObject({ code: 'InvalidParameter', message: 'Range of max_tokens should be [1, 8192]' });
  });
});

describe('anthropic (§7.14, §7.17, §7.23, §7.25)', () => {
  const body = { model: 'claude-sonnet-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'Hello there, how are you?' }] };
  it('JSON message with usage and anthropic-ratelimit-* headers (RFC 3339 resets, tokens rounded to 1000)', async () => {
    const { clock, mock } = setup({ dialect: 'anthropic' });
    clock.advance(500);
    const r = await mock.post('/v1/messages', body, { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' });
    expect(r.status).toBe(200);
    const j = (await r.json()) as { type: string; stop_reason: string; usage: { input_tokens: number; output_tokens: number }; content: { text: string }[] };
    expect(j).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'max_tokens', usage: { output_tokens: 20 } });
    const p = j.usage.input_tokens;
    expect(Object.fromEntries([...r.headers.entries()].filter(([k]) => k.startsWith('anthropic-ratelimit')))).toEqual({
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '49',
      'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:02Z', // 0.5 s + 1.2 s, rounded up
      'anthropic-ratelimit-input-tokens-limit': '30000',
      'anthropic-ratelimit-input-tokens-remaining': '30000', // 30000 − p rounded to the thousand
      'anthropic-ratelimit-input-tokens-reset': '2026-01-01T00:00:01Z',
      'anthropic-ratelimit-output-tokens-limit': '8000',
      'anthropic-ratelimit-output-tokens-remaining': '8000', // output is charged as generated: nothing yet at the headers
      'anthropic-ratelimit-output-tokens-reset': '2026-01-01T00:00:01Z',
      'anthropic-ratelimit-tokens-limit': '30000',
      'anthropic-ratelimit-tokens-remaining': '30000',
      'anthropic-ratelimit-tokens-reset': '2026-01-01T00:00:01Z',
    });
    expect(p).toBeGreaterThan(0);
  });

  it('stream: Anthropic event order, cumulative output_tokens; OTPM charged as generated', async () => {
    const { core, mock } = setup({ dialect: 'anthropic', otpm: 600, latency: { ttftMs: 100, tokensPerSecond: 10, jitter: 0 } });
    const { clock } = { clock: core.clock as VirtualClock };
    const res = await mock.post('/v1/messages', { ...body, stream: true });
    const reading = readSse(res);
    // OTPM 600 refills 1 token per 100 ms, as fast as this stream generates: the level stays put
    // only because every token is charged as it goes out.
    for (let i = 0; i < 40; i++) {
      clock.advance(100);
      await new Promise((r) => setImmediate(r));
    }
    const { events } = await reading;
    const names = events.map((e) => e.event);
    expect(names.slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(names.filter((n) => n === 'content_block_delta')).toHaveLength(20);
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(JSON.parse(events.at(-2)!.data)).toEqual({ type: 'message_delta', delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { output_tokens: 20 } });
    expect(core.ruleViews().otpm!.remaining).toBe(600); // 20 charged over 2 s, 20 refilled
    expect(core.state().tokens.completion).toBe(20);
  });

  it('abort after ~10 tokens: OTPM holds only what was generated (§7.25)', async () => {
    const { core, mock } = setup({ dialect: 'anthropic', otpm: 6, latency: { ttftMs: 0, tokensPerSecond: 10, jitter: 0 } });
    const clock = core.clock as VirtualClock;
    const ac = new AbortController();
    const res = await mock.request('/v1/messages', { method: 'POST', body: JSON.stringify({ ...body, max_tokens: 1000, stream: true }), signal: ac.signal });
    const reader = res.body!.getReader();
    const pump = (async () => {
      try {
        for (;;) if ((await reader.read()).done) break;
      } catch {
        /* aborted */
      }
    })();
    for (let i = 0; i < 10; i++) {
      clock.advance(100);
      await new Promise((r) => setImmediate(r));
    }
    ac.abort();
    await reader.cancel().catch(() => {});
    await pump;
    await new Promise((r) => setImmediate(r));
    // OTPM 6 refills 0.1 token/s: ~10–11 tokens went out, the bucket (6) is empty, nothing more is owed.
    expect(core.ruleViews().otpm!.remaining).toBe(0);
    expect(core.state()).toMatchObject({ aborted: 1 });
    expect(core.state().tokens.completion).toBeGreaterThanOrEqual(10);
    expect(core.state().tokens.completion).toBeLessThanOrEqual(11);
  });

  it('429 rate_limit_error with retry-after; 529 overloaded_error; spend cap without retry-after', async () => {
    const { mock } = setup({ dialect: 'anthropic', rpm: 1 });
    expect((await mock.post('/v1/messages', body)).status).toBe(200);
    const r = await mock.post('/v1/messages', body);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('60');
    const j = (await r.json()) as { type: string; error: { type: string; message: string }; request_id: string };
    expect(j.type).toBe('error');
    expect(j.error.type).toBe('rate_limit_error');
    expect(j.error.message).toContain('of 1 requests per minute');

    const o = setup({ dialect: 'anthropic', overload: { timeline: [{ fromMs: 0, toMs: 10 }] } });
    const r529 = await o.mock.post('/v1/messages', body);
    expect(r529.status).toBe(529);
    expect(((await r529.json()) as { error: unknown }).error).toEqual({ type: 'overloaded_error', message: 'Overloaded' });

    const s = setup({ dialect: 'anthropic', budgetUsd: 0 });
    const cap = await s.mock.post('/v1/messages', body);
    expect(cap.status).toBe(429);
    expect(cap.headers.get('retry-after')).toBeNull();
    expect(((await cap.json()) as { error: { details: unknown } }).error.details).toEqual({ error_code: 'enforced_spend_limit_reached' });
  });

  it('validation in Anthropic wording; ITPM and OTPM are separate buckets', async () => {
    const { core, mock } = setup({ dialect: 'anthropic', itpm: 100_000, otpm: 30 });
    const bad = await mock.post('/v1/messages', { model: 'claude-sonnet-4-5', messages: [] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
    expect((await mock.post('/v1/messages', body)).status).toBe(200);
    expect(core.ruleViews().otpm!.remaining).toBe(10);
    expect((await mock.post('/v1/messages', body)).status).toBe(200); // only needs room for a token to start
    const r = await mock.post('/v1/messages', body);
    expect(r.status).toBe(429);
    expect(((await r.json()) as { error: { message: string } }).error.message).toContain('output tokens per minute');
  });
});

describe('mock overhead (§7.30)', () => {
  it('every admitted answer carries server-timing: mock;dur=<ms of the mock’s own CPU>', async () => {
    for (const dialect of ['openai', 'anthropic'] as const) {
      const { mock } = setup({ dialect });
      const r = dialect === 'openai' ? await mock.post('/v1/chat/completions', { messages: MSG, max_tokens: 2 }) : await mock.post('/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 2, messages: MSG });
      expect(r.headers.get('server-timing')).toMatch(/^mock;dur=\d+\.\d{3}$/);
    }
  });
});
