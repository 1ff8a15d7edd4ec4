/** @anthropic-ai/sdk against the anthropic dialect in process (msw setupServer). */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { setupServer } from 'msw/node';
import Anthropic from '@anthropic-ai/sdk';
import { MockCore, createHandlers } from '../../mock-server/index.js';

const core = new MockCore({ dialect: 'anthropic', rpm: 60, latency: { ttftMs: 0, tokensPerSecond: 0, jitter: 0 } });
const server = setupServer(...createHandlers(core));
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => core.reset());

const fetchNow: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  return res.ok ? res : new Response(await res.arrayBuffer(), res);
};
const client = new Anthropic({ apiKey: 'ak-test', maxRetries: 2, fetch: fetchNow });
const body = { model: 'claude-haiku-4-5', max_tokens: 4, messages: [{ role: 'user' as const, content: 'hi' }] };

it('JSON and stream parse; a 429 surfaces as RateLimitError; retries honour retry-after', async () => {
  expect((await client.messages.create(body)).usage.output_tokens).toBe(4);
  const final = await client.messages.stream(body).finalMessage();
  expect(final.stop_reason).toBe('max_tokens');
  const m = core.resolveModel(body.model)!;
  for (let i = 0; i < 58; i++) core.admit(m, { promptTokens: 1, maxTokens: 1 });
  const once = new Anthropic({ apiKey: 'ak-test', maxRetries: 0, fetch: fetchNow });
  await expect(once.messages.create(body)).rejects.toBeInstanceOf(Anthropic.RateLimitError);
  await client.messages.create(body); // waits retry-after (1 s), then succeeds
  expect(core.referee.ledger().default).toMatchObject({ rateLimited: 2, retries: 1, earlyRetries: 0 });
});
