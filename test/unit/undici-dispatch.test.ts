/**
 * HttpDispatch against a scripted raw node:http server on loopback: what each kind of answer
 * becomes (the AttemptResult fields), what goes on the wire (body, auth, retry-count header),
 * and the failure paths (deadline before and during the body, the caller's abort, a refused
 * connection, a stream cut or broken mid-way). Times are checked for order, not value.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock, type Clock } from '../../src/clock.js';
import { HttpDispatch } from '../../src/client/undici-dispatch.js';
import type { AttemptResult, PlannedRequest } from '../../src/exec/ports.js';
import { runRelativeClock } from '../../src/exec/run-clock.js';
import type { Dialect } from '../../src/metrics/classify.js';
import { countTokens } from '../../src/tokens/count.js';

const MODEL = 'gpt-4o-mini';
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let base: string;
const seen: { path: string; headers: IncomingMessage['headers']; body: string }[] = [];
const cases = new Map<string, Handler>();
const open: ServerResponse[] = [];

const completion = (content: string, usage?: object) =>
  JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: MODEL, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], ...(usage ? { usage } : {}) });
const chunk = (content: string | undefined, usage?: object) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: content === undefined ? [] : [{ index: 0, delta: { content } }], ...(usage ? { usage } : {}) })}\n\n`;

cases.set('json', (_q, res) => {
  res.writeHead(200, {
    'content-type': 'application/json',
    'x-ratelimit-limit-requests': '500',
    'x-ratelimit-remaining-requests': '499',
    'x-ratelimit-limit-tokens': '30000',
    'x-ratelimit-remaining-tokens': '29000',
  });
  res.end(completion('Hello there, friend.', { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 }));
});
cases.set('json-no-usage', (_q, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(completion('Counted by our own tokenizer, since the server sent no usage.'));
});
cases.set('not-json', (_q, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('<html>oops</html>');
});
cases.set('429', (_q, res) => {
  res.writeHead(429, { 'content-type': 'application/json', 'retry-after-ms': '1250', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-limit-requests': '60' });
  res.end(JSON.stringify({ error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } }));
});
cases.set('503-text', (_q, res) => {
  res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '2' });
  res.end('upstream overloaded, try later');
});
// Paced by the client's own stamps (not by sleeps a loaded machine can swallow): the empty
// delta goes with the headers; 'Hel' only once the client has stamped its first byte; the rest
// only once it has stamped something after 'Hel' (its first token), plus 5 ms.
let helloSentAt = NaN;
cases.set('sse', async (_q, res) => {
  const c0 = clockCalls; // the attempt's start is already stamped
  res.writeHead(200, { 'content-type': 'text/event-stream', 'x-ratelimit-remaining-tokens': '100' });
  res.write(chunk(''));
  await until(() => clockCalls >= c0 + 1).catch(() => {});
  await new Promise((r) => setTimeout(r, 5));
  helloSentAt = runClock.now();
  res.write(chunk('Hel'));
  await until(() => clockCalls >= c0 + 2, 1_000).catch(() => {});
  await new Promise((r) => setTimeout(r, 5));
  res.write(chunk('lo'));
  res.write(chunk(undefined, { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 }));
  res.end('data: [DONE]\n\n');
});
cases.set('sse-no-usage', (_q, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
  res.write(chunk('Some words '));
  res.end(chunk('to count.') + 'data: [DONE]\n\n');
});
cases.set('sse-cut', (_q, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(chunk('partial ') + chunk(undefined, { prompt_tokens: 3, completion_tokens: 1 }));
});
cases.set('sse-error', (_q, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(chunk('a') + `data: ${JSON.stringify({ error: { message: 'overloaded mid-stream', type: 'server_error', code: 'overloaded_mid' } })}\n\n`);
});
cases.set('sse-malformed', (_q, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end('data: {not json\n\n');
});
cases.set('hang', (_q, res) => void open.push(res));
cases.set('hang-body', (_q, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(chunk('first'));
  open.push(res);
});
cases.set('reset-body', (q, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
  res.write('{"id":');
  setTimeout(() => q.socket.destroy(), 5);
});

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ path: req.url!, headers: req.headers, body });
      const name = req.url!.split('/')[1]!;
      const h = cases.get(name);
      if (!h) {
        res.writeHead(404);
        res.end();
        return;
      }
      h(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const r of open) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const runClock = runRelativeClock(new RealClock());
/** Every stamp the dispatch takes is counted, so a server can wait for the client to have taken one. */
let clockCalls = 0;
const clock: Clock = { now: () => (clockCalls++, runClock.now()), sleepUntil: (t, signal) => runClock.sleepUntil(t, signal) };

