import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../../src/metrics/record.js';
import type { SeriesRow } from '../../src/metrics/series.js';
import { MetricsCollector } from '../../src/metrics/summary.js';
import { TIMESERIES_COLUMNS } from '../../src/report/columns.js';
import { openCsv } from '../../src/report/csv.js';
import { abortingThresholds, configuredLimits, esc, renderHtmlReport, runPhases, safeJson, scenarioPhases, thresholdBanner, writeHtmlReport } from '../../src/report/html/index.js';
import type { ThresholdResult } from '../../src/metrics/thresholds.js';
import { readRun } from '../../src/report/read-run.js';
import { openRunReports } from '../../src/report/writers.js';
import { tempDir } from '../helpers/cli.js';

const EVIL = '<script>alert("x")</script>';

/** A small synthetic run directory, written with the project's own writers. */
async function writeFixtureRun(dir: string, opts: { name?: string; limits?: object; mockState?: object | null; groups?: boolean } = {}) {
  const reports = openRunReports(dir);
  const m = new MetricsCollector({ pricing: { inputPerMillionUsd: 1, outputPerMillionUsd: 2 } });
  m.addPhase('warm', 0, 5_000);
  m.addPhase(`flood ${EVIL}`, 5_000, 5_000);
  let id = 0;
  for (let s = 0; s < 10; s++) {
    for (let k = 0; k < 4; k++) {
      const t = s * 1000 + k * 250;
      const phase = s < 5 ? 'warm' : `flood ${EVIL}`;
      const limited = s >= 6 && k >= 2;
      const rec: AttemptRecord = {
        requestId: ++id,
        attempt: 1,
        group: opts.groups && k % 2 ? 'beta' : 'alpha',
        phase,
        targetedStartMs: t,
        startMs: t + 1,
        firstTokenMs: limited ? undefined : t + 60,
        endMs: t + (limited ? 5 : 200 + s * 10),
        status: limited ? 429 : 200,
        outcome: limited ? (k === 2 ? 'rate_limited_requests' : 'rate_limited_tokens') : 'ok',
        errorCode: limited ? 'rate_limit_exceeded' : undefined,
        errorMessage: limited ? `Rate limit reached ${EVIL} & "quotes"` : undefined,
        promptTokens: limited ? undefined : 100,
        completionTokens: limited ? undefined : 20,
        promptTokensEstimate: 100,
        stream: true,
      };
      m.record(rec);
      reports.record(rec);
    }
  }
  await reports.close();
  const ts = openCsv<SeriesRow>(join(dir, 'timeseries.csv'), TIMESERIES_COLUMNS);
  for (let s = 0; s < 10; s++) {
    const limited = s >= 6 ? 2 : 0;
    ts.write({ second: s, offered: 4, sent: 4, ok: 4 - limited, rateLimitedRequests: limited / 2, rateLimitedTokens: limited / 2, rateLimitedOther: 0, otherErrors: 0, dropped: 0, inFlightMax: 2, tokensIn: 400, tokensOut: 80, latencyP50Ms: 200 + s * 10, latencyP95Ms: 210 + s * 10 });
  }
  await ts.close();
  await reports.writeSummary(m.summaries());
  await reports.writeResolvedScenario({
    name: opts.name ?? `demo ${EVIL}`,
    seed: 7,
    target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct', ...(opts.limits ? { limits: opts.limits } : {}) },
    maxInFlight: 64,
    phases: [
      { name: 'warm', durationMs: 5000 },
      { name: `flood ${EVIL}`, durationMs: 5000 },
    ],
  });
  if (opts.mockState !== null) {
    await writeFile(
      join(dir, 'mock-state.json'),
      JSON.stringify(
        opts.mockState ?? {
          admitted: 32,
          completed: 32,
          rejected: { rate_limited_requests: 4, rate_limited_tokens: 4, context_exceeded: 0 },
          rejectedTotal: 8,
          tokens: { prompt: 3200, completion: 640 },
          buckets: { requests: { limit: 120 }, tokens: { limit: 60000 } },
        },
      ),
    );
  }
}

