import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { AttemptRecord, Outcome } from '../../src/metrics/record.js';
import { MetricsCollector } from '../../src/metrics/summary.js';
import {
  evaluateThresholds,
  formatScope,
  parseThreshold,
  parseThresholds,
  thresholdPercentiles,
  thresholdsNeedGroupRows,
  ThresholdMonitor,
} from '../../src/metrics/thresholds.js';

function rec(p: Partial<AttemptRecord> & Pick<AttemptRecord, 'requestId' | 'outcome' | 'endMs'>): AttemptRecord {
  return { attempt: 1, group: 'g', phase: 'steady', targetedStartMs: 0, promptTokensEstimate: 100, ...p };
}

/** 100 ok attempts with latency 1…100 ms (scheduled 5 ms earlier), then the given others. */
function collector(others: Outcome[] = [], group = 'g'): MetricsCollector {
  const m = new MetricsCollector();
  m.addPhase('steady', 0, 10_000);
  m.setTotalDuration(10_000);
  for (let i = 1; i <= 100; i++) {
    m.record(rec({ requestId: i, group, targetedStartMs: i * 10 - 5, startMs: i * 10, firstTokenMs: i * 10 + 1, endMs: i * 10 + i, outcome: 'ok', promptTokens: 10, completionTokens: 11, stream: true }));
  }
  others.forEach((o, j) => {
    const id = 1000 + j;
    m.record(o === 'dropped' ? rec({ requestId: id, group, endMs: 5000, outcome: o }) : rec({ requestId: id, group, targetedStartMs: 5000, startMs: 5000, endMs: 5002, status: 429, outcome: o }));
  });
  return m;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseThresholds', () => {
  it('parses every example of the grammar', () => {
    const t = parseThreshold('p95(response_time_ms) < 2000');
    expect(t).toMatchObject({ scope: { phase: 'total', group: '*' }, aggregate: { kind: 'percentile', p: 95 }, metric: 'response_time_ms', metricKind: 'histogram', op: '<', target: 2000, abortOnFail: false, delayAbortEvalMs: 0 });
    expect(parseThreshold('p99(ttft_ms) <= 800')).toMatchObject({ op: '<=', target: 800, metric: 'ttft_ms' });
    expect(parseThreshold('p99.9(latency_ms)<1e3')).toMatchObject({ aggregate: { kind: 'percentile', p: 99.9 }, target: 1000 });
    expect(parseThreshold('rate(rate_limited) < 0.05')).toMatchObject({ aggregate: { kind: 'rate' }, metricKind: 'outcome', metric: 'rate_limited' });
    expect(parseThreshold('count(server_error) == 0')).toMatchObject({ aggregate: { kind: 'count' }, op: '==', target: 0 });
    expect(parseThreshold('avg(latency_ms) < 500').aggregate).toEqual({ kind: 'avg' });
    expect(parseThreshold('max(schedule_lag_ms) < 50').metric).toBe('schedule_lag_ms');
    expect(parseThreshold('rate(dropped) == 0').metric).toBe('dropped');
    expect(parseThreshold('value(output_tokens_per_s) >= 1_000').metricKind).toBe('value');
    expect(parseThreshold('phase=steady: p95(latency_ms) < 1000').scope).toEqual({ phase: 'steady', group: '*' });
    expect(parseThreshold('group=greedy: rate(ok) > 0.9').scope).toEqual({ phase: 'total', group: 'greedy' });
    expect(parseThreshold('group=a-1 , phase="token flood" : rate(ok) != 1').scope).toEqual({ phase: 'token flood', group: 'a-1' });
    expect(parseThreshold('phase="spike (x3): late" : rate(ok) > 0').scope.phase).toBe('spike (x3): late');
    expect(parseThreshold('rate(errors) < 0.01 !abort')).toMatchObject({ abortOnFail: true, delayAbortEvalMs: 0 });
    expect(parseThreshold('rate(errors) < 0.01 !abort(10s)')).toMatchObject({ abortOnFail: true, delayAbortEvalMs: 10_000 });
    expect(parseThreshold('rate(errors) < 0.01 !abort(250ms)').delayAbortEvalMs).toBe(250);
    expect(parseThreshold({ expr: ' p95(tpot_ms) < 20 ', abortOnFail: true, delayAbortEvalMs: 5000 })).toMatchObject({ expr: 'p95(tpot_ms) < 20', abortOnFail: true, delayAbortEvalMs: 5000 });
  });

  it('names the expression, the column, what was expected and what was found', () => {
    const e = configError(() => parseThresholds(['p95(latency_ms) < fast']));
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]).toMatchObject({ path: 'thresholds[0]', expected: 'a number', found: '"fast"' });
    expect(e.issues[0]!.message).toBe('in "p95(latency_ms) < fast" at column 19');
    expect(e.message).toContain('thresholds[0]: expected a number, found "fast"');
  });

  it('reports every bad expression at once, with specific expectations', () => {
    const e = configError(() =>
      parseThresholds([
        'p95(latncy_ms) < 1', // unknown metric
        'rate(latency_ms) < 1', // rate of a distribution
        'p95(latency_ms) =< 1', // bad operator
        'p101(latency_ms) < 1', // percentile out of range
        'phase=steady p95(latency_ms) < 1', // missing ':' → seen as unscoped, then bad aggregate
        'p95(latency_ms) < 1 abort', // trailing junk
        'ok(count) > 1', // unknown aggregate
        'count(ok) > 1', // fine
        'value(ok) > 1', // value of an outcome
        'phase=a,phase=b: rate(ok) > 1', // duplicate selector
        { expr: 'rate(ok) > 0.5', delayAbortEvalMs: -1 },
        'p95(latency_ms) <',
      ]),
    );
    const byPath = Object.fromEntries(e.issues.map((i) => [i.path, i]));
    expect(Object.keys(byPath)).toEqual(['thresholds[0]', 'thresholds[1]', 'thresholds[2]', 'thresholds[3]', 'thresholds[4]', 'thresholds[5]', 'thresholds[6]', 'thresholds[8]', 'thresholds[9]', 'thresholds[10].delayAbortEvalMs', 'thresholds[11]']);
    expect(byPath['thresholds[0]']).toMatchObject({ found: '"latncy_ms"', message: 'in "p95(latncy_ms) < 1" at column 5' });
    expect(byPath['thresholds[0]']!.expected).toContain('latency_ms, response_time_ms, ttft_ms');
    expect(byPath['thresholds[1]']!.expected).toMatch(/^a metric rate\(\) applies to: ok, rate_limited_requests/);
    expect(byPath['thresholds[2]']).toMatchObject({ expected: 'a comparison: <, <=, >, >=, == or !=', found: '"="' });
    expect(byPath['thresholds[3]']).toMatchObject({ expected: 'a percentile between 0 (exclusive) and 100', found: '"101"' });
    expect(byPath['thresholds[5]']).toMatchObject({ expected: '"!abort" or the end of the expression', found: '"abort"' });
    expect(byPath['thresholds[6]']!.expected).toMatch(/^an aggregate: pN/);
    expect(byPath['thresholds[8]']!.expected).toMatch(/^a metric value\(\) applies to: ok_rps/);
    expect(byPath['thresholds[9]']).toMatchObject({ expected: 'phase given once', message: expect.stringContaining('column 9') });
    expect(byPath['thresholds[11]']).toMatchObject({ expected: 'a number', found: 'the end of the expression' });
  });

  it('lists the extra percentiles and whether group rows are needed', () => {
    const ths = parseThresholds(['p95(latency_ms) < 1', 'p99.9(ttft_ms) < 1', 'p97.5(latency_ms) < 1', 'p99.9(itl_ms) < 1', 'rate(ok) > 0']);
    expect(thresholdPercentiles(ths)).toEqual([95, 97.5, 99.9]);
    expect(thresholdsNeedGroupRows(ths)).toBe(false);
    expect(thresholdsNeedGroupRows(parseThresholds(['group=x: rate(ok) > 0']))).toBe(true);
    expect(formatScope(parseThreshold('group=x,phase=p: rate(ok) > 0').scope)).toBe('phase=p,group=x: ');
  });
});

