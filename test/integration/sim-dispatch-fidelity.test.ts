/**
 * Field-for-field: SimDispatch records what HttpDispatch records against the HTTP mock for
 * the same decisions. Both cores start at the same frozen instant (a VirtualClock under the
 * HTTP mock, a SimClock under the simulation) with instant latency, and get the same
 * sequence of requests: successes, an RPM 429, a TPM 429, the never-succeeds 429, a prompt
 * over the context window, max_tokens over the cap. Everything but the timestamps and
 * bytes_in (there is no wire) must be equal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { HttpDispatch } from '../../src/client/undici-dispatch.js';
import { SimDispatch } from '../../src/client/sim-dispatch.js';
import type { AttemptResult, PlannedRequest } from '../../src/exec/ports.js';
import { SimClock } from '../../src/exec/virtual-driver.js';
import { createRng } from '../../src/plan/rng.js';
import { synthesizeText } from '../../src/tokens/synth.js';
import { createMockServer, type MockServer } from '../../mock-server/index.js';
import { MockCore } from '../../mock-server/core/index.js';

const MODEL = 'qwen2-7b-instruct';
const LIMITS = { rpm: 5, tpm: 10_000 };
const LATENCY = { ttftMs: 0, tokensPerSecond: 0, jitter: 0 };

let server: MockServer;
let http: HttpDispatch;
let sim: SimDispatch;
let simClock: SimClock;
let mockClock: VirtualClock;

function request(id: number, promptTokens: number, maxTokens: number, stream = false): PlannedRequest {
  const content = synthesizeText(promptTokens, MODEL, createRng(1, 'fidelity', id));
  return { requestId: id, group: 'default', phase: 'p', targetedStartMs: 0, model: MODEL, messages: [{ role: 'user', content }], promptTokens, maxTokens, stream };
}

/** What must agree: everything but times and bytes. */
function meaning(r: AttemptResult) {
  const { startMs: _s, firstByteMs: _fb, firstTokenMs: _ft, endMs: _e, bytesIn: _b, ...rest } = r;
  return rest;
}

beforeAll(async () => {
  server = await createMockServer({ profile: 'qwen2', model: MODEL, ...LIMITS, latency: LATENCY, seed: 5, clock: (mockClock = new VirtualClock(0)), port: 0 });
  const relative = new VirtualClock(0);
  http = new HttpDispatch({ baseUrl: `${server.url}/v1`, dialect: 'openai', timeoutMs: 10_000, clock: relative });
  simClock = new SimClock(0);
  const core = new MockCore({ profile: 'qwen2', model: MODEL, ...LIMITS, latency: LATENCY, seed: 5, clock: simClock, epochMs: 0 });
  sim = new SimDispatch({ core, clock: simClock, timeoutMs: 10_000 });
});

afterAll(async () => {
  await http?.close();
  await server?.close();
});

async function both(req: PlannedRequest): Promise<[AttemptResult, AttemptResult]> {
  const signal = new AbortController().signal;
  const live = await http.send(req, 1, signal);
  const p = sim.send(req, 1, signal);
  simClock.advance(1); // the simulated round trip; the HTTP mock's time moves the same
  mockClock.advance(1);
  return [live, await p];
}

describe('SimDispatch ≡ HttpDispatch against the HTTP mock', () => {
  it('agrees on every decision, field for field', async () => {
    const cases: [string, PlannedRequest][] = [
      ['ok json', request(1, 300, 20)],
      ['ok stream', request(2, 500, 30, true)],
      ['tpm 429', request(3, 9_000, 500)],
      ['ok', request(4, 100, 10)],
      ['never fits (request too large)', request(5, 20_000, 10)],
      ['context exceeded', request(6, 131_000, 200)],
      ['max_tokens over the cap', request(7, 100, 7_000)],
      ['ok', request(8, 100, 10)],
      ['ok', request(9, 100, 10)],
      ['rpm 429', request(10, 100, 10)],
    ];
    const outcomes: string[] = [];
    for (const [what, req] of cases) {
      const [live, simulated] = await both(req);
      expect(meaning(simulated), what).toEqual(meaning(live));
      outcomes.push(live.outcome);
    }
    expect(outcomes).toEqual(['ok', 'ok', 'rate_limited_tokens', 'ok', 'rate_limited_tokens', 'context_exceeded', 'bad_request', 'ok', 'ok', 'rate_limited_requests']);
    expect((sim as unknown as { core: MockCore }).core.state().rejected).toEqual(server.core.state().rejected);
  });
});