/** Resolves once `cond` holds (polled every 5 ms), or rejects after `ms`. */
async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function dispatchFor(name: string, opts: { timeoutMs?: number; apiKey?: string; dialect?: Dialect; groupApiKeys?: Record<string, string>; headers?: Record<string, string> } = {}) {
  return new HttpDispatch({ baseUrl: `${base}/${name}/v1`, dialect: opts.dialect ?? 'openai', timeoutMs: opts.timeoutMs ?? 5_000, clock, apiKey: opts.apiKey, groupApiKeys: opts.groupApiKeys, headers: opts.headers });
}

function req(stream = false, extra: Partial<PlannedRequest> = {}): PlannedRequest {
  return { requestId: 1, group: 'default', phase: 'p', targetedStartMs: 0, model: MODEL, messages: [{ role: 'user', content: 'Say hello.' }], promptTokens: 10, maxTokens: 16, stream, ...extra };
}

async function send(name: string, r: PlannedRequest, opts: Parameters<typeof dispatchFor>[1] = {}, attempt = 1, signal = new AbortController().signal): Promise<AttemptResult> {
  const d = dispatchFor(name, opts);
  try {
    return await d.send(r, attempt, signal);
  } finally {
    await d.close();
  }
}

/** Everything but the times, which are checked for order. */
function meaning(r: AttemptResult) {
  const { startMs, firstByteMs, firstTokenMs, endMs, ...rest } = r;
  expect(startMs).toBeTypeOf('number');
  if (firstByteMs !== undefined) expect(firstByteMs).toBeGreaterThanOrEqual(startMs!);
  if (firstTokenMs !== undefined) expect(firstTokenMs).toBeGreaterThanOrEqual(firstByteMs!);
  expect(endMs).toBeGreaterThanOrEqual(firstTokenMs ?? firstByteMs ?? startMs!);
  return rest;
}

