/**
 * Admission through the real MockCore (buckets in a store, VirtualClock), and the §6 examples of
 * the reference reproduced to the byte through the real MSW chat handler.
 */
import { describe, expect, it } from 'vitest';
import { getResponse } from 'msw';
import { VirtualClock } from '../../src/clock.js';
import { MockCore, type MockCoreOptions } from '../../mock-server/core/core.js';
import { createHandlers } from '../../mock-server/handlers.js';
import type { Profile } from '../../mock-server/profiles/index.js';

const INSTANT = { ttftMs: 0, tokensPerSecond: 0, jitter: 0 };

/** A profile with huge windows and output caps, so only the rate limits decide. */
function bigProfile(model: string, org: string, rpm: number, tpm: number): Profile {
  return {
    name: 'test',
    description: 'test',
    dialect: 'openai',
    org,
    defaultModel: model,
    latency: INSTANT,
    models: [{ id: model, contextWindow: 10_000_000, maxOutputTokens: 10_000_000, rpm, tpm, priceInputPerMTokens: 0, priceOutputPerMTokens: 0 }],
  };
}

function core(opts: MockCoreOptions & { clock?: VirtualClock } = {}) {
  const clock = opts.clock ?? new VirtualClock(1000);
  const c = new MockCore({ profile: 'qwen2', latency: INSTANT, ...opts, clock });
  return { core: c, clock, model: c.defaultModel };
}

async function chat(handlers: ReturnType<typeof createHandlers>, body: unknown): Promise<Response> {
  const res = await getResponse(
    handlers,
    new Request('http://mock.local/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  );
  if (!res) throw new Error('no handler matched');
  return res;
}

describe('§6: every observed 429 message, byte for byte, through the real handler', () => {
  const cases = [
    { src: 'micro-agent#86', L: 30000, U: 29937, R: 385, d: '644ms' },
    { src: 'continue#11472', L: 30000, U: 18928, R: 11159, d: '174ms' },
    { src: 'continue#9563', L: 30000, U: 22343, R: 10955, d: '6.596s' },
    { src: 'MetaGPT#523', L: 10000, U: 8554, R: 3082, d: '9.816s' },
    { src: 'codex#10051', L: 250000, U: 250000, R: 149514, d: '35.883s' },
    { src: 'wally#62', L: 10000, U: 8782, R: 8172, d: '41.724s' },
    { src: 'aider#3265 (predicted)', L: 15000, U: 11972, R: 4351, d: '5.292s' },
  ];
  it.each(cases)('$src: Limit $L, Used $U, Requested $R → $d', async ({ L, U, R, d }) => {
    const model = 'gpt-4o-mini';
    const org = 'org-Xy12AbCdEfGhIjKlMnOpQrSt';
    const { core: c, model: m } = core({ profile: bigProfile(model, org, 10_000, L) });
    // Used = U: admit earlier requests (prompt + max_tokens) through real admission, same instant.
    const first = c.admit(m, { promptTokens: U - 1, maxTokens: 1 });
    expect(first.ok).toBe(true);
    // Request of size R: a 1-token prompt ("time") + max_tokens R − 1.
    const res = await chat(createHandlers(c), { model, messages: [{ role: 'user', content: 'time' }], max_tokens: R - 1 });
    expect(res.status).toBe(429);
    const expected =
      `{"error":{"message":"Rate limit reached for ${model} in organization ${org} on tokens per min (TPM): ` +
      `Limit ${L}, Used ${U}, Requested ${R}. Please try again in ${d}. Visit https://platform.openai.com/account/rate-limits to learn more.",` +
      `"type":"tokens","param":null,"code":"rate_limit_exceeded"}}`;
    expect(await res.text()).toBe(expected);
    const ms = Math.round(((U + R - L) * 60000) / L);
    expect(res.headers.get('retry-after-ms')).toBe(String(ms));
    expect(res.headers.get('retry-after')).toBe(String(Math.ceil(ms / 1000)));
    expect(res.headers.get('x-ratelimit-remaining-tokens')).toBe(String(L - U));
    expect(res.headers.get('x-ratelimit-limit-tokens')).toBe(String(L));
    expect(c.state().rejected.rate_limited_tokens).toBe(1);
  });

  it.each([
    { what: 'requests', rpm: 5000, tpm: 1_000_000, cost: 1, header: 'x-ratelimit-reset-requests', rem: 'x-ratelimit-remaining-requests', remaining: '4999', d: '12ms' },
    { what: 'tokens', rpm: 10_000, tpm: 160000, cost: 24, header: 'x-ratelimit-reset-tokens', rem: 'x-ratelimit-remaining-tokens', remaining: '159976', d: '9ms' },
    { what: 'tokens', rpm: 10_000, tpm: 30000, cost: 4, header: 'x-ratelimit-reset-tokens', rem: 'x-ratelimit-remaining-tokens', remaining: '29996', d: '8ms' },
  ])('§6 headers: $what limit after consuming $cost → $header $d', async ({ rpm, tpm, cost, header, rem, remaining, d }) => {
    const { core: c } = core({ profile: bigProfile('gpt-4o-mini', 'org-x', rpm, tpm) });
    // prompt "time" (1 token) + max_tokens cost − 1; the JSON response is instant, refund is 0 (output = max).
    const maxTokens = Math.max(1, cost - 1);
    const res = await chat(createHandlers(c), { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'time' }], max_tokens: maxTokens });
    expect(res.status).toBe(200);
    expect(res.headers.get(header)).toBe(d);
    expect(res.headers.get(rem)).toBe(remaining);
  });

  it('RPM variant: "on requests per min (RPM)", type requests, Requested 1', async () => {
    const { core: c, clock } = core({ profile: bigProfile('gpt-4o-mini', 'org-x', 3, 1_000_000) });
    const h = createHandlers(c);
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'time' }], max_tokens: 1 };
    for (let i = 0; i < 3; i++) expect((await chat(h, body)).status).toBe(200);
    const res = await chat(h, body);
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({
      error: {
        message:
          'Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.',
        type: 'requests',
        param: null,
        code: 'rate_limit_exceeded',
      },
    });
    expect(res.headers.get('retry-after')).toBe('20');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(res.headers.get('x-ratelimit-reset-requests')).toBe('1m0s');
    clock.advance(20_000);
    expect((await chat(h, body)).status).toBe(200);
  });
});

