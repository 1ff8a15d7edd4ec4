/**
 * Merge exactness on synthetic records (no target at all): one stream of attempts recorded by
 * one collector + series + writer, and the same stream split three ways by request id into
 * three shard directories; mergeRuns gives the same rows, counts, percentiles (exactly) and
 * per-second counters. And everything merge must refuse, with what it lists.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isConfigError } from '../../src/errors.js';
import { OUTCOMES, type AttemptRecord } from '../../src/metrics/record.js';
import { SeriesBuilder } from '../../src/metrics/series.js';
import { Histogram } from '../../src/metrics/histogram.js';
import { encodedHdrConfig, HISTOGRAM_CONFIG, metricsFile, readMetricsFile } from '../../src/metrics/snapshot.js';
import { MetricsCollector } from '../../src/metrics/summary.js';
import { createRng } from '../../src/plan/rng.js';
import { openRunReports } from '../../src/report/writers.js';
import { parseScenario } from '../../src/scenario/index.js';
import { mergeRuns } from '../../src/shard/merge.js';
import { scenarioHash } from '../../src/shard/manifest.js';
import { ShardRun } from '../../src/shard/run.js';
import { readCsv } from '../helpers/csv.js';
import { tempDir } from '../helpers/cli.js';

const scenario = (seed = 3) =>
  parseScenario({
    name: 'synthetic',
    seed,
    target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct' },
    request: { promptTokens: 100, maxTokens: 64 },
    phases: [
      { name: 'a', duration: '10s', arrival: { type: 'constant', rate: 50 } },
      { name: 'b', duration: '10s', arrival: { type: 'constant', rate: 50 } },
    ],
    groups: [{ name: 'x', weight: 1 }, { name: 'y', weight: 1 }],
  });

/** 1000 requests over 20 s, a mix of outcomes, some retried, latencies over four decades. */
function records(): AttemptRecord[] {
  const rng = createRng(99, 'synthetic');
  const out: AttemptRecord[] = [];
  for (let id = 0; id < 1000; id++) {
    const t = id * 20 + rng.next() * 5;
    const phase = t < 10_000 ? 'a' : 'b';
    const group = id % 3 === 0 ? 'y' : 'x';
    const attempts = rng.next() < 0.1 ? 2 : 1;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const targeted = t + (attempt - 1) * 500;
      const u = rng.next();
      const outcome = u < 0.05 ? 'dropped' : u < 0.15 ? 'rate_limited_tokens' : u < 0.18 ? 'timeout' : 'ok';
      if (outcome === 'dropped') {
        out.push({ requestId: id, attempt, group, phase, targetedStartMs: targeted, endMs: targeted, outcome, promptTokensEstimate: 100 });
        continue;
      }
      const start = targeted + rng.next() * 3;
      const lat = Math.exp(rng.next() * 9) + 1;
      const end = start + lat;
      const ok = outcome === 'ok';
      out.push({
        requestId: id, attempt, group, phase, targetedStartMs: targeted, startMs: start, endMs: end, outcome,
        ...(ok ? { firstTokenMs: start + lat / 3, promptTokens: 100 + (id % 50), completionTokens: 1 + (id % 40), status: 200 } : { status: outcome === 'timeout' ? undefined : 429 }),
        ...(attempt > 1 ? { firstTargetedStartMs: t } : {}),
        promptTokensEstimate: 100 + (id % 50), maxTokens: 64, stream: true,
      });
    }
  }
  return out.sort((a, b) => a.endMs - b.endMs); // as they finish
}

async function writeRun(dir: string, recs: AttemptRecord[], shard?: ShardRun) {
  const reports = openRunReports(dir);
  const collector = new MetricsCollector();
  collector.addPhase('a', 0, 10_000);
  collector.addPhase('b', 10_000, 10_000);
  const series = new SeriesBuilder({ onRow: (r) => reports.writeTimeseriesRow(r), graceMs: 10_000 }); // ≥ the longest attempt: no late records
  for (const r of recs) {
    reports.recordAttempt(r);
    collector.record(r);
    series.record(r);
  }
  series.flush();
  collector.setTotalDuration(20_000);
  await reports.writeSummary(collector.summaries({ simulated: true }));
  await reports.close();
  shard?.markStart(0, true);
  await shard?.finish(dir, { collector, execution: { requests: 0, attempts: 0, dropped: 0, endMs: 20_000, interrupted: false }, simulated: true });
  return collector;
}

async function shards(n = 3, opts: { seed?: (i: number) => number; index?: (i: number) => number } = {}) {
  const all = records();
  const dirs: string[] = [];
  for (let i = 0; i < n; i++) {
    const dir = tempDir();
    const sr = new ShardRun({ scenario: scenario(opts.seed?.(i) ?? 3), shard: { index: opts.index?.(i) ?? i, count: n }, startAt: 1_800_000_000_000 });
    await writeRun(dir, all.filter((r) => r.requestId % n === i), sr);
    dirs.push(dir);
  }
  return dirs;
}

async function refusal(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expect(isConfigError(e), String(e)).toBe(true);
    return e as Error;
  }
  throw new Error('expected a refusal');
}

