import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { createRetryPort, PRESET_NAMES, type RetrySpec } from '../../src/client/retry/index.js';
import { execute } from '../../src/exec/executor.js';
import { driveVirtual } from '../../src/exec/virtual-driver.js';
import type { AttemptResult, Dispatch, ExecPlan, PlannedRequest } from '../../src/exec/ports.js';
import type { AttemptRecord } from '../../src/metrics/record.js';
import { ScorecardBuilder, scorecardCsv, scorecardTable } from '../../src/metrics/scorecard.js';
import { parseScenario, toInput, type RetryConfig } from '../../src/scenario/index.js';
import { RETRY_PRESET_NAMES } from '../../src/scenario/retry-schema.js';

// Compile-time: the scenario's normalized retry config is a RetrySpec.
const _assignable: (c: RetryConfig) => RetrySpec = (c) => c;
void _assignable;

const plan = (n: number): ExecPlan => ({
  totalDurationMs: 1000,
  phases: [{ name: 'p', index: 0, startMs: 0, durationMs: 1000, kind: 'open', arrivals: () => Array.from({ length: n }, () => 0) }],
  makeRequest: (id, phase, t): PlannedRequest => ({ requestId: id, group: 'default', phase: phase.name, targetedStartMs: t, model: 'm', messages: [], promptTokens: 10, maxTokens: 5, stream: false }),
});

/** 429 (retry-after 1 s) for the first `fails` attempts of each request, then ok. */
function flaky(clock: VirtualClock, fails: number): Dispatch {
  return {
    async send(req, attempt): Promise<AttemptResult> {
      const startMs = clock.now();
      await clock.sleepUntil(startMs + 10);
      const base = { promptTokensEstimate: req.promptTokens, maxTokens: req.maxTokens, startMs, endMs: clock.now() };
      return attempt <= fails ? { ...base, status: 429, outcome: 'rate_limited_requests', retryAfterMs: 1000 } : { ...base, status: 200, outcome: 'ok', completionTokens: 5, promptTokens: 10 };
    },
  };
}