describe('HttpDispatch: answers become attempt results', () => {
  it('JSON 200: usage, rate-limit headers, bytes; the request body and headers on the wire', async () => {
    const r = await send('json', req(), { apiKey: 'sk-test', headers: { 'x-extra': 'yes' } });
    expect(r.firstByteMs).toBeTypeOf('number');
    expect(r.firstTokenMs).toBeUndefined();
    expect(meaning(r)).toEqual({
      promptTokensEstimate: 10,
      maxTokens: 16,
      stream: false,
      status: 200,
      rateLimit: { limitRequests: 500, remainingRequests: 499, limitTokens: 30000, remainingTokens: 29000 },
      outcome: 'ok',
      promptTokens: 12,
      completionTokens: 5,
      bytesIn: Buffer.byteLength(completion('Hello there, friend.', { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 })),
    });
    const last = seen.at(-1)!;
    expect(last.path).toBe('/json/v1/chat/completions');
    expect(last.body).toBe(JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 16, stream: false }));
    expect(last.headers['content-type']).toBe('application/json');
    expect(last.headers.authorization).toBe('Bearer sk-test');
    expect(last.headers['x-extra']).toBe('yes');
    expect(last.headers['x-stainless-retry-count']).toBeUndefined();
  });

  it('a retry carries x-stainless-retry-count; a group sends its own key', async () => {
    await send('json', req(false, { group: 'b' }), { apiKey: 'sk-a', groupApiKeys: { b: 'sk-b' } }, 3);
    const last = seen.at(-1)!;
    expect(last.headers['x-stainless-retry-count']).toBe('2');
    expect(last.headers.authorization).toBe('Bearer sk-b');
    await send('json', req(false, { group: 'c' }), { apiKey: 'sk-a', groupApiKeys: { b: 'sk-b' }, dialect: 'azure' });
    expect(seen.at(-1)!.headers['api-key']).toBe('sk-a');
  });

  it('JSON 200 without usage: completion tokens from our tokenizer, prompt tokens unknown', async () => {
    const r = await send('json-no-usage', req());
    const m = meaning(r);
    expect(m.outcome).toBe('ok');
    expect(m.promptTokens).toBeUndefined();
    expect(m.completionTokens).toBe(countTokens('Counted by our own tokenizer, since the server sent no usage.', MODEL));
    expect(m.rateLimit).toEqual({});
  });

  it('a 200 that is not JSON is a server error', async () => {
    const m = meaning(await send('not-json', req()));
    expect(m).toMatchObject({ status: 200, outcome: 'server_error', errorCode: 'E_BAD_JSON', errorMessage: 'response body is not JSON', bytesIn: 17 });
  });

  it('429: classified by the body, retry-after-ms and rate-limit headers kept', async () => {
    const r = await send('429', req());
    expect(meaning(r)).toEqual({
      promptTokensEstimate: 10,
      maxTokens: 16,
      stream: false,
      status: 429,
      rateLimit: { limitRequests: 60, remainingRequests: 0 },
      outcome: 'rate_limited_requests',
      errorCode: 'rate_limit_exceeded',
      errorMessage: 'Rate limit reached for requests',
      retryAfterMs: 1250,
      bytesIn: Buffer.byteLength(JSON.stringify({ error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } })),
    });
  });

  it('an error status with a text body: the text is the message, retry-after in seconds', async () => {
    const m = meaning(await send('503-text', req()));
    expect(m).toMatchObject({ status: 503, outcome: 'overloaded', errorMessage: 'upstream overloaded, try later', retryAfterMs: 2000, bytesIn: 30 });
  });

  it('SSE: first token at the first non-empty delta, usage from the final chunk', async () => {
    const r = await send('sse', req(true));
    expect(r.firstTokenMs).toBeTypeOf('number');
    expect(r.firstTokenMs!).toBeGreaterThanOrEqual(helloSentAt); // not at the empty delta before it
    expect(r.endMs - r.firstTokenMs!).toBeGreaterThanOrEqual(5); // nor at the end
    const m = meaning(r);
    expect(m).toMatchObject({ status: 200, outcome: 'ok', promptTokens: 9, completionTokens: 2, stream: true, rateLimit: { remainingTokens: 100 } });
    expect(m.bytesIn).toBeGreaterThan(100);
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ model: MODEL, messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 16, stream: true, stream_options: { include_usage: true } });
  });

  it('SSE without usage: completion tokens counted over the text, by tokens not chunks', async () => {
    const m = meaning(await send('sse-no-usage', req(true)));
    expect(m).toMatchObject({ outcome: 'ok', completionTokens: countTokens('Some words to count.', MODEL) });
    expect(m.promptTokens).toBeUndefined();
  });

  it('stream requested but JSON answered: read as JSON', async () => {
    const r = await send('json', req(true));
    expect(r.firstTokenMs).toBeUndefined();
    expect(meaning(r)).toMatchObject({ outcome: 'ok', promptTokens: 12, completionTokens: 5 });
  });

  it('SSE cut before [DONE]: network_error E_STREAM_CUT, what arrived is kept', async () => {
    const r = await send('sse-cut', req(true));
    expect(r.firstTokenMs).toBeTypeOf('number');
    expect(meaning(r)).toMatchObject({ status: 200, outcome: 'network_error', errorCode: 'E_STREAM_CUT', errorMessage: 'stream ended before [DONE]', promptTokens: 3, completionTokens: 1 });
  });

  it('SSE error event and malformed data are server errors', async () => {
    expect(meaning(await send('sse-error', req(true)))).toMatchObject({ status: 200, outcome: 'server_error', errorCode: 'overloaded_mid', errorMessage: 'overloaded mid-stream' });
    expect(meaning(await send('sse-malformed', req(true)))).toMatchObject({ status: 200, outcome: 'server_error', errorCode: 'E_BAD_SSE', errorMessage: 'malformed SSE data line' });
  });
});

