/**
 * Three shards merged ≡ one run (scale-anchors.md §4 B4), in virtual time: the same scenario
 * and seed run once whole and as shards 0/3, 1/3, 2/3 (each its own simulated mock, limits
 * generous, latency without jitter, so a request's answer depends only on the request), then
 * `mergeRuns`. Expected: the same requests.csv rows, the same counts, exactly the same
 * percentiles (from the merged HDR histograms), the same per-second series (in_flight_max
 * aside: the merge can only sum per-shard maxima).
 * The run loop mirrors capacity/sim-run.ts with the shard wrapper and ShardRun.finish added,
 * which is the wiring run.ts gets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leanPlan } from '../../src/capacity/lean-plan.js';
import { execute } from '../../src/exec/executor.js';
import type { AttemptRecord } from '../../src/metrics/record.js';
import { SeriesBuilder } from '../../src/metrics/series.js';
import { MetricsCollector } from '../../src/metrics/summary.js';
import { buildPlan } from '../../src/plan/plan.js';
import { openRunReports } from '../../src/report/writers.js';
import { openSimTarget } from '../../src/run-target-sim.js';
import { parseScenario, resolvedForReport, type Scenario } from '../../src/scenario/index.js';
import { mergeRuns } from '../../src/shard/merge.js';
import { ShardRun } from '../../src/shard/run.js';
import type { ShardSpec } from '../../src/shard/spec.js';
import { readCsv } from '../helpers/csv.js';
import { tempDir } from '../helpers/cli.js';

async function simRun(scenario: Scenario, outDir: string, shard?: ShardSpec) {
  const target = openSimTarget(scenario);
  const sr = shard ? new ShardRun({ scenario, shard, startAt: 1_700_000_000_000 }) : undefined;
  try {
    const full = leanPlan(buildPlan(scenario, { model: target.model }), scenario);
    const plan = sr ? sr.plan(full) : full;
    sr?.markStart(target.clock.now(), true);
    const reports = openRunReports(outDir);
    try {
      await reports.writeResolvedScenario(resolvedForReport(scenario));
      const collector = new MetricsCollector({ pricing: target.pricing });
      for (const p of plan.phases) collector.addPhase(p.name, p.startMs, p.durationMs);
      const series = new SeriesBuilder({ onRow: (row) => reports.writeTimeseriesRow(row), graceMs: scenario.client.timeoutMs + 1_000 });
      const recorder = {
        record(rec: AttemptRecord) {
          reports.recordAttempt(rec);
          collector.record(rec);
          series.record(rec);
        },
      };
      let execution;
      try {
        execution = await target.drive(
          execute({ plan, dispatch: target.dispatch, recorder, clock: target.clock, maxInFlight: scenario.maxInFlight, onInFlight: (ms, n) => series.sampleInFlight(ms, n) }),
        );
      } finally {
        series.flush();
      }
      collector.setTotalDuration(execution.interrupted ? execution.endMs : Math.max(plan.totalDurationMs, 1));
      await reports.writeSummary(collector.summaries({ interrupted: execution.interrupted, simulated: true }));
      if (sr) await sr.finish(outDir, { collector, execution, simulated: true });
      return execution;
    } finally {
      await reports.close();
    }
  } finally {
    await target.close();
  }
}

const scenario = (seed = 5) =>
  parseScenario({
    name: 'shard-sim',
    seed,
    mode: 'sim',
    target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct', limits: { rpm: 1_000_000, tpm: 1_000_000_000 }, latency: { ttftMs: 120, tokensPerSecond: 60, jitter: 0 } },
    request: { promptTokens: { dist: 'uniform', min: 50, max: 800 }, maxTokens: { dist: 'uniform', min: 8, max: 300 }, stream: true },
    client: { timeoutMs: 20_000 },
    maxInFlight: 10_000,
    phases: [
      { name: 'steady', duration: '20s', arrival: { type: 'constant', rate: 15 } },
      { name: 'poisson', duration: '20s', arrival: { type: 'poisson', rate: 25 } },
      { name: 'ramp', duration: '15s', arrival: { type: 'ramp', from: 5, to: 40 } },
    ],
  });

const byIdAttempt = (rows: Record<string, string>[]) => [...rows].sort((a, b) => Number(a.request_id) - Number(b.request_id) || Number(a.attempt) - Number(b.attempt));
const keyed = (rows: Record<string, string>[]) => new Map(rows.map((r) => [`${r.scope}|${r.group}`, r]));

describe('three simulated shards merged ≡ one simulated run', () => {
  it('same records, counts, exact percentiles and per-second series', async () => {
    const s = scenario();
    const single = tempDir();
    const whole = await simRun(s, single);
    const shardDirs = [0, 1, 2].map(() => tempDir());
    const parts = [];
    for (const [i, d] of shardDirs.entries()) parts.push(await simRun(s, d, { index: i, count: 3 }));
    expect(parts.reduce((n, p) => n + p.requests, 0)).toBe(whole.requests);
    const out = tempDir();
    const merged = await mergeRuns(shardDirs, out);
    expect(merged.missing).toEqual([]);
    expect(merged.warnings).toEqual([]);

    // requests.csv: the one run's rows, ordered by global id.
    const a = readCsv(join(single, 'requests.csv'));
    const b = readCsv(join(out, 'requests.csv'));
    expect(b.header).toEqual(a.header);
    expect(b.rows.length).toBe(a.rows.length);
    expect(b.rows.length).toBeGreaterThan(1000);
    expect(b.rows).toEqual(byIdAttempt(a.rows));
    expect(new Set(b.rows.map((r) => r.outcome))).toEqual(new Set(['ok']));

    // summary.csv: counts and percentiles exactly; means to float rounding (sums in another order).
    const sa = keyed(readCsv(join(single, 'summary.csv')).rows);
    const sb = keyed(readCsv(join(out, 'summary.csv')).rows);
    expect([...sb.keys()]).toEqual([...sa.keys()]);
    for (const [k, ra] of sa) {
      const rb = sb.get(k)!;
      for (const [col, va] of Object.entries(ra)) {
        if (col.endsWith('_mean_ms') || col.endsWith('_per_s_mean')) expect(Number(rb[col]), `${k} ${col}`).toBeCloseTo(Number(va), 2);
        else expect(rb[col], `${k} ${col}`).toBe(va);
      }
    }
    // In fact the merged HDRs give byte-identical percentiles for every histogram.
    expect(sb.get('total|*')!.latency_p99_ms).toBe(sa.get('total|*')!.latency_p99_ms);

    // timeseries.csv: every column but in_flight_max, second by second.
    const ta = readCsv(join(single, 'timeseries.csv')).rows;
    const tb = readCsv(join(out, 'timeseries.csv')).rows;
    expect(tb.length).toBe(ta.length);
    const perShard = shardDirs.map((d) => readCsv(join(d, 'timeseries.csv')).rows);
    tb.forEach((rb, j) => {
      const { in_flight_max: ib, ...restB } = rb;
      const { in_flight_max: _ia, ...restA } = ta[j]!;
      expect(restB, `second ${j}`).toEqual(restA);
      // in_flight_max: the sum of the shards' per-second maxima (documented approximation).
      expect(Number(ib || 0)).toBe(perShard.reduce((n, rows) => n + Number(rows[j]?.in_flight_max || 0), 0));
    });

    // The merged metrics.json re-merges to the same summary (it is a valid state).
    expect(JSON.parse(readFileSync(join(out, 'merge.json'), 'utf8')).shards.map((x: { shard: string }) => x.shard)).toEqual(['0/3', '1/3', '2/3']);
  }, 120_000);
});
