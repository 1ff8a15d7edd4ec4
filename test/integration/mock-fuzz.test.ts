/**
 * Fuzzing the HTTP surface with fast-check: random methods, paths, headers and bodies against
 * live mocks (openai dialect without auth; anthropic dialect with API keys and an admin token),
 * each on both transports ('direct' and 'msw' dispatch).
 * No crash, no hang, every answer a well-formed error in the dialect's shape (or a real answer),
 * and a valid request is still answered correctly afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Agent, request } from 'undici';
import { createMockServer, type MockServer } from '../../mock-server/index.js';

const agent = new Agent({ connections: 8, headersTimeout: 5000, bodyTimeout: 5000 });
afterAll(() => agent.close());

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/);
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,60}$/).map((s) => s.trim());
const CHAT_PATHS = ['/v1/chat/completions', '/compatible-mode/v1/chat/completions', '/v1/messages', '/v1/models', '/__limitprobe/state', '/__limitprobe/config', '/__limitprobe/reset', '/__limitprobe/referee.csv', '/openai/deployments/x/chat/completions'];
const path = fc.oneof(
  fc.constantFrom(...CHAT_PATHS),
  fc.array(fc.webSegment(), { maxLength: 4 }).map((s) => '/' + s.join('/')),
  fc.tuple(fc.webSegment(), fc.constantFrom(...CHAT_PATHS)).map(([a, b]) => `/${a}${b}`),
  fc.tuple(fc.constantFrom(...CHAT_PATHS), fc.webQueryParameters()).map(([p, q]) => `${p}?${q}`),
);
const method = fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD');
const chatish = fc.record(
  {
    model: fc.oneof(fc.constantFrom('qwen2-7b-instruct', 'claude-sonnet-4-5', 'gpt-4o'), fc.anything()),
    messages: fc.oneof(fc.array(fc.record({ role: fc.oneof(fc.constantFrom('user', 'assistant', 'system'), fc.anything()), content: fc.oneof(fc.string(), fc.anything()) }), { maxLength: 3 }), fc.anything()),
    max_tokens: fc.oneof(fc.integer({ min: -5, max: 10 }), fc.anything()),
    stream: fc.oneof(fc.boolean(), fc.anything()),
    stream_options: fc.oneof(fc.constant({ include_usage: true }), fc.anything()),
    n: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.anything()),
    limits: fc.anything(),
    overload: fc.anything(),
    faults: fc.anything(),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(fc.constant(''), fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 }), chatish.map((o) => JSON.stringify(o)), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')));
const headers = fc.dictionary(token.map((t) => t.toLowerCase()), headerValue, { maxKeys: 5 }).chain((h) =>
  fc.record({
    extra: fc.constant(h),
    auth: fc.option(fc.oneof(headerValue.map((v) => ['authorization', v] as const), headerValue.map((v) => ['x-api-key', v] as const), fc.constant(['x-api-key', 'ak-good'] as const))),
    retry: fc.option(headerValue.map((v) => ['x-stainless-retry-count', v] as const)),
    ct: fc.option(headerValue.map((v) => ['content-type', v] as const)),
  }),
);

function wellFormed(status: number, text: string, ct: string, family: 'openai' | 'anthropic'): string | undefined {
  if (status < 100 || status > 599) return `status ${status}`;
  if (status >= 200 && status < 300) return undefined;
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return `non-JSON ${status} (${ct}): ${text.slice(0, 80)}`;
  }
  const o = j as { error?: { message?: unknown }; type?: unknown };
  if (typeof o.error?.message !== 'string') return `no error.message in ${text.slice(0, 120)}`;
  if (family === 'anthropic' && !text.includes('limitprobe control API') && o.type !== 'error') return `anthropic error without type:"error": ${text.slice(0, 120)}`;
  return undefined;
}

const servers: { family: 'openai' | 'anthropic'; server: MockServer }[] = [];
beforeAll(async () => {
  const latency = { ttftMs: 0, tokensPerSecond: 0, jitter: 0 };
  for (const dispatch of ['direct', 'msw'] as const) {
    servers.push({ family: 'openai', server: await createMockServer({ dispatch, rpm: 1_000_000, tpm: 1_000_000_000, latency, maxBodyBytes: 4096 }) });
    servers.push({
      family: 'anthropic',
      server: await createMockServer({ dialect: 'anthropic', dispatch, rpm: 1_000_000, itpm: 1_000_000_000, otpm: 1_000_000_000, latency, apiKeys: ['ak-good'], adminToken: 'admin' }),
    });
  }
});
afterAll(async () => {
  for (const s of servers) await s.server.close();
});

describe('fuzzing the HTTP surface', () => {
  for (const runs of [400]) {
    it(`${runs} random requests per server: no crash, no hang, well-formed errors; valid requests still work`, async () => {
      for (const { family, server } of servers) {
        const problems: string[] = [];
        await fc.assert(
          fc.asyncProperty(method, path, headers, body, async (m, p, h, b) => {
            const hdrs: Record<string, string> = { ...h.extra };
            for (const kv of [h.auth, h.retry, h.ct]) if (kv) hdrs[kv[0]] = kv[1];
            delete hdrs['content-length'];
            delete hdrs['transfer-encoding'];
            delete hdrs['host'];
            delete hdrs['connection'];
            delete hdrs['expect'];
            delete hdrs['upgrade'];
            delete hdrs['keep-alive'];
            const res = await request(server.url + p, { method: m as 'GET', headers: hdrs, body: m === 'GET' || m === 'HEAD' ? undefined : b, dispatcher: agent });
            const text = await res.body.text();
            if (m === 'HEAD') return;
            const bad = wellFormed(res.statusCode, text, String(res.headers['content-type']), family);
            if (bad) problems.push(`${m} ${p}: ${bad}`);
          }),
          { numRuns: runs, seed: 42 },
        );
        expect(problems.slice(0, 5)).toEqual([]);
        // Still correct afterwards.
        if (family === 'openai') {
          const ok = await request(server.url + '/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen2-7b-instruct', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }), dispatcher: agent });
          expect(ok.statusCode).toBe(200);
          expect(((await ok.body.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(3);
        } else {
          const ok = await request(server.url + '/v1/messages', { method: 'POST', headers: { 'x-api-key': 'ak-good' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 3, messages: [{ role: 'user', content: 'hi' }] }), dispatcher: agent });
          expect(ok.statusCode).toBe(200);
          expect(((await ok.body.json()) as { usage: { output_tokens: number } }).usage.output_tokens).toBe(3);
        }
      }
    }, 60_000);
  }
});
