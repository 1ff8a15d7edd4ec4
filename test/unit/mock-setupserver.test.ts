/** Users can run the handlers in their own process with msw's setupServer (kept short-lived). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupServer } from 'msw/node';
import { VirtualClock } from '../../src/clock.js';
import { createHandlers, MockCore } from '../../mock-server/index.js';

const core = new MockCore({ rpm: 1, clock: new VirtualClock(0), latency: { ttftMs: 0, tokensPerSecond: 0, jitter: 0 } });
const server = setupServer(...createHandlers(core));

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

describe('createHandlers with setupServer', () => {
  it('intercepts fetch to any host: 200, then the RPM 429', async () => {
    const send = () =>
      fetch('https://api.example.test/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'qwen2-7b-instruct', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }),
      });
    const ok = await send();
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(3);
    const limited = await send();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(core.state()).toMatchObject({ admitted: 1, rejected: { rate_limited_requests: 1 } });
  });

  it('streams through the interceptor', async () => {
    core.reset();
    const res = await fetch('https://dashscope.example.test/compatible-mode/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen2-7b-instruct', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, stream: true }),
    });
    const text = await res.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(text.split('"content":"').length - 1).toBe(1 + 4); // role chunk has content "" too
  });
});
