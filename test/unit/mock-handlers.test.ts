/** The MSW handlers in process (msw getResponse, no sockets), on a VirtualClock. */
import { describe, expect, it } from 'vitest';
import { getResponse } from 'msw';
import { VirtualClock } from '../../src/clock.js';
import { SseParser, type SseEvent } from '../../src/protocol/sse.js';
import { parseRateLimitHeaders, type ChatCompletion, type ChatCompletionChunk } from '../../src/protocol/openai.js';
import { countPromptTokens, encodingForModel } from '../../src/tokens/count.js';
import { MockCore, type MockCoreOptions } from '../../mock-server/core/core.js';
import { createHandlers } from '../../mock-server/handlers.js';

const INSTANT = { ttftMs: 0, tokensPerSecond: 0, jitter: 0 };
const MODEL = 'qwen2-7b-instruct';
const MESSAGES = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Tell me about token buckets and rate limits, please.' },
];

function setup(opts: MockCoreOptions = {}) {
  const clock = new VirtualClock(0);
  const core = new MockCore({ latency: INSTANT, clock, seed: 7, epochMs: 1_700_000_000_000, ...opts });
  const handlers = createHandlers(core);
  const send = async (body: unknown, path = '/v1/chat/completions', init: RequestInit = {}) => {
    const res = await getResponse(
      handlers,
      new Request(`http://mock.local${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
        ...init,
      }),
    );
    if (!res) throw new Error('unhandled');
    return res;
  };
  const get = async (path: string) => (await getResponse(handlers, new Request(`http://mock.local${path}`)))!;
  return { clock, core, handlers, send, get };
}

async function readSse(res: Response): Promise<SseEvent[]> {
  const p = new SseParser();
  const out: SseEvent[] = [];
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    out.push(...p.feed(value));
  }
  out.push(...p.end());
  return out;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('chat completions, JSON', () => {
  it('answers with exact usage, max_tokens words of one token each, and rate-limit headers', async () => {
    const { send } = setup();
    const res = await send({ model: MODEL, messages: MESSAGES, max_tokens: 40 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as ChatCompletion;
    const prompt = countPromptTokens(MESSAGES, MODEL);
    expect(body.object).toBe('chat.completion');
    expect(body.model).toBe(MODEL);
    expect(body.created).toBe(1_700_000_000);
    expect(body.id).toMatch(/^chatcmpl-[0-9a-f]{16}$/);
    expect(body.usage).toMatchObject({ prompt_tokens: prompt, completion_tokens: 40, total_tokens: prompt + 40 });
    expect(body.choices[0]!.finish_reason).toBe('length');
    const text = body.choices[0]!.message.content!;
    expect(encodingForModel(MODEL).count(text)).toBe(40);
    expect(text.split(' ')).toHaveLength(40);
    const rl = parseRateLimitHeaders((n) => res.headers.get(n) ?? undefined);
    expect(rl).toEqual({ limitRequests: 800, limitTokens: 800000, remainingRequests: 799, remainingTokens: 800000 - prompt - 40, resetRequestsMs: 75, resetTokensMs: Math.round(((prompt + 40) * 60000) / 800000) });
    expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{16}$/);
    expect(res.headers.get('openai-version')).toBe('2020-10-01');
  });

  it('is deterministic by seed', async () => {
    const a = await (await setup().send({ model: MODEL, messages: MESSAGES, max_tokens: 12 })).json();
    const b = await (await setup().send({ model: MODEL, messages: MESSAGES, max_tokens: 12 })).json();
    expect(a).toEqual(b);
    const c = await (await setup({ seed: 8 }).send({ model: MODEL, messages: MESSAGES, max_tokens: 12 })).json();
    expect((c as ChatCompletion).choices[0]!.message.content).not.toBe((a as ChatCompletion).choices[0]!.message.content);
  });

  it('waits TTFT + (n − 1) / TPS before answering, on the injected clock', async () => {
    const { send, clock } = setup({ latency: { ttftMs: 100, tokensPerSecond: 10, jitter: 0 } });
    let done = false;
    const p = send({ model: MODEL, messages: MESSAGES, max_tokens: 5 }).then((r) => {
      done = true;
      return r;
    });
    await tick();
    clock.set(499);
    await tick();
    expect(done).toBe(false);
    clock.set(500); // 100 + 4 × 100
    const res = await p;
    expect(res.headers.get('openai-processing-ms')).toBe('500');
    expect(((await res.json()) as ChatCompletion).usage.completion_tokens).toBe(5);
  });

  it('seeded output length: shorter completions end with "stop" and refund the rest', async () => {
    const { send, core } = setup({ outputLength: 'seeded', tpm: 1_000_000 });
    let stops = 0;
    let refunded = 0;
    for (let i = 0; i < 20; i++) {
      const body = (await (await send({ model: MODEL, messages: MESSAGES, max_tokens: 50 })).json()) as ChatCompletion;
      const n = body.usage.completion_tokens;
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(50);
      expect(body.choices[0]!.finish_reason).toBe(n < 50 ? 'stop' : 'length');
      expect(encodingForModel(MODEL).count(body.choices[0]!.message.content!)).toBe(n);
      if (n < 50) stops++;
      refunded += 50 - n;
    }
    expect(stops).toBeGreaterThan(10);
    expect(core.state().tokens.refunded).toBe(refunded);
  });

  it('serves DashScope’s compatible-mode path and text content parts', async () => {
    const { send } = setup();
    const res = await send({ model: MODEL, messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }, { type: 'text', text: ' world' }] }], max_tokens: 2 }, '/compatible-mode/v1/chat/completions');
    expect(res.status).toBe(200);
    expect(((await res.json()) as ChatCompletion).usage.prompt_tokens).toBe(countPromptTokens([{ content: 'hello world' }], MODEL));
  });

  it('uses the default model when the request names none', async () => {
    const { send } = setup({ model: 'qwen2-0.5b-instruct' });
    const body = (await (await send({ messages: MESSAGES, max_tokens: 1 })).json()) as ChatCompletion;
    expect(body.model).toBe('qwen2-0.5b-instruct');
  });
});

