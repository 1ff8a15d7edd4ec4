// Test your own client against the limitprobe mock, in process (vitest + msw's setupServer).
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { setupServer } from 'msw/node';
import OpenAI, { RateLimitError } from 'openai';
import { MockCore, createHandlers } from 'limitprobe/mock-server';

// An OpenAI-shaped mock at 60 requests per minute that answers at once.
const core = new MockCore({ profile: 'openai', rpm: 60, latency: { ttftMs: 0, tokensPerSecond: 0, jitter: 0 } });
const server = setupServer(...createHandlers(core));
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => core.reset());

// The client under test (here the official SDK; use your own wrapper). Pass a `fetch` that
// looks up the global at call time (the SDK keeps the fetch it saw when constructed; msw
// patches the global in server.listen()) and buffers error bodies (msw tees response bodies,
// and the SDK's cancel() of a 429 body before retrying would wait for the other branch).
const fetchNow: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  return res.ok ? res : new Response(await res.arrayBuffer(), res);
};
const client = new OpenAI({ apiKey: 'sk-test', maxRetries: 2, fetch: fetchNow });
const ask = (c: OpenAI = client) => c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });

it('streams with usage', async () => {
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true, stream_options: { include_usage: true } });
  let usage;
  for await (const chunk of stream) usage = chunk.usage ?? usage;
  expect(usage?.completion_tokens).toBe(5);
});

it('surfaces a 429 as RateLimitError when it does not retry', async () => {
  const once = new OpenAI({ apiKey: 'sk-test', maxRetries: 0, fetch: fetchNow });
  await expect(async () => {
    for (let i = 0; i < 200; i++) await ask(once); // the 61st within a second is refused
  }).rejects.toBeInstanceOf(RateLimitError);
});

it('retries a 429 after the advised wait, never early', async () => {
  const ledger = () => core.referee.ledger().default!;
  // Send until one is refused: the SDK waits retry-after (≈ 1 s here), retries, and succeeds.
  for (let i = 0; i < 200 && !ledger()?.rateLimited; i++) await ask();
  expect(ledger().rateLimited).toBeGreaterThanOrEqual(1);
  expect(ledger().retries).toBeGreaterThanOrEqual(1);
  expect(ledger().earlyRetries).toBe(0);
});