describe('executor retry loop', () => {
  it('each retry is a new attempt of the same request, targeted when the policy scheduled it', async () => {
    const clock = new VirtualClock(0);
    const records: AttemptRecord[] = [];
    const retry = createRetryPort({ retry: { maxAttempts: 5, retryAfter: { honor: true } }, rng: () => ({ next: () => 0.5 }) })!;
    const res = await driveVirtual(clock, execute({ plan: plan(2), dispatch: flaky(clock, 2), recorder: { record: (r) => records.push(r) }, clock, maxInFlight: 10, retry }));
    expect(res.attempts).toBe(6);
    const r0 = records.filter((r) => r.requestId === 0).sort((a, b) => a.attempt - b.attempt);
    expect(r0.map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(r0.map((r) => r.outcome)).toEqual(['rate_limited_requests', 'rate_limited_requests', 'ok']);
    expect(r0[1]!.targetedStartMs).toBe(1010);
    expect(r0[1]!.startMs).toBe(1010);
    expect(r0[1]!.firstTargetedStartMs).toBe(0);
    expect(r0[0]!.firstTargetedStartMs).toBeUndefined();
    expect(r0[2]!.endMs).toBe(2030);
    expect(res.peakInFlight).toBe(2); // slots held through the waits
  });

  it('no port: one attempt per request, as before; fatal outcomes stop at once', async () => {
    const clock = new VirtualClock(0);
    const records: AttemptRecord[] = [];
    await driveVirtual(clock, execute({ plan: plan(3), dispatch: flaky(clock, 1), recorder: { record: (r) => records.push(r) }, clock, maxInFlight: 10 }));
    expect(records).toHaveLength(3);
    const d: Dispatch = { send: async (req) => ({ promptTokensEstimate: req.promptTokens, startMs: 0, endMs: 0, status: 429, outcome: 'quota_exhausted' }) };
    const recs2: AttemptRecord[] = [];
    const retry = createRetryPort({ retry: { preset: 'naive' }, rng: () => ({ next: () => 0 }) })!;
    await driveVirtual(clock, execute({ plan: plan(3), dispatch: d, recorder: { record: (r) => recs2.push(r) }, clock, maxInFlight: 10, retry }));
    expect(recs2).toHaveLength(3);
  });

  it('a client-side throttle rejection is recorded as dropped with the reason, never sent', async () => {
    const clock = new VirtualClock(0);
    const records: AttemptRecord[] = [];
    const retry = createRetryPort({ retry: { throttle: { k: 1, windowMs: 60_000 } }, rng: () => ({ next: () => 0 }) })!;
    await driveVirtual(clock, execute({ plan: plan(20), dispatch: flaky(clock, 99), recorder: { record: (r) => records.push(r) }, clock, maxInFlight: 100, retry }));
    expect(records.some((r) => r.outcome === 'dropped' && r.errorCode === 'client_throttled')).toBe(true);
  });
});

describe('scorecard', () => {
  it('amplification, success, response time from the first planned send, early retries, Jain', () => {
    const c = new ScorecardBuilder({ limits: { rpm: 60, tpm: 1_000_000 } });
    const base = { phase: 'p', promptTokensEstimate: 10, maxTokens: 5 };
    c.record({ ...base, requestId: 1, attempt: 1, group: 'a', targetedStartMs: 0, startMs: 0, endMs: 10, status: 429, outcome: 'rate_limited_requests', retryAfterMs: 1000 });
    c.record({ ...base, requestId: 1, attempt: 2, group: 'a', targetedStartMs: 500, firstTargetedStartMs: 0, startMs: 500, endMs: 600, status: 200, outcome: 'ok', completionTokens: 5, promptTokens: 10 });
    c.record({ ...base, requestId: 2, attempt: 1, group: 'b', targetedStartMs: 0, startMs: 0, endMs: 300, status: 200, outcome: 'ok', completionTokens: 5, promptTokens: 10 });
    c.record({ ...base, requestId: 3, attempt: 1, group: 'b', targetedStartMs: 0, startMs: 0, endMs: 5, status: 400, outcome: 'context_exceeded' });
    const rows = c.rows('x', { total: { retries: 1, earlyRetries: 1, earlyMsTotal: 510, earlyMsMax: 510 } });
    const t = rows.find((r) => r.group === 'total')!;
    expect(t.requests).toBe(3);
    expect(t.successes).toBe(2);
    expect(t.attempts).toBe(4);
    expect(t.attemptsPerSuccess).toBe(2);
    expect(t.rate429).toBe(0.25);
    expect(t.earlyRetries).toBe(1);
    expect(t.earlyMsMax).toBe(510);
    expect(t.refereeEarlyRetries).toBe(1);
    expect(t.responseP50Ms).toBe(300);
    expect(t.responseP99Ms).toBe(600);
    expect(t.makespanMs).toBe(600);
    expect(t.retryRatio).toBeCloseTo(1 / 3);
    expect(t.budgetOk).toBe(false);
    expect(t.jain).toBeGreaterThan(0.5);
    expect(t.minMakespanMs).toBeGreaterThan(0);
    expect(scorecardCsv(rows).split('\n')[0]).toMatch(/^policy,group,requests,successes,success_ratio,attempts/);
    expect(scorecardTable(rows)).toMatch(/1 +x +66\.7%/);
  });

  it('the makespan bound banks a minute, or a second under per-second enforcement; a lost batch never outranks a finished one', () => {
    const feed = (c: ScorecardBuilder, n: number, okUntil: number) => {
      for (let i = 0; i < n; i++) {
        const ok = i < okUntil;
        c.record({ phase: 'p', promptTokensEstimate: 10, maxTokens: 5, requestId: i, attempt: 1, group: 'a', targetedStartMs: 0, startMs: 0, endMs: ok ? 100_000 : 1_000, status: ok ? 200 : 429, outcome: ok ? 'ok' : 'rate_limited_requests' });
      }
    };
    const minute = new ScorecardBuilder({ limits: { rpm: 60 } });
    const second = new ScorecardBuilder({ limits: { rpm: 60, bankSeconds: 1 } });
    feed(minute, 120, 120);
    feed(second, 120, 120);
    // 120 requests at 60 RPM: (120 − 60)/60 min with a minute banked, (120 − 1)/60 min with one second; + 100 s mean latency.
    expect(minute.rows('x').find((r) => r.group === 'total')!.minMakespanMs).toBeCloseTo(60_000 + 100_000);
    expect(second.rows('x').find((r) => r.group === 'total')!.minMakespanMs).toBeCloseTo(119_000 + 100_000);
    const quitter = new ScorecardBuilder({ limits: { rpm: 60 } });
    feed(quitter, 120, 3); // gives up on 117 of 120 after 1 s
    const [finished, gaveUp] = [minute.rows('finished'), quitter.rows('quitter')].map((rows) => rows.find((r) => r.group === 'total')!);
    expect(finished!.cost!).toBeLessThan(gaveUp!.cost!);
  });

  it('the advised wait counts from when the 429 headers arrived, not from the end of its body', () => {
    const c = new ScorecardBuilder();
    const base = { phase: 'p', promptTokensEstimate: 10, maxTokens: 5, group: 'a', targetedStartMs: 0 };
    // headers at 10 ms, body read at 12 ms, advice 1000 ms: a retry at 1011 ms waited long enough.
    c.record({ ...base, requestId: 1, attempt: 1, startMs: 0, firstByteMs: 10, endMs: 12, status: 429, outcome: 'rate_limited_requests', retryAfterMs: 1000 });
    c.record({ ...base, requestId: 1, attempt: 2, startMs: 1011, endMs: 1020, status: 200, outcome: 'ok' });
    // ...one at 1009 ms is within the 1 ms timer tolerance; one at 1008 ms is early.
    c.record({ ...base, requestId: 2, attempt: 1, startMs: 0, firstByteMs: 10, endMs: 12, status: 429, outcome: 'rate_limited_requests', retryAfterMs: 1000 });
    c.record({ ...base, requestId: 2, attempt: 2, startMs: 1009, endMs: 1020, status: 200, outcome: 'ok' });
    c.record({ ...base, requestId: 3, attempt: 1, startMs: 0, firstByteMs: 10, endMs: 12, status: 429, outcome: 'rate_limited_requests', retryAfterMs: 1000 });
    c.record({ ...base, requestId: 3, attempt: 2, startMs: 1008, endMs: 1020, status: 200, outcome: 'ok' });
    const t = c.rows('x').find((r) => r.group === 'total')!;
    expect(t.earlyRetries).toBe(1);
    expect(t.earlyMsMax).toBeCloseTo(2);
  });
});

describe('scenario: retry settings', () => {
  const base = { name: 'r', target: { kind: 'mock' }, request: { promptTokens: 10, maxTokens: 5 }, phases: [{ duration: 1, arrival: { type: 'constant', rate: 1 } }] };
  it('client.retry, groups[].retry, kind, module and matrix parse and round-trip', () => {
    const s = parseScenario({
      ...base,
      client: { kind: 'openai-sdk', retry: { preset: 'openai-node', maxAttempts: 4 } },
      groups: [{ name: 'g', retry: { backoff: { type: 'full-jitter', baseMs: 100, capMs: 1000 } } }],
      matrix: ['pacing', { name: 'mine', retry: { preset: 'retry-after', retryAfter: { honor: true, capMs: 60000 } } }],
    });
    expect(s.client).toEqual({ timeoutMs: 60000, kind: 'openai-sdk', retry: { preset: 'openai-node', maxAttempts: 4 } });
    expect(s.matrix![0]).toEqual({ name: 'pacing', retry: { preset: 'pacing' } });
    expect(parseScenario(toInput(s))).toEqual(s);
    expect(parseScenario(base).client).toEqual({ timeoutMs: 60000 });
  });
  it('unknown presets and duplicate matrix names are reported', () => {
    expect(() => parseScenario({ ...base, client: { retry: { preset: 'nope' } } })).toThrow(/client\.retry\.preset/);
    expect(() => parseScenario({ ...base, matrix: ['pacing', { name: 'pacing', retry: {} }] })).toThrow(/unique policy name/);
  });
  it('the scenario knows every preset the client implements', () => {
    expect([...RETRY_PRESET_NAMES].sort()).toEqual([...PRESET_NAMES].sort());
  });
});