describe('evaluateThresholds', () => {
  it('computes observed values by the documented definitions', () => {
    // 100 ok, 3 × 429 (two classes), 1 server error, 1 dropped → 105 records, 104 sent.
    const m = collector(['rate_limited_requests', 'rate_limited_tokens', 'rate_limited_requests', 'server_error', 'dropped']);
    const ths = parseThresholds([
      'count(ok) == 100',
      'count(rate_limited) == 3',
      'rate(rate_limited) < 0.05', // 3/105 = 0.0286
      'rate(errors) <= 0.04', // 4/105
      'count(errors) == 4',
      'rate(dropped) > 0', // 1/105
      'count(attempts_all) == 105',
      'max(latency_ms) == 100',
      'min(latency_ms) == 1',
      'avg(latency_ms) == 50.5',
      'med(latency_ms) <= 50.1',
      'p95(latency_ms) < 95.1',
      'p97.5(latency_ms) >= 97',
      'max(response_time_ms) == 105',
      'max(schedule_lag_ms) == 5',
      'count(itl_ms) == 100',
      'value(ok_rps) == 10',
      'value(attempts) == 104',
      'p50(tpot_ms) < 5',
      'rate(ok) > 0.99', // 100/105: fails
      'phase=steady: count(server_error) == 0', // fails
    ]);
    const summaries = m.summaries({ percentiles: thresholdPercentiles(ths) });
    const res = evaluateThresholds(ths, summaries);
    const failed = res.filter((r) => !r.ok).map((r) => r.expr);
    expect(failed).toEqual(['rate(ok) > 0.99', 'phase=steady: count(server_error) == 0']);
    const obs = Object.fromEntries(res.map((r) => [r.expr, r.observed]));
    expect(obs['rate(rate_limited) < 0.05']).toBeCloseTo(3 / 105, 12);
    expect(obs['rate(errors) <= 0.04']).toBeCloseTo(4 / 105, 12);
    expect(obs['rate(ok) > 0.99']).toBeCloseTo(100 / 105, 12);
    // ITL = (end − firstToken)/(11 − 1) = (i − 1)/10 → median about 4.9 ms
    expect(obs['p50(tpot_ms) < 5']).toBeCloseTo(4.9, 1);
    expect(res[res.length - 1]).toMatchObject({ scope: { phase: 'steady', group: '*' }, observed: 1, ok: false, abortOnFail: false });
  });

  it('fails a threshold without data and says why', () => {
    const m = new MetricsCollector();
    m.addPhase('steady', 0, 1000);
    m.record(rec({ requestId: 1, startMs: 0, endMs: 3, status: 429, outcome: 'rate_limited_requests' }));
    const ths = parseThresholds(['p95(latency_ms) < 2000', 'count(latency_ms) == 0', 'phase=nope: rate(ok) > 0', 'p97(latency_ms) < 1']);
    const res = evaluateThresholds(ths, m.summaries());
    expect(res.map((r) => r.ok)).toEqual([false, true, false, false]);
    expect(res[0]!.observed).toBeUndefined();
    expect(res[0]!.note).toBe('no latency_ms samples');
    expect(res[2]!.note).toBe('no summary row for phase=nope group=*');

    // a percentile that was not asked for: no invented value
    const m2 = collector();
    const r2 = evaluateThresholds(parseThresholds(['p97(latency_ms) < 1000']), m2.summaries());
    expect(r2[0]!.ok).toBe(false);
    expect(r2[0]!.observed).toBeUndefined();
    expect(r2[0]!.note).toMatch(/not computed/);
  });

  it('scopes to a group (rows forced for a single group) and to a phase', () => {
    const m = collector([], 'greedy');
    const ths = parseThresholds(['group=greedy: rate(ok) > 0.9', 'group=greedy,phase=steady: count(ok) == 100']);
    expect(evaluateThresholds(ths, m.summaries()).map((r) => r.ok)).toEqual([false, false]);
    const rows = m.summaries({ groupRows: thresholdsNeedGroupRows(ths) ? 'always' : 'auto' });
    expect(evaluateThresholds(ths, rows).map((r) => r.ok)).toEqual([true, true]);
  });

  it('per group with several groups', () => {
    const m = collector(['rate_limited_tokens', 'rate_limited_tokens'], 'a');
    m.record(rec({ requestId: 5000, group: 'b', startMs: 1, endMs: 2, status: 429, outcome: 'rate_limited_other' }));
    const ths = parseThresholds(['group=a: count(rate_limited) == 2', 'group=b: rate(rate_limited) == 1', 'count(rate_limited) == 3']);
    expect(evaluateThresholds(ths, m.summaries()).every((r) => r.ok)).toBe(true);
  });
});