describe('HttpDispatch: failures', () => {
  it('no answer within timeoutMs: timeout, no status', async () => {
    const r = await send('hang', req(), { timeoutMs: 150 });
    expect(r.endMs - r.startMs!).toBeGreaterThanOrEqual(140);
    expect(r.firstByteMs).toBeUndefined();
    expect(meaning(r)).toEqual({ promptTokensEstimate: 10, maxTokens: 16, stream: false, outcome: 'timeout', errorCode: 'E_TIMEOUT', errorMessage: 'no complete response within 150 ms' });
  });

  it('the deadline covers the body: a stalled stream times out with its first byte and token kept', async () => {
    // Generous: the first chunk must have been read before the deadline, even on a loaded host.
    const r = await send('hang-body', req(true), { timeoutMs: 1_000 });
    expect(r.firstByteMs).toBeTypeOf('number');
    expect(r.firstTokenMs).toBeTypeOf('number');
    expect(r.endMs - r.startMs!).toBeGreaterThanOrEqual(990);
    expect(meaning(r)).toEqual({ promptTokensEstimate: 10, maxTokens: 16, stream: true, outcome: 'timeout', errorCode: 'E_TIMEOUT', errorMessage: 'no complete response within 1000 ms' });
  });

  it('many attempts with one deadline each, answered or not, in one dispatch', async () => {
    const d = dispatchFor('hang', { timeoutMs: 100 });
    const ok = dispatchFor('json', { timeoutMs: 100 });
    const signal = new AbortController().signal;
    try {
      const rs = await Promise.all([...Array.from({ length: 5 }, () => d.send(req(), 1, signal)), ...Array.from({ length: 5 }, () => ok.send(req(), 1, signal))]);
      expect(rs.map((r) => r.outcome)).toEqual([...Array(5).fill('timeout'), ...Array(5).fill('ok')]);
      // A later attempt gets its own full deadline.
      const t0 = clock.now();
      const late = await d.send(req(), 1, signal);
      expect(late.outcome).toBe('timeout');
      expect(late.endMs - t0).toBeGreaterThanOrEqual(90);
    } finally {
      await d.close();
      await ok.close();
    }
  });

  it('close() waits for attempts in flight, which still time out', async () => {
    const d = dispatchFor('hang', { timeoutMs: 150 });
    const p = d.send(req(), 1, new AbortController().signal);
    await new Promise((r) => setTimeout(r, 20));
    await d.close();
    expect((await p).outcome).toBe('timeout');
  });

  it("the caller's abort ends an attempt waiting for headers, and one reading the body", async () => {
    const ac = new AbortController();
    const d = dispatchFor('hang', { timeoutMs: 5_000 });
    const d2 = dispatchFor('hang-body', { timeoutMs: 5_000 });
    try {
      const before = open.length;
      const p1 = d.send(req(), 1, ac.signal);
      const p2 = d2.send(req(true), 1, ac.signal);
      // Both requests are at the server (the streaming one got its first chunk), then a margin to read it.
      await until(() => open.length >= before + 2);
      await new Promise((r) => setTimeout(r, 100));
      ac.abort(new Error('interrupted'));
      const [r1, r2] = await Promise.all([p1, p2]);
      expect(meaning(r1)).toEqual({ promptTokensEstimate: 10, maxTokens: 16, stream: false, outcome: 'network_error', errorCode: 'Error', errorMessage: 'interrupted' });
      expect(r2.firstTokenMs).toBeTypeOf('number');
      expect(meaning(r2)).toEqual({ promptTokensEstimate: 10, maxTokens: 16, stream: true, outcome: 'network_error', errorCode: 'Error', errorMessage: 'interrupted' });
      // Already aborted: never sent successfully.
      const r3 = await d.send(req(), 1, ac.signal);
      expect(r3.outcome).toBe('network_error');
      expect(r3.errorMessage).toBe('interrupted');
    } finally {
      await d.close();
      await d2.close();
    }
  });

  it('a refused connection and a reset mid-body are network errors with the transport code', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const d = new HttpDispatch({ baseUrl: `http://127.0.0.1:${port}/v1`, dialect: 'openai', timeoutMs: 2_000, clock });
    try {
      const r = await d.send(req(), 1, new AbortController().signal);
      expect(meaning(r)).toMatchObject({ outcome: 'network_error', errorCode: 'ECONNREFUSED' });
      expect(r.status).toBeUndefined();
    } finally {
      await d.close();
    }
    const r2 = await send('reset-body', req());
    expect(r2.firstByteMs).toBeTypeOf('number');
    expect(meaning(r2)).toMatchObject({ outcome: 'network_error', errorCode: 'UND_ERR_SOCKET' });
    expect(r2.status).toBeUndefined();
  });
});
