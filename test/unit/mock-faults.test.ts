/** Overload (§7.19) and transport faults, seeded, in process on a VirtualClock. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { decideFault, decideOverload, overloadProbability } from '../../mock-server/core/faults.js';
import { MockCore, type MockCoreOptions } from '../../mock-server/core/core.js';
import { inProcess, readSse } from '../../mock-server/testing.js';

const MSG = [{ role: 'user', content: 'hi' }];
function setup(opts: MockCoreOptions) {
  const clock = new VirtualClock(0);
  const core = new MockCore({ latency: { ttftMs: 0, tokensPerSecond: 0, jitter: 0 }, clock, seed: 3, ...opts });
  return { clock, core, mock: inProcess(core) };
}
const flush = () => new Promise((r) => setImmediate(r));

describe('capacity model and timeline', () => {
  it('probability rises linearly above capacity; latency slows; decisions are seeded', () => {
    const c = { concurrency: 10, maxProbability: 0.5 };
    expect([5, 10, 15, 20, 40].map((n) => overloadProbability(c, n))).toEqual([0, 0, 0.25, 0.5, 0.5]);
    expect(decideOverload({ capacity: { concurrency: 10 } }, 1, 0, 0, 20).slowdown).toBe(2);
    const hits = (seed: number) => Array.from({ length: 1000 }, (_, i) => decideOverload({ capacity: c }, seed, i, 0, 15).overloaded);
    const a = hits(1);
    expect(a).toEqual(hits(1));
    const rate = a.filter(Boolean).length / 1000;
    expect(rate).toBeGreaterThan(0.2);
    expect(rate).toBeLessThan(0.3);
    const tl = { timeline: [{ fromMs: 1000, toMs: 2000, probability: 1, status: 500 }] };
    expect(decideOverload(tl, 1, 0, 999, 0).overloaded).toBe(false);
    expect(decideOverload(tl, 1, 0, 1500, 0)).toMatchObject({ overloaded: true, status: 500 });
    expect(decideOverload(tl, 1, 0, 2000, 0).overloaded).toBe(false);
  });

  it('in flight above capacity → 503 for OpenAI, charging no quota', async () => {
    const { core, clock, mock } = setup({ rpm: 1000, latency: { ttftMs: 1000, tokensPerSecond: 0, jitter: 0 }, overload: { capacity: { concurrency: 2, maxProbability: 1 } } });
    const pending = [0, 1, 2, 3, 4, 5].map(() => mock.post('/v1/chat/completions', { messages: MSG, max_tokens: 1 }));
    await flush();
    clock.advance(3000);
    const statuses = await Promise.all(pending.map(async (p) => (await p).status));
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(core.state().rejected.overloaded).toBe(statuses.filter((s) => s === 503).length);
    expect(core.state().admitted).toBe(statuses.filter((s) => s === 200).length);
  });

  it('fault rules by probability and by schedule are seeded', () => {
    const rules = [{ kind: 'cut' as const, probability: 0.5 }];
    const a = Array.from({ length: 200 }, (_, i) => decideFault(rules, 9, i, 0)?.kind ?? '-');
    expect(a).toEqual(Array.from({ length: 200 }, (_, i) => decideFault(rules, 9, i, 0)?.kind ?? '-'));
    expect(a.filter((k) => k === 'cut').length).toBeGreaterThan(70);
    expect(decideFault([{ kind: 'reset', fromMs: 100, toMs: 200 }], 1, 0, 150)?.kind).toBe('reset');
    expect(decideFault([{ kind: 'reset', fromMs: 100, toMs: 200 }], 1, 0, 200)).toBeUndefined();
  });
});

describe('transport faults (in process)', () => {
  const stream = { messages: MSG, max_tokens: 10, stream: true };
  it('reset before headers: fetch fails', async () => {
    const { mock } = setup({ faults: [{ kind: 'reset' }] });
    await expect(mock.post('/v1/chat/completions', { messages: MSG })).rejects.toThrow(TypeError);
  });

  it('stream cut mid-way: the body errors after half the tokens, without [DONE]', async () => {
    const { mock, core } = setup({ faults: [{ kind: 'cut', afterTokens: 4 }] });
    const { events, error } = await readSse(await mock.post('/v1/chat/completions', stream));
    expect(error).toBeDefined();
    expect(events.filter((e) => e.data.includes('"content":"') && !e.data.includes('"role"'))).toHaveLength(4);
    expect(events.some((e) => e.data === '[DONE]')).toBe(false);
    expect(core.state()).toMatchObject({ aborted: 1, tokens: { completion: 4 } });
  });

  it('malformed SSE line: one broken data line, then the stream goes on to [DONE]', async () => {
    const { mock } = setup({ faults: [{ kind: 'malformed-sse', afterTokens: 3 }] });
    const { events } = await readSse(await mock.post('/v1/chat/completions', stream));
    const bad = events.filter((e) => {
      if (e.data === '[DONE]') return false;
      try {
        JSON.parse(e.data);
        return false;
      } catch {
        return true;
      }
    });
    expect(bad).toHaveLength(1);
    expect(events.at(-1)!.data).toBe('[DONE]');
  });

  it('stall after headers (ms) and slow first byte, on the virtual clock', async () => {
    const s = setup({ faults: [{ kind: 'stall', ms: 5000 }] });
    const res = await s.mock.post('/v1/chat/completions', stream);
    expect(res.status).toBe(200);
    let done = false;
    const reading = readSse(res).then((r) => ((done = true), r));
    for (let i = 0; i < 4; i++) {
      s.clock.advance(1000);
      await flush();
    }
    expect(done).toBe(false);
    s.clock.advance(1000);
    expect((await reading).events.at(-1)!.data).toBe('[DONE]');

    const f = setup({ faults: [{ kind: 'slow-first-byte', ms: 2000 }] });
    let answered = false;
    const p = f.mock.post('/v1/chat/completions', { messages: MSG, max_tokens: 1 }).then((r) => ((answered = true), r));
    await flush();
    f.clock.advance(1999);
    await flush();
    expect(answered).toBe(false);
    f.clock.advance(1);
    expect((await p).status).toBe(200);
  });

  it("Anthropic: event: error (overloaded_error) mid-stream (§7.23)", async () => {
    const { mock } = setup({ dialect: 'anthropic', faults: [{ kind: 'error-event', afterTokens: 2 }] });
    const { events } = await readSse(await mock.post('/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 10, stream: true, messages: MSG }));
    expect(events.filter((e) => e.event === 'content_block_delta')).toHaveLength(2);
    expect(events.at(-1)).toEqual({ event: 'error', data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' });
  });

  it('JSON cut: half a body, then the connection drops', async () => {
    const { mock } = setup({ faults: [{ kind: 'cut' }] });
    const res = await mock.post('/v1/chat/completions', { messages: MSG, max_tokens: 5 });
    await expect(res.text()).rejects.toThrow();
  });
});