describe('SimDispatch ≡ HttpDispatch: the other rules a 429 can name', () => {
  it('a per-second layer: the 429 names RPS and advises the same wait', async () => {
    const opts = { profile: 'qwen2', model: MODEL, rpm: 600, tpm: 10_000_000, latency: LATENCY, seed: 5, enforcement: { subMinute: '1s' as const } };
    const mockClock = new VirtualClock(0);
    const server = await createMockServer({ ...opts, clock: mockClock, port: 0 });
    const http = new HttpDispatch({ baseUrl: `${server.url}/v1`, dialect: 'openai', timeoutMs: 10_000, clock: new VirtualClock(0) });
    const simClock = new SimClock(0);
    const sim = new SimDispatch({ core: new MockCore({ ...opts, clock: simClock, epochMs: 0 }), clock: simClock, timeoutMs: 10_000 });
    try {
      const signal = new AbortController().signal;
      const last: AttemptResult[] = [];
      // 11 within 11 ms against 10 per second: the 11th is refused by the per-second bucket.
      for (let i = 0; i < 11; i++) {
        const req = request(100 + i, 50, 5);
        const live = await http.send(req, 1, signal);
        const p = sim.send(req, 1, signal);
        simClock.advance(1); // the simulated round trip; the HTTP mock's time moves the same
        mockClock.advance(1);
        const simulated = await p;
        expect(meaning(simulated), `request ${i}`).toEqual(meaning(live));
        last.splice(0, 1, live);
      }
      expect(last[0]!.outcome).toBe('rate_limited_requests');
      expect(last[0]!.errorMessage).toMatch(/per second/i);
      expect(last[0]!.retryAfterMs).toBeGreaterThan(0);
    } finally {
      await http.close();
      await server.close();
    }
  });

  it('a concurrency cap: the 429 names concurrent requests and advises 1 s, as the HTTP mock does', async () => {
    // Live: one slow request holds the only slot while a second is refused (real clock).
    const slow = { ttftMs: 1500, tokensPerSecond: 1000, jitter: 0 };
    const opts = { profile: 'qwen2', model: MODEL, rpm: 1000, tpm: 10_000_000, maxConcurrent: 1, latency: slow, seed: 5 };
    const server = await createMockServer({ ...opts, port: 0 });
    const http = new HttpDispatch({ baseUrl: `${server.url}/v1`, dialect: 'openai', timeoutMs: 10_000, clock: new VirtualClock(0) });
    const simClock = new SimClock(0);
    const sim = new SimDispatch({ core: new MockCore({ ...opts, clock: simClock, epochMs: 0 }), clock: simClock, timeoutMs: 10_000 });
    try {
      const signal = new AbortController().signal;
      const holding = http.send(request(200, 50, 5), 1, signal);
      await new Promise((r) => setTimeout(r, 300));
      const live = await http.send(request(201, 50, 5), 1, signal);
      void sim.send(request(200, 50, 5), 1, signal);
      const refused = sim.send(request(201, 50, 5), 1, signal);
      simClock.advance(1);
      const simulated = await refused;
      const said = (r: AttemptResult) => ({ status: r.status, outcome: r.outcome, errorCode: r.errorCode, errorMessage: r.errorMessage, retryAfterMs: r.retryAfterMs });
      expect(said(live).outcome).toBe('rate_limited_requests');
      expect(said(live).retryAfterMs).toBe(1000);
      expect(said(simulated)).toEqual(said(live));
      await holding;
    } finally {
      await http.close();
      await server.close();
    }
  });
});
