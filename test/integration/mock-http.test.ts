/** The mock over real loopback sockets (port 0), driven by undici. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { SseParser, type SseEvent } from '../../src/protocol/sse.js';
import { parseRateLimitHeaders, parseRetryAfter, type ChatCompletion, type ChatCompletionChunk } from '../../src/protocol/openai.js';
import { countPromptTokens } from '../../src/tokens/count.js';
import { createMockServer, type MockServer, type MockServerOptions } from '../../mock-server/index.js';

const MODEL = 'qwen2-7b-instruct';
const MESSAGES = [{ role: 'user', content: 'Summarise the history of rate limiting in one paragraph.' }];
const INSTANT = { ttftMs: 0, tokensPerSecond: 0, jitter: 0 };

const servers: MockServer[] = [];
let dispatch: 'direct' | 'msw' = 'direct';
async function start(opts: MockServerOptions = {}): Promise<MockServer> {
  const s = await createMockServer({ latency: INSTANT, seed: 3, dispatch, ...opts });
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function post(s: MockServer, body: unknown, path = '/v1/chat/completions', extra: Record<string, string> = {}) {
  return request(`${s.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...extra },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const getter = (h: Record<string, string | string[] | undefined>) => (n: string) => {
  const v = h[n];
  return Array.isArray(v) ? v[0] : v;
};

describe.each(['direct', 'msw'] as const)('createMockServer, %s dispatch', (mode) => {
  beforeEach(() => {
    dispatch = mode;
  });

  it('binds 127.0.0.1 on a free port and reports a base url', async () => {
    const s = await start();
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.port).toBeGreaterThan(0);
    expect(s.url.endsWith(String(s.port))).toBe(true);
  });

  it('JSON completion through undici with exact usage and headers', async () => {
    const s = await start();
    const res = await post(s, { model: MODEL, messages: MESSAGES, max_tokens: 25 });
    expect(res.statusCode).toBe(200);
    const body = (await res.body.json()) as ChatCompletion;
    const prompt = countPromptTokens(MESSAGES, MODEL);
    expect(body.usage).toMatchObject({ prompt_tokens: prompt, completion_tokens: 25, total_tokens: prompt + 25 });
    expect(Number(res.headers['content-length'])).toBeGreaterThan(100);
    const rl = parseRateLimitHeaders(getter(res.headers));
    expect(rl.limitRequests).toBe(800);
    expect(rl.remainingRequests).toBe(799);
    expect(rl.remainingTokens).toBe(800000 - prompt - 25);
  });

  it('streams SSE through undici with include_usage', async () => {
    const s = await start({ latency: { ttftMs: 20, tokensPerSecond: 500, jitter: 0 } });
    const t0 = performance.now();
    const res = await post(s, { model: MODEL, messages: MESSAGES, max_tokens: 30, stream: true, stream_options: { include_usage: true } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const parser = new SseParser();
    const events: SseEvent[] = [];
    let firstTokenAt = 0;
    for await (const chunk of res.body) {
      for (const e of parser.feed(chunk as Uint8Array)) {
        if (!firstTokenAt && e.data.includes('"content":"') && !e.data.includes('"role"')) firstTokenAt = performance.now() - t0;
        events.push(e);
      }
    }
    const total = performance.now() - t0;
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as ChatCompletionChunk);
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBe(30);
    expect(chunks.at(-1)!.usage!.completion_tokens).toBe(30);
    expect(firstTokenAt).toBeGreaterThanOrEqual(19);
    expect(total).toBeGreaterThanOrEqual(20 + 29 * 2 - 1);
    expect(total).toBeLessThan(1000);
  });

  it('streaming timing: 200 tokens at 50 tok/s last TTFT + ~4 s (±5 %)', async () => {
    const s = await start({ latency: { ttftMs: 100, tokensPerSecond: 50, jitter: 0 } });
    const t0 = performance.now();
    const res = await post(s, { model: MODEL, messages: MESSAGES, max_tokens: 200, stream: true });
    await res.body.text();
    const took = performance.now() - t0;
    const expected = 100 + 199 * 20;
    expect(Math.abs(took - expected) / expected).toBeLessThan(0.05);
  }, 15_000);

  it('429 with headers over HTTP, then state counters', async () => {
    const s = await start({ rpm: 2, tpm: 1_000_000 });
    const body = { model: MODEL, messages: MESSAGES, max_tokens: 5 };
    expect((await post(s, body)).statusCode).toBe(200);
    expect((await post(s, body)).statusCode).toBe(200);
    const res = await post(s, body);
    expect(res.statusCode).toBe(429);
    const err = (await res.body.json()) as { error: { message: string; type: string; code: string } };
    expect(err.error.type).toBe('requests');
    expect(err.error.code).toBe('rate_limit_exceeded');
    expect(err.error.message).toMatch(/^Rate limit reached for qwen2-7b-instruct in organization org-limitprobe on requests per min \(RPM\): Limit 2, Used 2, Requested 1\. Please try again in (29\.\d+|30)s\./);
    const wait = parseRetryAfter(getter(res.headers))!;
    expect(wait).toBeGreaterThan(29_000);
    expect(wait).toBeLessThanOrEqual(30_000);
    expect(res.headers['retry-after']).toBe('30');
    expect(res.headers['x-ratelimit-remaining-requests']).toBe('0');

    const state = (await (await request(`${s.url}/__limitprobe/state`)).body.json()) as Record<string, unknown>;
    expect(state).toMatchObject({ admitted: 2, completed: 2, inFlight: 0, rejected: { rate_limited_requests: 1 }, rejectedTotal: 1 });
    expect(s.core.state().admitted).toBe(2);
    const reset = await request(`${s.url}/__limitprobe/reset`, { method: 'POST' });
    expect(((await reset.body.json()) as { admitted: number }).admitted).toBe(0);
    expect((await post(s, body)).statusCode).toBe(200);
  });

  it('bad inputs over HTTP: malformed JSON, unknown model, unknown route, oversized bodies', async () => {
    const s = await start({ maxBodyBytes: 2048 });
    const bad = await post(s, '{"model":');
    expect(bad.statusCode).toBe(400);
    expect(((await bad.body.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');

    const nf = await post(s, { model: 'nope', messages: MESSAGES });
    expect(nf.statusCode).toBe(404);
    expect(((await nf.body.json()) as { error: { code: string } }).error.code).toBe('model_not_found');

    const route = await post(s, {}, '/v1/embeddings');
    expect(route.statusCode).toBe(404);
    expect(await route.body.json()).toEqual({ error: { message: 'Invalid URL (POST /v1/embeddings)', type: 'invalid_request_error', param: null, code: null } });

    const big = await post(s, { model: MODEL, messages: [{ role: 'user', content: 'x'.repeat(5000) }] });
    expect(big.statusCode).toBe(413);
    expect(((await big.body.json()) as { error: { code: string } }).error.code).toBe('request_too_large');

    // Chunked body without content-length, over the limit.
    const chunked = await request(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Readable.from(
        (function* () {
          for (let i = 0; i < 10; i++) yield Buffer.alloc(1000, 0x61);
        })(),
      ),
    });
    expect(chunked.statusCode).toBe(413);
    await chunked.body.dump();

    // The server is still fine.
    expect((await post(s, { model: MODEL, messages: MESSAGES, max_tokens: 1 })).statusCode).toBe(200);
    expect(s.core.state().rejected).toMatchObject({ bad_request: 1, not_found: 2, payload_too_large: 2 });
  });

  it('garbage on the socket gets a 400 and the server keeps serving', async () => {
    const s = await start();
    const reply = await new Promise<string>((resolve) => {
      const sock = connect(s.port, '127.0.0.1', () => sock.write('NOT HTTP AT ALL\r\n\r\n'));
      let buf = '';
      sock.on('data', (d) => (buf += d.toString()));
      sock.on('close', () => resolve(buf));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect((await post(s, { model: MODEL, messages: MESSAGES, max_tokens: 1 })).statusCode).toBe(200);
  });

  it('a client that disconnects mid-stream stops generation and gets a refund', async () => {
    const s = await start({ latency: { ttftMs: 5, tokensPerSecond: 200, jitter: 0 }, tpm: 1_000_000 });
    const ac = new AbortController();
    const res = await request(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: MESSAGES, max_tokens: 2000, stream: true }),
      signal: ac.signal,
    });
    let got = 0;
    try {
      for await (const chunk of res.body) {
        got += (chunk as Buffer).toString().split('"content":"').length - 1;
        if (got >= 5) ac.abort();
      }
    } catch {
      /* aborted */
    }
    for (let i = 0; i < 50 && s.core.state().aborted === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const st = s.core.state();
    expect(st.aborted).toBe(1);
    expect(st.inFlight).toBe(0);
    expect(st.tokens.completion).toBeLessThan(200);
    expect(st.tokens.refunded).toBeGreaterThan(1800);
  });

  it('close() ends keep-alive connections and open streams promptly', async () => {
    const s = await createMockServer({ latency: { ttftMs: 10, tokensPerSecond: 1, jitter: 0 }, dispatch });
    const agent = new Agent({ keepAliveTimeout: 60_000 });
    const ok = await request(`${s.url}/v1/models`, { dispatcher: agent });
    expect(ok.statusCode).toBe(200);
    await ok.body.json(); // the socket stays open in the pool
    const streaming = await request(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: MESSAGES, max_tokens: 100, stream: true }),
    });
    const reading = streaming.body.text().catch(() => 'closed');
    const t0 = performance.now();
    await s.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    await reading;
    expect(s.core.state().inFlight).toBe(0);
    await agent.close();
  });

  it('rejects bad server options as ConfigErrors', async () => {
    await expect(createMockServer({ profile: 'nope' })).rejects.toMatchObject({ code: 'E_CONFIG' });
    await expect(createMockServer({ port: -1 })).rejects.toMatchObject({ code: 'E_CONFIG' });
    await expect(createMockServer({ dialect: 'gemini' as never })).rejects.toMatchObject({ code: 'E_CONFIG' });
    await expect(createMockServer({ host: '0.0.0.0' })).rejects.toMatchObject({ code: 'E_CONFIG' }); // non-loopback needs an admin token
    await expect(createMockServer({ dispatch: 'fast' as never })).rejects.toMatchObject({ code: 'E_CONFIG' });
  });
});