describe('chat completions, streaming', () => {
  it('sends role chunk, one token per chunk, finish chunk, usage chunk, [DONE]', async () => {
    const { send } = setup();
    const res = await send({ model: MODEL, messages: MESSAGES, max_tokens: 6, stream: true, stream_options: { include_usage: true } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = await readSse(res);
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as ChatCompletionChunk);
    expect(chunks).toHaveLength(1 + 6 + 1 + 1);
    for (const c of chunks) {
      expect(c.object).toBe('chat.completion.chunk');
      expect(c.id).toBe(chunks[0]!.id);
      expect(c.created).toBe(chunks[0]!.created);
    }
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    const tokens = chunks.slice(1, 7).map((c) => c.choices[0]!.delta.content!);
    for (const t of tokens) expect(encodingForModel(MODEL).count(t)).toBe(1);
    expect(encodingForModel(MODEL).count(tokens.join(''))).toBe(6);
    expect(chunks.slice(0, 8).every((c) => c.usage === null)).toBe(true);
    expect(chunks[7]!.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: 'length' });
    const last = chunks[8]!;
    expect(last.choices).toEqual([]);
    const prompt = countPromptTokens(MESSAGES, MODEL);
    expect(last.usage).toMatchObject({ prompt_tokens: prompt, completion_tokens: 6, total_tokens: prompt + 6 });
  });

  it('without include_usage there is no usage field at all', async () => {
    const { send } = setup();
    const events = await readSse(await send({ model: MODEL, messages: MESSAGES, max_tokens: 3, stream: true }));
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as ChatCompletionChunk);
    expect(chunks).toHaveLength(5);
    for (const c of chunks) expect('usage' in c).toBe(false);
  });

  it('streamChunkTokens groups tokens per event', async () => {
    const { send } = setup({ streamChunkTokens: 4 });
    const events = await readSse(await send({ model: MODEL, messages: MESSAGES, max_tokens: 10, stream: true }));
    const contents = events.slice(1, -2).map((e) => (JSON.parse(e.data) as ChatCompletionChunk).choices[0]!.delta.content!);
    expect(contents.map((c) => encodingForModel(MODEL).count(c))).toEqual([4, 4, 2]);
  });

  it('emits token k at TTFT + k / TPS on the injected clock', async () => {
    const { send, clock } = setup({ latency: { ttftMs: 100, tokensPerSecond: 20, jitter: 0 } });
    const res = await send({ model: MODEL, messages: MESSAGES, max_tokens: 4, stream: true });
    const reader = res.body!.getReader();
    const parser = new SseParser();
    const seen: { t: number; data: string }[] = [];
    let finished = false;
    const pump = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const e of parser.feed(value)) seen.push({ t: clock.now(), data: e.data });
      }
      finished = true;
    })();
    for (let t = 0; t <= 300 && !finished; t += 5) {
      clock.set(t);
      for (let i = 0; i < 5; i++) await tick();
    }
    await pump;
    const contentTimes = seen.filter((s) => s.data.includes('"content":"') && !s.data.includes('"role"')).map((s) => s.t);
    expect(contentTimes).toEqual([100, 150, 200, 250]);
    expect(seen[0]!.t).toBe(0); // role chunk at admission
  });

  it('a cancelled stream stops generating and refunds from what was sent', async () => {
    const { send, clock, core } = setup({ latency: { ttftMs: 10, tokensPerSecond: 100, jitter: 0 }, tpm: 1_000_000 });
    const res = await send({ model: MODEL, messages: MESSAGES, max_tokens: 100, stream: true });
    const reader = res.body!.getReader();
    await reader.read(); // role
    clock.set(10);
    await reader.read(); // token 0
    clock.set(30);
    await reader.read(); // tokens 1, 2
    await reader.cancel();
    await tick();
    const s = core.state();
    expect(s.aborted).toBe(1);
    expect(s.completed).toBe(1);
    expect(s.tokens.completion).toBe(3);
    expect(s.tokens.refunded).toBe(97);
    expect(s.inFlight).toBe(0);
  });

  it('an aborted request signal ends the stream', async () => {
    const { send, clock, core } = setup({ latency: { ttftMs: 10, tokensPerSecond: 100, jitter: 0 } });
    const ac = new AbortController();
    const res = await send({ model: MODEL, messages: MESSAGES, max_tokens: 100, stream: true }, undefined, { signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    const next = reader.read();
    ac.abort();
    clock.set(1000);
    await next.catch(() => undefined);
    await tick();
    expect(core.state().aborted).toBe(1);
  });
});

