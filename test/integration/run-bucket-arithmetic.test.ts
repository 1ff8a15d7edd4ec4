/**
 * The limits bite exactly: offering 2× the mock's RPM long enough to exhaust the burst, the
 * number of accepted requests equals a continuous-refill bucket's arithmetic (capacity +
 * refill × time, ±1 for loopback timing), counted by the harness and by the mock itself.
 * At 2× the limit the burst (one minute of refill) lasts 60 s, so this test runs for 70 s.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.js';
import { buildPlan } from '../../src/plan/plan.js';
import { parseScenario } from '../../src/scenario/index.js';
import { readCsv } from '../helpers/csv.js';
import { tempDir } from '../helpers/cli.js';

const RPM = 300;
const RATE = (2 * RPM) / 60; // 10 req/s
const DURATION_S = 70;

/** Independent of the mock's code: a bucket of capacity L refilled at L/60 per second. */
function bucketAdmits(arrivalsMs: number[], capacity: number): number {
  let level = capacity;
  let last = 0;
  let admitted = 0;
  for (const t of arrivalsMs) {
    level = Math.min(capacity, level + ((t - last) * capacity) / 60_000);
    last = t;
    if (level >= 1) {
      level -= 1;
      admitted++;
    }
  }
  return admitted;
}

describe('2× the RPM limit against the HTTP mock', () => {
  it('accepts exactly capacity + refill × time (harness and mock agree)', { timeout: 120_000 }, async () => {
    const scenario = parseScenario({
      name: 'bucket-arithmetic',
      seed: 5,
      target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct', limits: { rpm: RPM, tpm: 50_000_000 }, latency: { ttftMs: 5, tokensPerSecond: 1000 } },
      request: { promptTokens: 20, maxTokens: 4 },
      phases: [{ name: 'overload', duration: DURATION_S, arrival: { type: 'constant', rate: RATE } }],
    });
    const out = tempDir();
    const result = await runScenario(scenario, { outDir: out });

    const arrivals = [...buildPlan(scenario, { model: 'qwen2-7b-instruct' }).phases[0]!.arrivals!()];
    expect(arrivals).toHaveLength(RATE * DURATION_S);
    const expected = bucketAdmits(arrivals, RPM);
    // 300 + 5/s × 69.9 s
    expect(expected).toBe(Math.floor(RPM + ((RPM / 60) * arrivals.at(-1)!) / 1000));

    const total = result.summaries.find((s) => s.scope === 'total')!;
    const { rows } = readCsv(join(out, 'requests.csv'));
    // On an idle machine requests leave on schedule and the planned arithmetic holds to ±1. On a
    // loaded one they leave late, and late arrivals find more refill: the exact check is then
    // the same arithmetic over the times the requests were actually sent.
    const sent = rows.map((r) => Number(r.start_ms)).sort((a, b) => a - b);
    expect(Math.abs(total.counts.ok - bucketAdmits(sent, RPM))).toBeLessThanOrEqual(2);
    const lagP50 = rows.map((r) => Number(r.start_ms) - Number(r.targeted_start_ms)).sort((a, b) => a - b)[rows.length >> 1]!;
    if (lagP50 < 5) expect(Math.abs(total.counts.ok - expected)).toBeLessThanOrEqual(2);
    expect(total.counts.rate_limited_requests).toBe(arrivals.length - total.counts.ok);
    expect(total.counts.rate_limited_tokens).toBe(0);

    const mock = result.mockState as { admitted: number; rejected: Record<string, number> };
    expect(mock.admitted).toBe(total.counts.ok);
    expect(mock.rejected.rate_limited_requests).toBe(total.counts.rate_limited_requests);

    expect(rows).toHaveLength(arrivals.length);
    expect(rows.filter((r) => r.outcome === 'ok')).toHaveLength(total.counts.ok);
    // No 429 before the burst is spent: the first rejection comes after ~60 s.
    const firstReject = Math.min(...rows.filter((r) => r.status === '429').map((r) => Number(r.start_ms)));
    expect(firstReject).toBeGreaterThan(58_000);
    // Every 429 advises a wait, and the bucket's arithmetic bounds it: one request refills in 200 ms.
    const waits = rows.filter((r) => r.status === '429').map((r) => Number(r.retry_after_ms));
    expect(waits.every((w) => w > 0 && w <= 1000)).toBe(true);
  });
});
