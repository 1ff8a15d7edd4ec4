/**
 * The official SDKs as test peers of the mock over HTTP, on both transports ('direct' and
 * 'msw' dispatch): openai 6.x against the openai dialect, @anthropic-ai/sdk against the
 * anthropic dialect. Their retries wait for the mock's retry-after, and the referee sees no
 * early retry from them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { RateLimitError } from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { createMockServer, type MockServer } from '../../mock-server/index.js';

const FAST = { ttftMs: 2, tokensPerSecond: 5000, jitter: 0 };

/** Uses up the RPM bucket in process (so the next request waits ≈ 1 s at 60 RPM). */
function drain(server: MockServer, model: string, n: number, tenant?: string): void {
  const m = server.core.resolveModel(model)!;
  for (let i = 0; i < n; i++) server.core.admit(m, { promptTokens: 1, maxTokens: 1 }, tenant);
}

for (const dispatch of ['direct', 'msw'] as const) {
  describe(`openai SDK over HTTP (${dispatch})`, () => {
    let server: MockServer;
    beforeAll(async () => {
      server = await createMockServer({ dispatch, profile: 'openai', rpm: 60, tpm: 1_000_000, latency: FAST });
    });
    afterAll(() => server.close());

    it('JSON and streaming with include_usage parse cleanly', async () => {
      server.core.setLimits({ rpm: 6000 });
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
      const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 });
      expect(r.usage?.completion_tokens).toBe(8);
      const s = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, stream: true, stream_options: { include_usage: true } });
      let text = '';
      let usage: unknown;
      for await (const c of s) {
        text += c.choices[0]?.delta.content ?? '';
        if (c.usage) usage = c.usage;
      }
      expect(text.split(' ')).toHaveLength(8);
      expect(usage).toMatchObject({ completion_tokens: 8 });
      server.core.setLimits({ rpm: 60 });
    });

    it("a 429 is a RateLimitError with the mock's message; retries wait for retry-after; no early retries", async () => {
      server.core.reset();
      const noRetry = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
      const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'count to three' }], max_tokens: 4 };
      drain(server, 'gpt-4o-mini', 60);
      const err = await noRetry.chat.completions.create(body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RateLimitError);
      expect((err as RateLimitError).message).toMatch(/^429 Rate limit reached for gpt-4o-mini in organization org-limitprobe on requests per min \(RPM\): Limit 60, Used 60, Requested 1\. Please try again in (\d+ms|1s|\d\.\d+s)\./);

      server.core.reset();
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-test', maxRetries: 2 });
      drain(server, 'gpt-4o-mini', 60);
      const t0 = performance.now();
      await client.chat.completions.create(body); // 429 (wait ≈ 1 s), then a retry that fits
      expect(performance.now() - t0).toBeGreaterThanOrEqual(900);
      const l = server.core.referee.ledger().default!;
      expect(l).toMatchObject({ requests: 2, rateLimited: 1, retries: 1, earlyRetries: 0 });
    });
  });

  describe(`@anthropic-ai/sdk over HTTP (${dispatch})`, () => {
    let server: MockServer;
    beforeAll(async () => {
      server = await createMockServer({ dispatch, dialect: 'anthropic', rpm: 60, latency: FAST, apiKeys: { 'ak-test': { name: 'team-a' } } });
    });
    afterAll(() => server.close());
    const body = { model: 'claude-sonnet-4-5', max_tokens: 6, messages: [{ role: 'user' as const, content: 'hi' }] };

    it('messages.create and messages.stream parse cleanly', async () => {
      server.core.setLimits({ rpm: 6000 });
      const client = new Anthropic({ baseURL: server.url, apiKey: 'ak-test', maxRetries: 0 });
      const m = await client.messages.create(body);
      expect(m).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'max_tokens', usage: { output_tokens: 6 } });
      const final = await client.messages.stream(body).finalMessage();
      expect(final.usage.output_tokens).toBe(6);
      expect(final.content[0]!.type === 'text' && final.content[0]!.text.split(' ')).toHaveLength(6);
      const bad = new Anthropic({ baseURL: server.url, apiKey: 'wrong', maxRetries: 0 });
      await expect(bad.messages.create(body)).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
      server.core.setLimits({ rpm: 60 });
    });

    it('429 → RateLimitError; retries wait for retry-after; the referee sees no early retry', async () => {
      server.core.reset();
      const noRetry = new Anthropic({ baseURL: server.url, apiKey: 'ak-test', maxRetries: 0 });
      drain(server, body.model, 60, 'team-a');
      const err = await noRetry.messages.create(body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.RateLimitError);
      expect((err as Error).message).toContain('rate_limit_error');
      server.core.reset();
      const client = new Anthropic({ baseURL: server.url, apiKey: 'ak-test', maxRetries: 2 });
      drain(server, body.model, 60, 'team-a');
      const t0 = performance.now();
      await client.messages.create(body); // 429 with retry-after: 1, then a retry that fits
      expect(performance.now() - t0).toBeGreaterThanOrEqual(900);
      expect(server.core.referee.ledger()['team-a']).toMatchObject({ requests: 2, rateLimited: 1, retries: 1, earlyRetries: 0 });
    });
  });
}