function embeddedData(html: string): any {
  const m = /<script type="application\/json" id="lp-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!);
}

describe('report.html', () => {
  it('is one self-contained file: uPlot inlined, no network, a CSP that forbids it', async () => {
    const dir = tempDir();
    await writeFixtureRun(dir);
    const path = await writeHtmlReport(dir);
    expect(path).toBe(join(dir, 'report.html'));
    const html = readFileSync(path, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('var uPlot=');
    expect(html).toContain('.uplot');
    expect(html).toContain('uPlot licence');
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;/);
    // nothing loaded from elsewhere
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]*\s(src|href)=/i);
    expect(html).not.toMatch(/url\(\s*['"]?https?:/i);
    // three scripts: data, uPlot, ours
    expect(html.match(/<script[\s>]/g)).toHaveLength(3);
    expect(statSync(path).size).toBeLessThan(200_000);
  });

  it('escapes every string from the run: names, phase names, error messages', async () => {
    const dir = tempDir();
    await writeFixtureRun(dir);
    const html = readFileSync(await writeHtmlReport(dir), 'utf8');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('<title>limitprobe — demo &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</title>');
    expect(html).toContain('<h1>demo &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</h1>');
    expect(html).toContain('Rate limit reached &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;');
    // the embedded JSON cannot close its element, and still parses to the original strings
    const block = /id="lp-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(block).not.toMatch(/[<>&]/);
    expect(embeddedData(html).phases[1].name).toBe(`flood ${EVIL}`);
  });

  it('embeds per-second series, phases, limits and percentiles for the charts', async () => {
    const dir = tempDir();
    await writeFixtureRun(dir);
    const d = embeddedData(readFileSync(await writeHtmlReport(dir), 'utf8'));
    expect(d.timeseries.second).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(d.timeseries.rate_limited_requests.slice(5, 8)).toEqual([0, 1, 1]);
    expect(d.phases).toEqual([
      { name: 'warm', startS: 0, endS: 5 },
      { name: `flood ${EVIL}`, startS: 5, endS: 10 },
    ]);
    expect(d.limits).toEqual({ rpm: 120, tpm: 60000, source: "the mock's buckets (mock-state.json)" });
    expect(d.maxInFlight).toBe(64);
    expect(d.percentileLabels).toEqual(['p50', 'p90', 'p95', 'p99', 'max']);
    const lat = d.percentiles.find((p: any) => p.id === 'chart-pctl-latency_ms');
    expect(lat.scopes.map((s: any) => s.scope)).toEqual(['warm', `flood ${EVIL}`, 'total']);
    expect(lat.scopes[0].values[0]).toBeGreaterThan(190);
    // no streaming data for ITL (completionTokens ≥ 2 but TTFT recorded: yes) — every chart has data
    expect(d.percentiles.map((p: any) => p.id)).toEqual(['chart-pctl-latency_ms', 'chart-pctl-response_time_ms', 'chart-pctl-ttft_ms', 'chart-pctl-itl_ms']);
  });

  it('takes limits from the scenario first, the mock second, and says where from', () => {
    expect(configuredLimits({ target: { limits: { rpm: 600 } } }, { buckets: { requests: { limit: 800 }, tokens: { limit: 9000 } } })).toEqual({
      rpm: 600,
      tpm: 9000,
      source: "scenario target.limits and the mock's buckets (mock-state.json)",
    });
    expect(configuredLimits({ target: { kind: 'http' } }, undefined)).toEqual({ rpm: undefined, tpm: undefined, source: undefined });
    expect(scenarioPhases({ phases: [{ name: 'a', durationMs: 1500 }, { name: 'b', durationMs: 500 }] })).toEqual([
      { name: 'a', startS: 0, endS: 1.5 },
      { name: 'b', startS: 1.5, endS: 2 },
    ]);
    expect(scenarioPhases('nonsense')).toEqual([]);
    // as run (summary durations) wins over as written
    const row = (scope: string, durationS?: number) => ({ scope, group: '*', durationS }) as never;
    expect(runPhases([row('a', 2), row('b', 0.5), row('total', 2.5)], { phases: [{ name: 'a', durationMs: 9000 }] })).toEqual([
      { name: 'a', startS: 0, endS: 2 },
      { name: 'b', startS: 2, endS: 2.5 },
    ]);
    expect(runPhases([row('a')], { phases: [{ name: 'a', durationMs: 1000 }] })).toEqual([{ name: 'a', startS: 0, endS: 1 }]);
  });

  it('shows the referee: the mock counters beside the harness, agreeing or not', async () => {
    const dir = tempDir();
    await writeFixtureRun(dir);
    const html = readFileSync(await writeHtmlReport(dir), 'utf8');
    expect(html).toContain('All 8 counters agree');

    const dir2 = tempDir();
    await writeFixtureRun(dir2, { mockState: { admitted: 30, completed: 30, rejectedTotal: 8, rejected: { rate_limited_requests: 4, rate_limited_tokens: 4 }, buckets: {} } });
    const html2 = readFileSync(await writeHtmlReport(dir2), 'utf8');
    expect(html2).toMatch(/3 of 5 counters differ/);
    expect(html2).toContain('harness +2');

    const dir3 = tempDir();
    await writeFixtureRun(dir3, { mockState: null, limits: { rpm: 60 } });
    const html3 = readFileSync(await writeHtmlReport(dir3), 'utf8');
    expect(html3).not.toContain('id="referee"');
    expect(embeddedData(html3).limits).toEqual({ rpm: 60, tpm: undefined, source: 'scenario target.limits' });
  });

  it("shows the referee's per-tenant table (referee.csv): 429s, retries, early retries and how early, burst peak", async () => {
    const dir = tempDir();
    await writeFixtureRun(dir);
    writeFileSync(
      join(dir, 'referee.csv'),
      'tenant,requests,ok,rate_limited,quota_or_too_large,client_errors,server_errors,retry_groups,retried_groups,retries,max_attempts_in_group,early_retries,early_ms_mean,early_ms_max,retries_without_advice,retries_after_fatal,burst_peak_1s,first_ms,last_ms\n' +
        'alpha,40,32,8,0,0,0,30,5,10,3,3,120.5,250.5,0,0,17,0,9000\n' +
        `"${EVIL.replace(/"/g, '""')}",1,1,0,0,0,0,1,0,0,1,0,,,0,2,1,5,5\n`,
    );
    const html = readFileSync(await writeHtmlReport(dir), 'utf8');
    expect(html).toContain('Referee: client retry behaviour per tenant (referee.csv)');
    // beside the mock's counters, in the same section
    const section = html.slice(html.indexOf('<section id="referee">'), html.indexOf('</section>', html.indexOf('<section id="referee">')));
    expect(section).toContain('All 8 counters agree');
    expect(section).toContain('<table class="ledger">');
    expect(html).toContain(`alpha: early retries 3; ${esc(EVIL)}: retries after fatal 2: retries before the advised time`);
    const alpha = /<tr><td><b>alpha<\/b><\/td>.*?<\/tr>/.exec(html)![0];
    const cells = [...alpha.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]);
    expect(cells.slice(1, 5)).toEqual(['40', '32', '<span class="warn">8</span>', '0']);
    expect(cells[5]).toBe('10 <span class="muted">(5 of 30 requests)</span>');
    expect(cells[6]).toBe('3');
    expect(cells[7]).toBe('<span class="bad">3</span> <span class="muted">(mean 121ms, max 251ms early)</span>');
    expect(cells[10]).toBe('17');
    // the evil tenant is text, flagged for its retries after a fatal answer
    expect(html).toContain(`<b>${esc(EVIL)}</b>`);
    expect(html).toContain('<span class="bad">2</span>');
    expect(html).not.toContain(EVIL);
    // every raw column is still there, folded
    expect(html).toContain('<summary>every referee.csv column</summary>');
    expect(html).toContain(">first_ms</th>");
  });

  it('shows the referee table without mock-state.json, and praises a clean ledger', async () => {
    const dir = tempDir();
    await writeFixtureRun(dir, { mockState: null });
    writeFileSync(join(dir, 'referee.csv'), 'tenant,requests,ok,rate_limited,retries,early_retries,retries_after_fatal,burst_peak_1s\nalpha,4,4,0,0,0,0,2\n');
    const html = readFileSync(await writeHtmlReport(dir), 'utf8');
    expect(html).toContain('<section id="referee"><h2>Referee</h2>');
    expect(html).toContain('No early retries and no retries after a fatal answer.');
  });

  it('shows thresholds.json: each threshold, scope, observed value, pass/fail highlighted, and a failure banner', async () => {
    const dir = tempDir();
    await writeFixtureRun(dir);
    const results: ThresholdResult[] = [
      { expr: 'p95(response_time_ms) < 2000', scope: { phase: 'total', group: '*' }, metric: 'response_time_ms', aggregate: { kind: 'percentile', p: 95 }, observed: 290.4, ok: true, abortOnFail: false },
      { expr: `phase=flood ${EVIL}: rate(rate_limited) < 0.05`, scope: { phase: `flood ${EVIL}`, group: '*' }, metric: 'rate_limited', aggregate: { kind: 'rate' }, observed: 0.4, ok: false, abortOnFail: true },
      { expr: `group=${EVIL}: count(ok) > 0`, scope: { phase: 'total', group: EVIL }, metric: 'ok', aggregate: { kind: 'count' }, ok: false, abortOnFail: false, note: `no summary row for group=${EVIL}` },
    ];
    writeFileSync(join(dir, 'thresholds.json'), JSON.stringify(results));
    const html = readFileSync(await writeHtmlReport(dir), 'utf8');
    expect(html).not.toContain(EVIL);
    // the banner, in the header, names the failures (the run was not interrupted: no abort)
    const header = html.slice(html.indexOf('<header>'), html.indexOf('</header>'));
    expect(header).toContain('<div id="threshold-banner" class="banner fail" role="alert"><b>✗ 2 of 3 thresholds failed</b>');
    expect(header).toContain(`<code>${esc(results[1]!.expr)}</code>`);
    expect(header).not.toContain('aborted');
    // the section: one row per threshold, in order, highlighted
    const section = html.slice(html.indexOf('<section id="thresholds">'), html.indexOf('</section>', html.indexOf('<section id="thresholds">')));
    expect(section).toContain('<h2>Thresholds</h2>');
    expect(section).toContain('<p class="bad">2 of 3 failed</p>');
    const rows = [...section.matchAll(/<tr class="(pass|fail)">(.*?)<\/tr>/g)].map((m) => ({ cls: m[1], cells: [...m[2]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1]) }));
    expect(rows.map((r) => r.cls)).toEqual(['pass', 'fail', 'fail']);
    expect(rows[0]!.cells).toEqual(['<span class="good">pass</span>', '<code>p95(response_time_ms) &lt; 2000</code>', 'total', 'all groups', 'p95(response_time_ms)', '290ms', '', '<span class="muted"></span>']);
    expect(rows[1]!.cells.slice(0, 7)).toEqual(['<span class="bad">FAIL</span>', `<code>${esc(results[1]!.expr)}</code>`, esc(`flood ${EVIL}`), 'all groups', 'rate(rate_limited)', '0.4000 (40.00%)', 'yes']);
    expect(rows[2]!.cells.slice(3)).toEqual([esc(EVIL), 'count(ok)', 'no data', '', `<span class="muted">${esc(results[2]!.note)}</span>`]);
  });

  it('says when a threshold aborted the run, and when all passed', async () => {
    const failing: ThresholdResult = { expr: 'rate(errors) < 0.01', scope: { phase: 'total', group: '*' }, metric: 'errors', aggregate: { kind: 'rate' }, observed: 0.2, ok: false, abortOnFail: true };
    const passing: ThresholdResult = { ...failing, expr: 'p99(latency_ms) < 9000', observed: 10, ok: true, abortOnFail: false };
    // interrupted with a failing abort-on-fail threshold: aborted by it
    expect(abortingThresholds([failing, passing], true)).toEqual([failing]);
    expect(abortingThresholds([failing, passing], false)).toEqual([]);
    // an explicit mark wins
    const marked = { ...failing, abortedRun: true } as ThresholdResult;
    expect(abortingThresholds([marked], false)).toEqual([marked]);
    const banner = thresholdBanner([failing, passing], true);
    expect(banner).toContain('<b>The run was aborted</b> by the abort-on-fail threshold <code>rate(errors) &lt; 0.01</code>');
    expect(thresholdBanner([passing], false)).toBe('<div id="threshold-banner" class="banner pass">✓ All 1 threshold passed.</div>');
    expect(thresholdBanner(undefined, false)).toBe('');

    // through the page: the aborted flag in the section's row
    const html = renderHtmlReport({ summaries: [{ scope: 'total', group: '*', interrupted: true, counts: {}, latency: {}, responseTime: {}, ttft: {}, itl: {}, scheduleLag: {} } as never], timeseries: {}, thresholds: [failing, passing] }, { js: '', css: '' });
    expect(html).toContain('<span class="bad">yes — aborted the run</span>');
    expect(html).toContain('<b>The run was aborted</b>');
    // no thresholds.json: no section, no banner
    const dir = tempDir();
    await writeFixtureRun(dir);
    const plain = readFileSync(await writeHtmlReport(dir), 'utf8');
    expect(plain).not.toContain('id="thresholds"');
    expect(plain).not.toContain('threshold-banner');
  });

  it('rejects a thresholds.json that is not an array, naming it', async () => {
    const dir = tempDir();
    await writeFixtureRun(dir);
    writeFileSync(join(dir, 'thresholds.json'), '{"expr": 1}');
    await expect(writeHtmlReport(dir)).rejects.toThrow(/thresholds\.json: expected an array of threshold results, found object/);
  });

  it('has summary, per-group, error and scenario sections', async () => {
    const dir = tempDir();
    await writeFixtureRun(dir, { groups: true });
    const html = readFileSync(await writeHtmlReport(dir), 'utf8');
    for (const id of ['summary', 'groups', 'charts', 'latency', 'errors', 'referee', 'scenario']) expect(html).toContain(`<section id="${id}">`);
    expect(html).toMatch(/<td><b>total<\/b><\/td><td class="n">40<\/td><td class="n">32<\/td><td class="n">80\.0%<\/td>/);
    expect(html).toContain('warm / <b>alpha</b>');
    expect(html).toMatch(/rate_limited_requests<\/td><td>429<\/td>/);
    expect(html).toContain('$0.0045'); // 3200 in × $1 + 640 out × $2 per million
  });

  it('renders from data alone (pure), and copes with an empty run', () => {
    const html = renderHtmlReport({ summaries: [], timeseries: {} }, { js: '/* js */', css: '/* css */' });
    expect(html).toContain('summary.csv has no rows');
    expect(html).toContain('timeseries.csv has no rows');
    expect(html).toContain('<title>limitprobe — limitprobe run</title>');
    expect(html).not.toContain('id="referee"');
  });

  it('reads back what a run wrote, and names what is missing', async () => {
    const dir = tempDir();
    await writeFixtureRun(dir);
    const run = await readRun(dir);
    expect(run.errors.map((e) => [e.outcome, e.count])).toEqual([
      ['rate_limited_requests', 4],
      ['rate_limited_tokens', 4],
    ]);
    await expect(readRun(join(dir, 'nope'))).rejects.toThrow(/nope: expected a directory written by "limitprobe run", found nothing there/);
    const empty = tempDir();
    await expect(writeHtmlReport(empty)).rejects.toThrow(/summary\.csv: expected the run's summary\.csv, found no such file/);
    expect(existsSync(join(empty, 'report.html'))).toBe(false);
  });

  it('escape helpers', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(safeJson({ s: '</script><!--\u2028' })).toBe('{"s":"\\u003c/script\\u003e\\u003c!--\\u2028"}');
    expect(JSON.parse(safeJson({ s: '</script><!--\u2028&' }))).toEqual({ s: '</script><!--\u2028&' });
  });
});
