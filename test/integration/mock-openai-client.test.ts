/** The official `openai` npm client as a test peer of the mock, over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { RateLimitError } from 'openai';
import { countPromptTokens } from '../../src/tokens/count.js';
import { createMockServer, type MockServer } from '../../mock-server/index.js';

const MODEL = 'qwen2-7b-instruct';
const MESSAGES = [
  { role: 'system' as const, content: 'You are a helpful assistant.' },
  { role: 'user' as const, content: 'What is a token bucket?' },
];

let server: MockServer;
let client: OpenAI;

beforeAll(async () => {
  server = await createMockServer({ rpm: 1000, tpm: 1_000_000, latency: { ttftMs: 5, tokensPerSecond: 2000, jitter: 0 } });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

describe('openai client against the mock', () => {
  it('chat.completions.create (JSON)', async () => {
    const r = await client.chat.completions.create({ model: MODEL, messages: MESSAGES, max_tokens: 16 });
    expect(r.object).toBe('chat.completion');
    expect(r.choices[0]!.message.role).toBe('assistant');
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(r.usage).toMatchObject({ prompt_tokens: countPromptTokens(MESSAGES, MODEL), completion_tokens: 16 });
  });

  it('withResponse exposes the rate-limit headers', async () => {
    const { response } = await client.chat.completions.create({ model: MODEL, messages: MESSAGES, max_tokens: 1 }).withResponse();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('1000');
    expect(response.headers.get('x-ratelimit-reset-tokens')).toMatch(/^(\d+h)?(\d+m)?(\d+(\.\d+)?s|\d+ms)$/);
  });

  it('streaming with include_usage', async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: MESSAGES,
      max_tokens: 20,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null = null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.choices[0]?.delta.content) text += chunk.choices[0].delta.content;
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBe(1 + 20 + 1 + 1);
    expect(text.split(' ')).toHaveLength(20);
    expect(finish).toBe('length');
    expect(usage).toMatchObject({ prompt_tokens: countPromptTokens(MESSAGES, MODEL), completion_tokens: 20 });
  });

  it('the stream helper assembles the final completion', async () => {
    const runner = client.chat.completions.stream({ model: MODEL, messages: MESSAGES, max_tokens: 8, stream_options: { include_usage: true } });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.message.content!.split(' ')).toHaveLength(8);
    expect(final.usage?.completion_tokens).toBe(8);
  });

  it('a 429 surfaces as RateLimitError carrying the mock’s message and headers', async () => {
    const s = await createMockServer({ rpm: 1, latency: { ttftMs: 0, tokensPerSecond: 0, jitter: 0 } });
    try {
      const c = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
      await c.chat.completions.create({ model: MODEL, messages: MESSAGES, max_tokens: 1 });
      const err = await c.chat.completions.create({ model: MODEL, messages: MESSAGES, max_tokens: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RateLimitError);
      const e = err as InstanceType<typeof RateLimitError>;
      expect(e.status).toBe(429);
      expect(e.code).toBe('rate_limit_exceeded');
      expect(e.type).toBe('requests');
      expect(e.message).toContain(
        'Rate limit reached for qwen2-7b-instruct in organization org-limitprobe on requests per min (RPM): Limit 1, Used 1, Requested 1. Please try again in',
      );
      expect(e.headers?.get('retry-after')).toMatch(/^(59|60)$/);
    } finally {
      await s.close();
    }
  });

  it('models.list', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids[0]).toBe(MODEL);
    expect(ids).toHaveLength(5);
  });
});