describe('bad requests never crash the mock', () => {
  const cases: [string, string | object, number, object][] = [
    ['malformed JSON', '{"model": "x", ', 400, { type: 'invalid_request_error', param: null, code: null }],
    ['non-object body', '[1,2]', 400, { code: 'invalid_type' }],
    ['missing messages', { model: MODEL }, 400, { param: 'messages', code: 'missing_required_parameter' }],
    ['empty messages', { model: MODEL, messages: [] }, 400, { param: 'messages', code: 'empty_array' }],
    ['messages not an array', { model: MODEL, messages: 'hi' }, 400, { param: 'messages', code: 'invalid_type' }],
    ['message not an object', { model: MODEL, messages: [3] }, 400, { param: 'messages[0]', code: 'invalid_type' }],
    ['bad role', { model: MODEL, messages: [{ role: 'robot', content: 'x' }] }, 400, { param: 'messages[0].role', code: 'invalid_value' }],
    ['content wrong type', { model: MODEL, messages: [{ role: 'user', content: 5 }] }, 400, { param: 'messages[0].content', code: 'invalid_type' }],
    ['max_tokens zero', { model: MODEL, messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }, 400, { param: 'max_tokens', code: 'integer_below_min_value' }],
    ['max_tokens string', { model: MODEL, messages: [{ role: 'user', content: 'x' }], max_tokens: '5' }, 400, { param: 'max_tokens', code: 'invalid_type' }],
    ['max_tokens above cap', { model: MODEL, messages: [{ role: 'user', content: 'x' }], max_tokens: 100000 }, 400, { param: 'max_tokens', code: 'invalid_value' }],
    ['stream not boolean', { model: MODEL, messages: [{ role: 'user', content: 'x' }], stream: 'yes' }, 400, { param: 'stream', code: 'invalid_type' }],
    ['stream_options without stream', { model: MODEL, messages: [{ role: 'user', content: 'x' }], stream_options: { include_usage: true } }, 400, { param: 'stream_options' }],
    ['n > 1', { model: MODEL, messages: [{ role: 'user', content: 'x' }], n: 2 }, 400, { param: 'n' }],
    ['model wrong type', { model: 5, messages: [{ role: 'user', content: 'x' }] }, 400, { param: 'model', code: 'invalid_type' }],
    ['unknown model', { model: 'gpt-99', messages: [{ role: 'user', content: 'x' }] }, 404, { type: 'invalid_request_error', code: 'model_not_found', message: 'The model `gpt-99` does not exist or you do not have access to it.' }],
  ];
  it.each(cases)('%s → %d with an OpenAI-shaped error', async (_name, body, status, fields) => {
    const { send, core } = setup();
    const res = await send(body);
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: Record<string, unknown> };
    expect(Object.keys(json)).toEqual(['error']);
    expect(Object.keys(json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(typeof json.error.message).toBe('string');
    expect(json.error).toMatchObject(fields);
    const s = core.state();
    expect(s.admitted).toBe(0);
    expect(s.rejected[status === 404 ? 'not_found' : 'bad_request']).toBe(1);
  });

  it('context overflow → 400 context_length_exceeded with the exact message', async () => {
    const { send } = setup({ contextWindow: 20 });
    const res = await send({ model: MODEL, messages: [{ role: 'user', content: 'time year people way day' }], max_tokens: 16 });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message: "This model's maximum context length is 20 tokens. However, you requested 21 tokens (5 in the messages, 16 in the completion). Please reduce the length of the messages or completion.",
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    });
  });

  it('body over maxBodyBytes → 413', async () => {
    const { send, core } = setup({ maxBodyBytes: 1000 });
    const res = await send({ model: MODEL, messages: [{ role: 'user', content: 'x'.repeat(2000) }] });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('request_too_large');
    expect(core.state().rejected.payload_too_large).toBe(1);
  });
});

