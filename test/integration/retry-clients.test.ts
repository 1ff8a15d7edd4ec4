/**
 * Real clients under the harness, live against the HTTP mock: the official openai npm package
 * with its own retries (client.kind openai-sdk) and a user's module (test/fixtures/my-client.ts).
 * Each HTTP attempt they make is recorded as its own attempt, and the mock's referee agrees.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { RealClock } from '../../src/clock.js';
import { OpenAiSdkDispatch } from '../../src/client/openai-sdk.js';
import { loadUserClient, UserModuleDispatch } from '../../src/client/user-module.js';
import { execute } from '../../src/exec/executor.js';
import type { Dispatch } from '../../src/exec/ports.js';
import { runRelativeClock } from '../../src/exec/run-clock.js';
import type { AttemptRecord } from '../../src/metrics/record.js';
import { ScorecardBuilder } from '../../src/metrics/scorecard.js';
import { buildPlan } from '../../src/plan/plan.js';
import { parseScenario } from '../../src/scenario/index.js';
import { createMockServer, type MockServer } from '../../mock-server/index.js';

let mock: MockServer | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

// 124 requests at once against 120 RPM (2/s refill): 4 are told to come back within ~2 s.
const scenario = parseScenario({
  name: 'clients',
  seed: 5,
  target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct' },
  request: { promptTokens: 40, maxTokens: 8 },
  maxInFlight: 1000,
  phases: [{ name: 'burst', requests: 124, arrival: { type: 'constant', rate: 2000 } }],
});

async function runWith(make: (baseUrl: string, clock: RealClock & { now(): number }) => Dispatch | Promise<Dispatch>) {
  mock = await createMockServer({ profile: 'qwen2', rpm: 120, tpm: 10_000_000, latency: { ttftMs: 5, tokensPerSecond: 5000 }, seed: 5, port: 0 });
  const clock = runRelativeClock(new RealClock());
  const dispatch = await make(`${mock.url}/v1`, clock as never);
  const records: AttemptRecord[] = [];
  const card = new ScorecardBuilder({ limits: { rpm: 120, tpm: 10_000_000 } });
  const plan = buildPlan(scenario, { model: 'qwen2-7b-instruct' });
  await execute({ plan, dispatch, clock, maxInFlight: 1000, recorder: { record: (r) => (records.push(r), card.record(r)) } });
  await dispatch.close?.();
  return { records, rows: card.rows('x'), ledger: mock.core.referee.ledger() };
}

describe('real clients under test', () => {
  it('openai-sdk: the SDK retries on its own; every attempt is recorded; the referee sees the same retries, none early', async () => {
    const { records, rows, ledger } = await runWith((baseUrl, clock) => new OpenAiSdkDispatch({ baseUrl, clock, timeoutMs: 10_000 }));
    const retries = records.filter((r) => r.attempt > 1);
    expect(retries.length).toBeGreaterThan(0);
    expect(records.filter((r) => r.attempt === 1)).toHaveLength(124);
    expect(records.some((r) => r.outcome === 'rate_limited_requests' && r.retryAfterMs !== undefined)).toBe(true);
    for (const r of retries) expect(r.attempt).toBeLessThanOrEqual(3); // maxRetries 2
    const total = rows.find((r) => r.group === 'total')!;
    expect(total.attempts).toBe(records.length);
    const L = ledger.default!;
    expect(L.requests).toBe(records.length);
    expect(L.retries).toBe(retries.length);
    expect(L.earlyRetries).toBe(0); // advice < 60 s: openai-node obeys it
    // Our own view stamps the 429's headers when our fetch wrapper gets to them; the SDK's timer
    // counts from libuv's loop time, cached when the poll returned, up to one busy loop
    // iteration earlier. So in real time our view may call a retry early by a few ms (the
    // referee, which measures from the server's send, is the authority); a client ignoring the
    // advice (~1 s here) would be far beyond that.
    if (total.earlyRetries > 0) expect(total.earlyMsMax!).toBeLessThan(100);
  }, 60_000);

  it('a user module (.ts under vitest): its own Retry-After loop, each fetch one attempt', async () => {
    const { records, rows, ledger } = await runWith(async (baseUrl, clock) => {
      const client = await loadUserClient('../fixtures/my-client.ts', join(import.meta.dirname), { baseUrl });
      return new UserModuleDispatch({ client, baseUrl, headers: { 'content-type': 'application/json' }, clock });
    });
    const total = rows.find((r) => r.group === 'total')!;
    expect(total.successRatio).toBe(1);
    expect(records.filter((r) => r.attempt > 1).length).toBeGreaterThan(0);
    expect(ledger.default!.requests).toBe(records.length);
    expect(ledger.default!.earlyRetries).toBe(0);
  }, 60_000);

  it('a module that exports no client is refused with a clear message', async () => {
    await expect(loadUserClient('./nope.ts', import.meta.dirname, { baseUrl: 'http://x' })).rejects.toThrow(/client.module: cannot load .*nope\.ts \(a \.ts module needs a TypeScript loader/);
  });
});