describe('mergeRuns on synthetic records', { timeout: 90_000 }, () => {
  it('three shards merged = one collector: rows, counts, exact percentiles, per-second counters', async () => {
    const single = tempDir();
    await writeRun(single, records());
    const dirs = await shards();
    const out = tempDir();
    const r = await mergeRuns(dirs, out);
    expect(r.missing).toEqual([]);
    const a = readCsv(join(single, 'requests.csv')).rows.sort((x, y) => Number(x.request_id) - Number(y.request_id) || Number(x.attempt) - Number(y.attempt));
    expect(readCsv(join(out, 'requests.csv')).rows).toEqual(a);

    // Row order follows first-seen groups (shard 0 sees y first): compare by (scope, group).
    const byKey = (rows: Record<string, string>[]) => [...rows].sort((x, y) => `${x.scope}|${x.group}`.localeCompare(`${y.scope}|${y.group}`));
    const sa = byKey(readCsv(join(single, 'summary.csv')).rows);
    const sb = byKey(readCsv(join(out, 'summary.csv')).rows);
    expect(sb.map((x) => `${x.scope}|${x.group}`)).toEqual(sa.map((x) => `${x.scope}|${x.group}`));
    sb.forEach((rb, j) => {
      for (const [col, va] of Object.entries(sa[j]!)) {
        if (col.endsWith('mean_ms') || col.endsWith('_s_mean')) expect(Number(rb[col])).toBeCloseTo(Number(va), 2);
        else expect(rb[col], `${rb.scope}|${rb.group} ${col}`).toBe(va);
      }
    });
    for (const o of OUTCOMES) expect(sb.at(-1)![o]).toBe(sa.at(-1)![o]);
    expect(Number(sb.find((x) => x.scope === 'total' && x.group === '*')!.ok)).toBeGreaterThan(500);

    const ta = readCsv(join(single, 'timeseries.csv')).rows;
    const tb = readCsv(join(out, 'timeseries.csv')).rows;
    expect(tb.length).toBe(ta.length);
    tb.forEach((x, j) => {
      const { in_flight_max: _1, ...b } = x;
      const { in_flight_max: _2, ...a2 } = ta[j]!;
      expect(b, `second ${j}`).toEqual(a2);
    });
  });

  it('the merged state is the single collector state: HDR added bucket for bucket', async () => {
    const all = records();
    const one = new MetricsCollector();
    all.forEach((r) => one.record(r));
    const merged = new MetricsCollector();
    for (let i = 0; i < 3; i++) {
      const c = new MetricsCollector();
      all.filter((r) => r.requestId % 3 === i).forEach((r) => c.record(r));
      merged.importState(readMetricsFile(JSON.stringify(metricsFile(c)), `shard ${i}`).state);
    }
    const pick = (c: MetricsCollector) => c.summaries({ percentiles: [10, 33.3, 99.9] }).sort((x, y) => `${x.scope}|${x.group}`.localeCompare(`${y.scope}|${y.group}`)).map(({ scope, group, latency, ttft, itl, scheduleLag, responseTime, counts, requests, attempts }) => ({
      scope, group, counts, requests, attempts,
      h: [latency, ttft, itl, scheduleLag, responseTime].map(({ mean: _m, ...rest }) => rest),
    }));
    expect(pick(merged)).toEqual(pick(one));
  });

  it('the declared histogram configuration is what the encoder writes', () => {
    const h = new Histogram();
    h.record(12.5);
    const b64 = (JSON.parse(h.encode()) as { hdr: string }).hdr;
    expect(encodedHdrConfig(b64)).toEqual({ lowestDiscernibleValue: HISTOGRAM_CONFIG.lowestDiscernibleValue, numberOfSignificantValueDigits: HISTOGRAM_CONFIG.numberOfSignificantValueDigits });
  });
});

describe('mergeRuns refuses', { timeout: 90_000 }, () => {
  it('missing shards, listing them', async () => {
    const dirs = await shards();
    const e = await refusal(mergeRuns([dirs[0]!], tempDir()));
    expect(e.message).toContain('missing shards: 1/3, 2/3');
    const out = tempDir();
    const r = await mergeRuns([dirs[0]!, dirs[2]!], out, { allowMissing: true });
    expect(r.missing).toEqual([1]);
    expect(JSON.parse(readFileSync(join(out, 'merge.json'), 'utf8')).missing).toEqual([1]);
  });

  it('duplicate shards', async () => {
    const dirs = await shards();
    const copy = tempDir();
    cpSync(dirs[1]!, copy, { recursive: true });
    const e = await refusal(mergeRuns([...dirs, copy], tempDir()));
    expect(e.message).toMatch(/duplicate shards[\s\S]*1\/3/);
  });

  it('mismatched seeds and scenarios', async () => {
    const seeds = await shards(3, { seed: (i) => (i === 2 ? 4 : 3) });
    const e = await refusal(mergeRuns(seeds, tempDir()));
    expect(e.message).toContain('seed');
    expect(e.message).toContain('scenario hash');
    expect(scenarioHash(scenario(3))).not.toBe(scenarioHash(scenario(4)));
    // The output directory does not change the hash.
    expect(scenarioHash({ ...scenario(3), output: { dir: 'elsewhere' } })).toBe(scenarioHash(scenario(3)));
  });

  it('a histogram recorded with another configuration, and a directory that is no shard', async () => {
    const dirs = await shards();
    const p = join(dirs[1]!, 'metrics.json');
    const m = JSON.parse(readFileSync(p, 'utf8'));
    m.histogram.numberOfSignificantValueDigits = 2;
    writeFileSync(p, JSON.stringify(m));
    expect((await refusal(mergeRuns(dirs, tempDir()))).message).toContain('refused');
    const plain = tempDir();
    await writeRun(plain, records().slice(0, 10));
    expect((await refusal(mergeRuns([plain], tempDir()))).message).toContain('shard.json');
  });
});
