import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AttemptRecord, Outcome } from '../../src/metrics/record.js';
import { MetricsCollector, type Summary } from '../../src/metrics/summary.js';
import {
  COMPARE_METRICS,
  compareSummaries,
  DEFAULT_TOLERANCES,
  formatCompareTable,
  parseTolerance,
  toleranceRules,
  writeCompareCsv,
  type CompareResult,
} from '../../src/report/compare.js';
import { tempDir } from '../helpers/cli.js';

/** Summaries of one phase "steady" (+ total): n attempts, `bad` of them 429, latency `lat` ms. */
function run(opts: { n?: number; bad?: number; lat?: number; phase?: string; outcome?: Outcome } = {}): Summary[] {
  const { n = 200, bad = 0, lat = 100, phase = 'steady', outcome = 'rate_limited_requests' } = opts;
  const m = new MetricsCollector();
  m.addPhase(phase, 0, 10_000);
  for (let i = 0; i < n; i++) {
    const ok = i >= bad;
    const r: AttemptRecord = {
      requestId: i + 1, attempt: 1, group: 'g', phase, targetedStartMs: i * 50, startMs: i * 50,
      firstTokenMs: ok ? i * 50 + lat / 4 : undefined, endMs: i * 50 + (ok ? lat : 3),
      outcome: ok ? 'ok' : outcome, status: ok ? 200 : 429, promptTokens: 100, completionTokens: 11, promptTokensEstimate: 100,
    };
    m.record(r);
  }
  return m.summaries();
}

const find = (rs: CompareResult[], scope: string, metric: string) => rs.find((r) => r.scope === scope && r.metric === metric)!;
const failures = (rs: CompareResult[]) => rs.filter((r) => r.verdict === 'regression' || r.verdict === 'missing').map((r) => `${r.scope} ${r.metric}`);

describe('tolerance rules', () => {
  it('parses relative, absolute, unit and direction forms', () => {
    expect(parseTolerance('p95(response_time_ms)=+10%')).toMatchObject({ scope: '*', metric: 'p95(response_time_ms)', direction: 'up', relative: 0.1, off: false });
    expect(parseTolerance('p95(*)=+10%,5ms')).toMatchObject({ relative: 0.1, absolute: 5, change: '+10%,5ms' });
    expect(parseTolerance('rate(ok)=-1pp')).toMatchObject({ direction: 'down', absolute: 0.01 });
    expect(parseTolerance('rate(*)=1pp,2req')).toMatchObject({ direction: undefined, absolute: 0.01, records: 2 });
    expect(parseTolerance('ok_rps=±5%')).toMatchObject({ metric: 'value(ok_rps)', direction: 'both', relative: 0.05 });
    expect(parseTolerance('token-flood:p99(ttft_ms)=off')).toMatchObject({ scope: 'token-flood', metric: 'p99(ttft_ms)', off: true });
    expect(parseTolerance('phase:with:colons:value(ok_rps)=2')).toMatchObject({ scope: 'phase:with:colons', absolute: 2 });
    // every default parses
    expect(toleranceRules()).toHaveLength(DEFAULT_TOLERANCES.length);
  });

  it.each([
    ['p95(response_time_ms)', /--tolerance 'p95\(response_time_ms\)': expected METRIC=CHANGE, e\.g\. 'p95\(response_time_ms\)=\+10%', found no "="/],
    ['p95(nonsense)=+10%', /expected a metric such as rate\(ok\).*found "p95\(nonsense\)", which names no metric/],
    ['p95(latency_ms)=+ten%', /expected parts like \+10%, 5ms, 1pp, 2req or a plain number, joined by ",", found "\+ten%"/],
    ['rate(ok)=5ms', /expected ms only for latency percentile metrics, found ms on rate\(ok\)/],
    ['p95(latency_ms)=2pp', /expected pp only for rate\(\.\.\.\) metrics, found pp on p95\(latency_ms\)/],
    ['p95(latency_ms)=+10%,-5ms', /expected one direction for every part, found "\+" and "-"/],
    ['p95(latency_ms)=', /found nothing after "="/],
  ])('rejects %s, naming the flag, what was expected and what was found', (rule, message) => {
    expect(() => parseTolerance(rule)).toThrow(message);
    try {
      parseTolerance(rule);
    } catch (e) {
      expect((e as { code: string }).code).toBe('E_CONFIG');
    }
  });
});