describe('admission order and accounting', () => {
  it('context window is checked before rate limits, with both OpenAI message variants', () => {
    const { core: c, model: m } = core({ contextWindow: 100, rpm: 1, tpm: 10 });
    const a = c.admit(m, { promptTokens: 60, maxTokens: 50 });
    expect(a.ok).toBe(false);
    expect(!a.ok && a.decision).toEqual({ kind: 'context_exceeded', contextWindow: 100, promptTokens: 60, maxTokens: 50 });
    const b = c.admit(m, { promptTokens: 100 });
    expect(!b.ok && b.decision).toEqual({ kind: 'context_exceeded', contextWindow: 100, promptTokens: 100 });
    expect(c.state().rejected.context_exceeded).toBe(2);
    expect(c.state().buckets.requests.remaining).toBe(1); // nothing charged
  });

  it('a request larger than the TPM limit gets the never-succeeds 429 and charges nothing', async () => {
    const { core: c } = core({ profile: bigProfile('m', 'org-x', 100, 1000) });
    const res = await chat(createHandlers(c), { model: 'm', messages: [{ role: 'user', content: 'time' }], max_tokens: 1000 });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(await res.json()).toEqual({
      error: {
        message:
          'Request too large for m in organization org-x on tokens per min (TPM): Limit 1000, Requested 1001. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.',
        type: 'tokens',
        param: null,
        code: 'rate_limit_exceeded',
      },
    });
    expect(c.state().rejected.request_too_large).toBe(1);
    expect(c.state().buckets).toEqual({ requests: { limit: 100, remaining: 100, resetMs: 0 }, tokens: { limit: 1000, remaining: 1000, resetMs: 0 } });
  });

  it('max_tokens above the model cap is a 400 before the context check', () => {
    const { core: c, model: m } = core();
    const a = c.admit(m, { promptTokens: 10, maxTokens: 100_000, maxTokensParam: 'max_tokens' });
    expect(!a.ok && a.decision).toEqual({ kind: 'max_tokens_too_large', param: 'max_tokens', value: 100_000, max: 6144 });
  });

  it('charges both buckets or neither', () => {
    const { core: c, model: m } = core({ rpm: 10, tpm: 100 });
    expect(c.admit(m, { promptTokens: 50, maxTokens: 40 }).ok).toBe(true); // tokens 10 left
    const r = c.admit(m, { promptTokens: 10, maxTokens: 5 }); // TPM short, RPM fine
    expect(r.ok).toBe(false);
    expect(c.state().buckets.requests.remaining).toBe(9); // RPM untouched by the rejection
    expect(c.state().buckets.tokens.remaining).toBe(10);
  });

  it('rejectedConsumeRequests: a 429 still takes one request', () => {
    const { core: c, model: m } = core({ rpm: 10, tpm: 100, rejectedConsumeRequests: true });
    expect(c.admit(m, { promptTokens: 50, maxTokens: 50 }).ok).toBe(true);
    expect(c.admit(m, { promptTokens: 1, maxTokens: 1 }).ok).toBe(false);
    expect(c.state().buckets.requests.remaining).toBe(8);
    expect(c.state().buckets.tokens.remaining).toBe(0);
  });

  it('both exhausted: requests first by default; tokens, or the longer wait, when set', () => {
    for (const [setting, dim, wait] of [
      [undefined, 'requests', 30_000],
      ['requests', 'requests', 30_000],
      ['tokens', 'tokens', 60_000],
      ['longer-wait', 'tokens', 60_000],
    ] as const) {
      const { core: c, model: m } = core({ rpm: 2, tpm: 1000, bothExhausted: setting });
      expect(c.admit(m, { promptTokens: 1, maxTokens: 1 }).ok).toBe(true);
      expect(c.admit(m, { promptTokens: 499, maxTokens: 499 }).ok).toBe(true); // RPM 0 (wait 30 s), TPM 0
      const r = c.admit(m, { promptTokens: 500, maxTokens: 500 }); // TPM wait 60 s
      expect(!r.ok && r.decision.kind === 'rate_limited' && [r.decision.dimension, r.decision.waitMs]).toEqual([dim, wait]);
    }
  });

  it('refunds the unused max_tokens at the end (refundUnused default true)', () => {
    const { core: c, model: m } = core({ tpm: 100_000 });
    const a = c.admit(m, { promptTokens: 100, maxTokens: 1000 });
    if (!a.ok) throw new Error('expected admission');
    expect(c.state().buckets.tokens.remaining).toBe(100_000 - 1100);
    c.finish(a.ticket, 10);
    expect(c.state().buckets.tokens.remaining).toBe(100_000 - 110);
    expect(c.state().tokens).toEqual({ prompt: 100, completion: 10, charged: 1100, refunded: 990 });
    c.finish(a.ticket, 10); // idempotent
    expect(c.state().tokens.refunded).toBe(990);
  });

  it('refundUnused: false keeps the admission charge', () => {
    const { core: c, model: m } = core({ tpm: 100_000, refundUnused: false });
    const a = c.admit(m, { promptTokens: 100, maxTokens: 1000 });
    if (!a.ok) throw new Error('expected admission');
    c.finish(a.ticket, 10);
    expect(c.state().buckets.tokens.remaining).toBe(100_000 - 1100);
  });

  it('omitted max_tokens reserves what the window leaves, up to the model cap', () => {
    const { core: c, model: m } = core({ contextWindow: 5000 });
    const a = c.admit(m, { promptTokens: 1000 });
    expect(a.ok && a.ticket.maxTokens).toBe(4000);
    const b = c.admit(m, { promptTokens: 10 });
    expect(b.ok && b.ticket.maxTokens).toBe(4990 > 6144 ? 6144 : 4990);
  });

  it('limits are per model', () => {
    const { core: c } = core({ rpm: 1 });
    const a = c.resolveModel('qwen2-7b-instruct')!;
    const b = c.resolveModel('qwen2-72b-instruct')!;
    expect(c.admit(a, { promptTokens: 1, maxTokens: 1 }).ok).toBe(true);
    expect(c.admit(a, { promptTokens: 1, maxTokens: 1 }).ok).toBe(false);
    expect(c.admit(b, { promptTokens: 1, maxTokens: 1 }).ok).toBe(true);
    expect(c.state().models['qwen2-72b-instruct']!.buckets.requests.remaining).toBe(0);
    expect(c.state().models['qwen2-0.5b-instruct']!.buckets.requests.remaining).toBe(1);
  });

  it('the bucket refills continuously with the clock', () => {
    const { core: c, model: m, clock } = core({ rpm: 60, tpm: 60_000 });
    for (let i = 0; i < 60; i++) expect(c.admit(m, { promptTokens: 1, maxTokens: 1 }).ok).toBe(true);
    const r = c.admit(m, { promptTokens: 1, maxTokens: 1 });
    expect(!r.ok && r.decision.kind === 'rate_limited' && r.decision.waitMs).toBe(1000);
    clock.advance(999);
    expect(c.admit(m, { promptTokens: 1, maxTokens: 1 }).ok).toBe(false);
    clock.advance(1);
    expect(c.admit(m, { promptTokens: 1, maxTokens: 1 }).ok).toBe(true);
  });

  it('reset() fills the buckets and zeroes the counters; old tickets no longer count', () => {
    const { core: c, model: m } = core({ rpm: 2 });
    const a = c.admit(m, { promptTokens: 5, maxTokens: 5 });
    c.admit(m, { promptTokens: 5, maxTokens: 5 });
    c.admit(m, { promptTokens: 5, maxTokens: 5 });
    c.reset();
    if (a.ok) c.finish(a.ticket, 5);
    const s = c.state();
    expect(s.admitted).toBe(0);
    expect(s.completed).toBe(0);
    expect(s.rejectedTotal).toBe(0);
    expect(s.buckets.requests.remaining).toBe(2);
  });
});
