/** report.html for a policy matrix's output directory (policies.csv + one run folder per policy). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scorecardCsv, type ScoreRow } from '../../src/metrics/scorecard.js';
import type { ThresholdResult } from '../../src/metrics/thresholds.js';
import { esc, policyReportHref, rankPolicyRows, renderMatrixReport, writeHtmlReport } from '../../src/report/html/index.js';
import { isMatrixDir, parseCsvText, readMatrix } from '../../src/report/read-run.js';
import { tempDir } from '../helpers/cli.js';

const EVIL = '<script>alert("x")</script>';

function score(policy: string, group: string, o: Partial<ScoreRow> = {}): ScoreRow {
  return {
    policy, group, requests: 100, successes: 100, successRatio: 1, attempts: 120, attemptsPerSuccess: 1.2, retries: 20, rateLimited: 20, rate429: 20 / 120,
    failed: 0, makespanMs: 60_000, minMakespanMs: 50_000, makespanRatio: 1.2, goodputTokensPerMin: 12_345.6, goodputRequestsPerMin: 100, responseP95Ms: 2_500,
    earlyRetries: 0, wastedTokens: 0, rejectedPromptTokens: 0, retryRatio: 0.2, budgetOk: false, ...o,
  };
}

const EVIL_POLICY = `evil ${EVIL}`;
const ROWS: ScoreRow[] = [
  // policies.csv order is run order; the ranking (by cost, then makespan) differs
  score('naive', 'total', { cost: 3.5, attempts: 300, attemptsPerSuccess: 3.75, successes: 80, successRatio: 0.8, makespanRatio: 2.5, rate429: 0.6, earlyRetries: 40, refereeEarlyRetries: 42, refereeEarlyMsMean: 812.3, refereeEarlyMsMax: 1500, jain: 0.9 }),
  score('naive', 'alpha', { attemptsPerSuccess: 3 }),
  score('naive', `beta ${EVIL}`, { attemptsPerSuccess: 4.5 }),
  score('retry-after', 'total', { cost: 1.1, retryRatio: 0.05, budgetOk: true, jain: 0.99 }),
  score('retry-after', 'alpha'),
  score(EVIL_POLICY, 'total', { cost: 1.1, makespanMs: 70_000, attemptsPerSuccess: Infinity, successes: 0, successRatio: 0 }),
];

function writeMatrixDir(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'policies.csv'), scorecardCsv(ROWS));
  for (const name of ['naive', 'retry-after']) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'report.html'), '<!doctype html>');
    writeFileSync(join(dir, name, 'summary.csv'), `scope,group,attempts,ok,interrupted\ntotal,*,10,10,${name === 'naive'}\n`);
    writeFileSync(join(dir, name, 'scenario.resolved.json'), JSON.stringify({ name: `matrix ${EVIL}`, client: { retry: { preset: name, note: EVIL } } }));
  }
  const th: ThresholdResult[] = [
    { expr: 'rate(rate_limited) < 0.1', scope: { phase: 'total', group: '*' }, metric: 'rate_limited', aggregate: { kind: 'rate' }, observed: 0.6, ok: false, abortOnFail: true },
    { expr: 'count(ok) > 0', scope: { phase: 'total', group: '*' }, metric: 'ok', aggregate: { kind: 'count' }, observed: 80, ok: true, abortOnFail: false },
  ];
  writeFileSync(join(dir, 'naive', 'thresholds.json'), JSON.stringify(th));
  writeFileSync(join(dir, 'retry-after', 'thresholds.json'), JSON.stringify([{ ...th[1] }]));
  return dir; // the evil policy has no folder (and so no report to link)
}

function embedded(html: string): any {
  return JSON.parse(/<script type="application\/json" id="lp-data">([\s\S]*?)<\/script>/.exec(html)![1]!);
}

describe('policy matrix report.html', () => {
  it('is written for a directory with policies.csv, and read back with each policy folder', async () => {
    const dir = writeMatrixDir();
    expect(isMatrixDir(dir)).toBe(true);
    const m = await readMatrix(dir);
    expect(m.policies.map((p) => [p.name, p.hasReport, p.thresholds?.length, p.interrupted])).toEqual([
      ['naive', true, 2, true],
      ['retry-after', true, 1, false],
      [EVIL_POLICY, false, undefined, undefined],
    ]);
    expect(m.policies[0]!.retry).toEqual({ preset: 'naive', note: EVIL });
    expect((m.scenario as { name: string }).name).toBe(`matrix ${EVIL}`);
    const path = await writeHtmlReport(dir);
    expect(path).toBe(join(dir, 'report.html'));
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path, 'utf8')).toContain('<section id="policies">');
  });

  it('ranks by cost then completion time, one row per policy, the best highlighted, each linking its own report', async () => {
    const html = readFileSync(await writeHtmlReport(writeMatrixDir()), 'utf8');
    expect(html).toContain(`<title>limitprobe — ${esc(`matrix ${EVIL}`)} — policy matrix</title>`);
    const table = html.slice(html.indexOf('<table class="policies">'), html.indexOf('</table>', html.indexOf('<table class="policies">')));
    const rows = [...table.slice(table.indexOf('<tbody>')).matchAll(/<tr( class="best")?>(.*?)<\/tr>/g)].map((m) => ({ best: !!m[1], cells: [...m[2]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1]!) }));
    expect(rows.map((r) => r.cells[0])).toEqual(['1', '2', '3']);
    expect(rows.map((r) => r.best)).toEqual([true, false, false]);
    expect(rows[0]!.cells[1]).toBe('<a href="#policy-1"><b>retry-after</b></a> <span class="muted">(1 group)</span>');
    expect(rows[1]!.cells[1]).toBe(`<a href="#policy-2"><b>${esc(EVIL_POLICY)}</b></a>`);
    expect(rows[2]!.cells[1]).toBe('<a href="#policy-3"><b>naive</b></a> <span class="badge">interrupted</span> <span class="muted">(2 groups)</span>');
    // naive: success warned, attempts/success, 429 rate, × min, the referee's early retries and how early, thresholds, link
    const naive = rows[2]!.cells;
    expect(naive.slice(2, 9)).toEqual(['100', '<span class="warn">80.0%</span>', '3.75', '20', '60.0%', '1m00.0s', '2.50']);
    expect(naive[10]).toBe('<span class="bad">42 (mean 812ms, max 1.50s early)</span>');
    expect(naive[13]).toBe('<span class="warn">over (20.0%)</span>');
    expect(naive[16]).toBe('<span class="bad" title="rate(rate_limited) &lt; 0.1">1 of 2 failed</span>');
    expect(naive[17]).toBe('<a href="naive/report.html">report</a>');
    expect(rows[0]!.cells[16]).toBe('<span class="good">1 passed</span>');
    // no folder: no link; infinite attempts per success is blank
    expect(rows[1]!.cells[4]).toBe('–');
    expect(rows[1]!.cells[17]).toBe('<span class="muted">no report.html</span>');
    // a failing policy threshold raises the banner
    expect(html).toContain('<div id="threshold-banner" class="banner fail" role="alert"><b>✗ Thresholds failed</b> for <b>naive</b>.</div>');
  });

  it('folds each policy’s group rows, escaping group names and the retry spec', async () => {
    const html = readFileSync(await writeHtmlReport(writeMatrixDir()), 'utf8');
    expect(html).not.toContain(EVIL);
    expect(html).not.toMatch(/<script>alert/);
    const naive = html.slice(html.indexOf('<details class="policy" id="policy-3">'), html.indexOf('</details>\n', html.indexOf('<details class="policy" id="policy-3">')) + 10);
    expect(naive).toContain('<summary><b>#3 naive</b> <span class="muted">— total and 2 groups</span></summary>');
    expect(naive).toContain('<td><b>total</b></td>');
    expect(naive).toContain('<td>alpha</td>');
    expect(naive).toContain(`<td>${esc(`beta ${EVIL}`)}</td>`);
    expect(naive).toContain('<code>rate(rate_limited) &lt; 0.1</code>');
    expect(naive).toContain('&quot;note&quot;: &quot;&lt;script&gt;');
  });

  it('embeds bar charts comparing the policies, in rank order', async () => {
    const d = embedded(readFileSync(await writeHtmlReport(writeMatrixDir()), 'utf8'));
    expect(d.bars.map((b: any) => b.id)).toEqual(['chart-policy-attempts', 'chart-policy-makespan', 'chart-policy-429']);
    expect(d.bars[0].labels).toEqual(['retry-after', EVIL_POLICY, 'naive']);
    expect(d.bars[0].values).toEqual([1.2, null, 3.75]);
    expect(d.bars[1].values).toEqual([1.2, 1.2, 2.5]);
    expect(d.bars[2].values[2]).toBeCloseTo(60);
    // the page's JSON cannot break out of its element
    expect(/id="lp-data">([\s\S]*?)<\/script>/.exec(readFileSync(await writeHtmlReport(writeMatrixDir()), 'utf8'))![1]).not.toMatch(/[<>&]/);
  });

  it('pure helpers: ranking, links, an empty matrix', () => {
    const recs = parseCsvText(scorecardCsv(ROWS));
    expect(rankPolicyRows(recs).map((r) => r.policy)).toEqual(['retry-after', EVIL_POLICY, 'naive']);
    expect(policyReportHref('a b/<c>')).toBe('a%20b/%3Cc%3E/report.html');
    const html = renderMatrixReport({ rows: [] }, { js: '', css: '' });
    expect(html).toContain('policies.csv has no total rows.');
    expect(html).toContain('No values to chart.');
  });

  it('a run directory is not a matrix directory', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'summary.csv'), 'scope,group,attempts,ok\n');
    writeFileSync(join(dir, 'policies.csv'), 'policy,group\n');
    expect(isMatrixDir(dir)).toBe(false);
  });
});