describe('compareSummaries', () => {
  it('passes identical runs, with every metric compared per phase and total', () => {
    const rs = compareSummaries(run(), run());
    expect(failures(rs)).toEqual([]);
    expect(new Set(rs.map((r) => r.scope))).toEqual(new Set(['steady', 'total']));
    expect(rs.filter((r) => r.scope === 'total').length).toBeGreaterThan(20);
    expect(rs.every((r) => r.verdict === 'pass' || (r.verdict === 'insufficient' && r.metric.startsWith('p99(')))).toBe(true);
    expect(COMPARE_METRICS.map((m) => m.name)).toContain('p95(response_time_ms)');
  });

  it('latency: +10% with a 25 ms floor at p50, higher is worse, lower is an improvement', () => {
    expect(failures(compareSummaries(run({ lat: 100 }), run({ lat: 109 })))).toEqual([]);
    const worse = compareSummaries(run({ lat: 100 }), run({ lat: 160 }));
    expect(find(worse, 'total', 'p95(latency_ms)')).toMatchObject({ verdict: 'regression', tolerance: '+15%,50ms' });
    expect(find(worse, 'total', 'p50(latency_ms)')).toMatchObject({ verdict: 'regression', tolerance: '+10%,25ms' });
    expect(find(worse, 'total', 'p50(latency_ms)').deltaPct).toBeCloseTo(60, 0);
    // small absolute values: 10 → 30 ms is +200 % but within the 25 ms floor (jitter, not regression)
    expect(failures(compareSummaries(run({ lat: 10 }), run({ lat: 30 })))).toEqual([]);
    expect(failures(compareSummaries(run({ lat: 10 }), run({ lat: 40 })))).toContain('total p50(latency_ms)');
    expect(find(compareSummaries(run({ lat: 100 }), run({ lat: 70 })), 'total', 'p50(latency_ms)').verdict).toBe('improved');
  });

  it('rates: ±1 pp (or 2 records), direction-aware', () => {
    // 200 records: 2 more 429s = 1 pp: noise; 6 more = 3 pp: a regression of rate(ok) and of the 429 rate
    expect(failures(compareSummaries(run({ bad: 10 }), run({ bad: 12 })))).toEqual([]);
    const worse = compareSummaries(run({ bad: 10 }), run({ bad: 16 }));
    expect(failures(worse)).toEqual(expect.arrayContaining(['total rate(ok)', 'total rate(rate_limited_requests)', 'steady rate(ok)']));
    expect(find(worse, 'total', 'rate(ok)')).toMatchObject({ baseline: 0.95, current: 0.92 });
    const better = compareSummaries(run({ bad: 16 }), run({ bad: 10 }));
    expect(find(better, 'total', 'rate(ok)').verdict).toBe('improved');
    expect(find(better, 'total', 'rate(rate_limited_requests)').verdict).toBe('improved');
    // a new error class appearing is a regression of its rate
    expect(failures(compareSummaries(run(), run({ bad: 6, outcome: 'server_error' })))).toContain('total rate(server_error)');
  });

  it('throughput: −5 %, higher is better', () => {
    const worse = compareSummaries(run({ n: 200 }), run({ n: 180 }));
    expect(find(worse, 'total', 'value(ok_rps)')).toMatchObject({ baseline: 20, current: 18, verdict: 'regression' });
    expect(find(compareSummaries(run({ n: 180 }), run({ n: 200 })), 'total', 'value(ok_rps)').verdict).toBe('improved');
  });

  it("user rules override the defaults; 'off' ignores; ± catches both directions; scopes select", () => {
    const b = run({ lat: 100 });
    const c = run({ lat: 160 });
    expect(failures(compareSummaries(b, c, toleranceRules(['p*(*)=+70%'])))).toEqual([]);
    const off = compareSummaries(b, c, toleranceRules(['p*(*)=off']));
    expect(find(off, 'total', 'p95(latency_ms)')).toMatchObject({ verdict: 'ignored', tolerance: 'off' });
    expect(failures(compareSummaries(b, c, toleranceRules(['steady:p*(*)=off'])))).toContain('total p95(latency_ms)');
    expect(failures(compareSummaries(b, c, toleranceRules(['steady:p*(*)=off'])))).not.toContain('steady p95(latency_ms)');
    expect(find(compareSummaries(c, b, toleranceRules(['p50(latency_ms)=±5%'])), 'total', 'p50(latency_ms)').verdict).toBe('regression');
  });

  it('a phase missing from the current run fails; a new one does not', () => {
    const base = run({ phase: 'a' });
    const cur = run({ phase: 'b' });
    const rs = compareSummaries(base, cur);
    expect(rs.filter((r) => r.scope === 'a').every((r) => r.verdict === 'missing')).toBe(true);
    expect(rs.filter((r) => r.scope === 'b').every((r) => r.verdict === 'new')).toBe(true);
    expect(rs.map((r) => r.scope).at(-1)).toBe('total');
  });

  it('percentiles over too few samples are shown but not judged', () => {
    const rs = compareSummaries(run({ n: 60, lat: 100 }), run({ n: 60, lat: 300 }));
    expect(find(rs, 'total', 'p50(latency_ms)').verdict).toBe('regression'); // 60 ≥ 20
    expect(find(rs, 'total', 'p95(latency_ms)')).toMatchObject({ verdict: 'insufficient', baseline: expect.any(Number) }); // 60 < 200
    expect(find(rs, 'total', 'p99(latency_ms)').verdict).toBe('insufficient'); // < 1000
    expect(find(compareSummaries(run({ n: 200, lat: 100 }), run({ n: 200, lat: 300 })), 'total', 'p95(latency_ms)').verdict).toBe('regression');
    expect(formatCompareTable(rs)).toMatch(/p99\(latency_ms\).*too few samples/);
  });

  it('a metric that vanished (no ok attempt left) is missing, not passing', () => {
    const rs = compareSummaries(run(), run({ bad: 200 }));
    expect(find(rs, 'total', 'p95(latency_ms)')).toMatchObject({ verdict: 'missing', current: undefined });
  });
});

