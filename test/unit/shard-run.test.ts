/** ShardRun: the --start-at barrier on the wall clock, the measured skew, the manifest. */
import { describe, expect, it } from 'vitest';
import { isConfigError } from '../../src/errors.js';
import { MetricsCollector } from '../../src/metrics/summary.js';
import { buildPlan } from '../../src/plan/plan.js';
import { parseScenario } from '../../src/scenario/index.js';
import { segmentSequence } from '../../src/shard/manifest.js';
import { ShardRun } from '../../src/shard/run.js';

const scenario = parseScenario({
  name: 'shard-run',
  seed: 9,
  target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct' },
  request: { promptTokens: 100, maxTokens: 16 },
  phases: [{ name: 'p', duration: '2s', arrival: { type: 'constant', rate: 10 } }],
});
const execution = { requests: 7, attempts: 7, dropped: 0, endMs: 2000, interrupted: false };

describe('ShardRun', () => {
  it('waits until --start-at on the wall clock and records the skew of t = 0', async () => {
    const startAt = Date.now() + 120;
    const sr = new ShardRun({ scenario, shard: { index: 1, count: 3 }, startAt });
    await sr.waitForStart();
    const woke = Date.now();
    expect(woke).toBeGreaterThanOrEqual(startAt);
    expect(woke - startAt).toBeLessThan(50);
    sr.plan(buildPlan(scenario));
    sr.markStart(3); // the run clock read 3 ms: t = 0 was 3 ms ago
    const m = sr.manifest({ collector: new MetricsCollector(), execution, simulated: false });
    expect(m.startAt).toBe(startAt);
    expect(m.startSkewMs).toBe(m.startEpochMs - startAt);
    expect(Math.abs(m.startSkewMs!)).toBeLessThan(60);
    expect(m.shard).toEqual({ index: 1, count: 3 });
    expect(m.sequence).toBe('0,1/3,2/3,1');
    expect(m.globalArrivals).toBe(20);
    expect(m.ownArrivals).toBe(7); // 1, 4, …, 19
    expect(m.runId).toBe(new ShardRun({ scenario, shard: { index: 0, count: 3 }, startAt }).runId);
    expect(m.histogram.numberOfSignificantValueDigits).toBe(3);
  });

  it('stops waiting when aborted; no --start-at means no wait and no skew', async () => {
    const sr = new ShardRun({ scenario, shard: { index: 0, count: 2 }, startAt: Date.now() + 60_000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop')), 30);
    await expect(sr.waitForStart(ac.signal)).rejects.toThrow('stop');
    const free = new ShardRun({ scenario, shard: { index: 0, count: 2 } });
    const t = Date.now();
    await free.waitForStart();
    expect(Date.now() - t).toBeLessThan(20);
    free.markStart(0);
    expect(free.manifest({ collector: new MetricsCollector(), execution, simulated: false }).startSkewMs).toBeUndefined();
  });

  it('a start in the past starts at once (late: positive skew); a bad --start-at is a config error', async () => {
    const sr = new ShardRun({ scenario, shard: { index: 0, count: 2 }, startAt: Date.now() - 500, wallNow: Date.now });
    await sr.waitForStart();
    sr.markStart(0);
    expect(sr.manifest({ collector: new MetricsCollector(), execution, simulated: false }).startSkewMs).toBeGreaterThanOrEqual(500);
    for (const bad of [-1, 1.5, Number.NaN]) {
      let err: unknown;
      try {
        new ShardRun({ scenario, shard: { index: 0, count: 2 }, startAt: bad });
      } catch (e) {
        err = e;
      }
      expect(isConfigError(err)).toBe(true);
    }
    expect(segmentSequence(1)).toBe('0,1');
  });
});