describe('ThresholdMonitor (abort on fail during the run)', () => {
  it('returns only failing abort thresholds with data, after their delay', () => {
    const ths = parseThresholds(['rate(rate_limited) < 0.01 !abort(2s)', 'rate(ok) > 0.999', 'p95(ttft_ms) < 1 !abort', 'value(ok_rps) > 1000 !abort', 'phase=later: rate(ok) > 0.5 !abort']);
    const mon = new ThresholdMonitor(ths);
    expect(mon.active).toBe(true);
    const empty = new MetricsCollector();
    empty.addPhase('steady', 0, 10_000);
    expect(mon.check(empty.summaries(), 5000)).toEqual([]); // no data yet

    const m = collector(['rate_limited_requests', 'rate_limited_requests']);
    // before 2 s only the ttft threshold can fire
    expect(mon.check(m.summaries(), 1000).map((r) => r.expr)).toEqual(['p95(ttft_ms) < 1 !abort']);
    const later = mon.check(m.summaries(), 2000);
    expect(later.map((r) => r.expr)).toEqual(['rate(rate_limited) < 0.01 !abort(2s)', 'p95(ttft_ms) < 1 !abort']);
    expect(mon.failed!.map((r) => r.expr)).toEqual(['p95(ttft_ms) < 1 !abort']); // the first failure is kept
    expect(new ThresholdMonitor(parseThresholds(['rate(ok) > 0'])).active).toBe(false);
  });

  it('asks for a cheap snapshot with only what the watched thresholds use, and decides the same', () => {
    const ths = parseThresholds(['p95(latency_ms) < 50 !abort', 'med(ttft_ms) < 1000 !abort', 'p99(itl_ms) < 1', 'group=g: rate(ok) > 0.995 !abort']);
    const mon = new ThresholdMonitor(ths);
    expect(mon.snapshotOptions()).toEqual({ only: { histograms: ['latency', 'ttft'] }, percentiles: [50, 95], groupRows: 'always' });
    const m = collector(['server_error']);
    const snap = m.summaries(mon.snapshotOptions());
    const total = snap.find((r) => r.scope === 'total' && r.group === '*')!;
    expect(total.latency.p95).toBeUndefined(); // lite: only the listed percentiles
    expect(total.latency.percentiles!['95']).toBeCloseTo(95, 0);
    expect(total.itl.count).toBe(0); // not merged
    expect(mon.check(snap, 0).map((r) => r.expr)).toEqual(['p95(latency_ms) < 50 !abort', 'group=g: rate(ok) > 0.995 !abort']);
    // the full summaries give the same verdicts
    const full = evaluateThresholds(ths.filter((t) => t.abortOnFail), m.summaries({ groupRows: 'always' }));
    expect(full.filter((r) => !r.ok).map((r) => r.expr)).toEqual(['p95(latency_ms) < 50 !abort', 'group=g: rate(ok) > 0.995 !abort']);
  });
});