describe('compare output', () => {
  it('writes compare.csv with one row per metric and the documented columns', async () => {
    const dir = tempDir();
    const rs = compareSummaries(run({ bad: 10, lat: 100 }), run({ bad: 16, lat: 160 }));
    await writeCompareCsv(join(dir, 'compare.csv'), rs);
    const lines = readFileSync(join(dir, 'compare.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('scope,metric,baseline,current,delta,delta_pct,tolerance,verdict');
    expect(lines).toHaveLength(rs.length + 1);
    expect(lines).toContain('total,rate(ok),0.950000,0.920000,-0.030000,-3.16,"1pp,2req",regression');
    expect(lines.find((l) => l.startsWith('total,p50(latency_ms),'))).toMatch(/^total,p50\(latency_ms\),100\.\d{3},160\.\d{3},\d\d\.\d{3},\d\d\.\d{2},"\+10%,25ms",regression$/);
  });

  it('prints a diff table of the interesting rows and a verdict line', () => {
    const rs = compareSummaries(run({ bad: 10, lat: 100 }), run({ bad: 16, lat: 160 }));
    const text = formatCompareTable(rs);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^scope\s+metric\s+baseline\s+current\s+change\s+tolerance\s+verdict$/);
    expect(text).toMatch(/total\s+rate\(ok\)\s+95\.00%\s+92\.00%\s+−3\.00pp\s+1pp,2req\s+REGRESSION/);
    expect(text).toMatch(/total\s+p50\(latency_ms\)\s+100ms\s+160ms\s+\+60ms \(\+60\.0%\)\s+\+10%,25ms\s+REGRESSION/);
    expect(text).not.toContain('rate(timeout)'); // zero in both runs
    expect(text).toMatch(/\d+ regression\(s\); \d+ improved; \d+ metric\(s\) compared \(\d+ zero in both runs not shown; --all shows them\)\./);
    expect(formatCompareTable(rs, { all: true })).toContain('rate(timeout)');
    expect(formatCompareTable(rs, { failuresOnly: true }).split('\n').slice(1).every((l) => !l.includes(' ok'))).toBe(true);
    expect(formatCompareTable(compareSummaries(run(), run()))).toMatch(/no regression; 0 improved/);
  });
});