describe('models and control routes', () => {
  it('lists the profile models, default first', async () => {
    const { get } = setup({ model: 'qwen2-72b-instruct' });
    const body = (await (await get('/v1/models')).json()) as { object: string; data: { id: string }[] };
    expect(body.object).toBe('list');
    expect(body.data.map((m) => m.id)).toEqual(['qwen2-72b-instruct', 'qwen2-0.5b-instruct', 'qwen2-1.5b-instruct', 'qwen2-7b-instruct', 'qwen2-57b-a14b-instruct']);
  });

  it('serves state and resets it', async () => {
    const { send, get, handlers } = setup({ rpm: 2 });
    await send({ model: MODEL, messages: MESSAGES, max_tokens: 3 });
    await send({ model: MODEL, messages: MESSAGES, max_tokens: 3 });
    await send({ model: MODEL, messages: MESSAGES, max_tokens: 3 });
    await send('nope');
    const s = await (await get('/__limitprobe/state')).json();
    expect(s).toMatchObject({
      admitted: 2,
      completed: 2,
      inFlight: 0,
      rejected: { rate_limited_requests: 1, bad_request: 1 },
      rejectedTotal: 2,
      buckets: { requests: { limit: 2, remaining: 0 } },
      profile: 'qwen2',
      model: MODEL,
    });
    const reset = await getResponse(handlers, new Request('http://mock.local/__limitprobe/reset', { method: 'POST' }));
    expect(await reset!.json()).toMatchObject({ admitted: 0, rejectedTotal: 0, buckets: { requests: { limit: 2, remaining: 2, resetMs: 0 } } });
  });
});
