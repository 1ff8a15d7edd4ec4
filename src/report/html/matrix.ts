/**
 * report.html for a policy matrix's output directory (policies.csv plus one run directory per
 * policy): the ranked scorecard, one row per policy with a link to the policy's own report.html,
 * per policy its group rows (folded), and bar charts comparing the policies (uPlot).
 *
 * Same safety rules as render.ts: every string from the files goes through esc(), links are
 * built from encodeURIComponent'ed path segments, the chart data is embedded with safeJson().
 */
import type { ThresholdResult } from '../../metrics/thresholds.js';
import type { CsvRecord, MatrixPolicy } from '../read-run.js';
import { formatDuration } from '../console.js';
import { esc, htmlPage, loadUplotAssets, type HtmlAssets } from './render.js';

export interface MatrixReportInput {
  /** policies.csv records (policy, group, … — see SCORECARD_COLUMNS). */
  rows: readonly CsvRecord[];
  /** Per policy: its run directory's extras (report link, thresholds, retry spec). */
  policies?: readonly Omit<MatrixPolicy, 'dir'>[];
  /** One policy's scenario.resolved.json (the workload is the same for every policy). */
  scenario?: unknown;
}

const num = (r: CsvRecord | undefined, c: string): number | undefined => {
  const v = r?.[c];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};
const dash = '–';
const fixed = (v: number | undefined, d: number) => (v === undefined ? dash : v.toFixed(d));
const pctText = (v: number | undefined) => (v === undefined ? dash : `${(v * 100).toFixed(1)}%`);
const ms = (v: number | undefined) => (v === undefined ? dash : formatDuration(v));
const int = (v: number | undefined) => (v === undefined ? dash : Math.round(v).toLocaleString('en-US'));

/** Total rows ranked as rankPolicies does: cost (lower first; none counts as 0), ties by makespan. */
export function rankPolicyRows(rows: readonly CsvRecord[]): CsvRecord[] {
  return rows
    .filter((r) => r.group === 'total')
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (num(a.r, 'cost') ?? 0) - (num(b.r, 'cost') ?? 0) || (num(a.r, 'makespan_ms') ?? 0) - (num(b.r, 'makespan_ms') ?? 0) || a.i - b.i)
    .map((x) => x.r);
}

/** Relative link to DIR/<name>/report.html (each path segment percent-encoded). */
export function policyReportHref(name: string): string {
  return `${name.split('/').map(encodeURIComponent).join('/')}/report.html`;
}

/** The early-retry count (the mock referee's when it counted, else the client's own) and how early. */
function early(r: CsvRecord): { n?: number; text: string; cls: string } {
  const ref = num(r, 'referee_early_retries');
  const n = ref ?? num(r, 'early_retries');
  const mean = ref !== undefined ? num(r, 'referee_early_ms_mean') : num(r, 'early_ms_mean');
  const max = ref !== undefined ? num(r, 'referee_early_ms_max') : num(r, 'early_ms_max');
  if (!n) return { n, text: n === undefined ? dash : '0', cls: '' };
  const how = [mean !== undefined ? `mean ${formatDuration(mean)}` : '', max !== undefined ? `max ${formatDuration(max)}` : ''].filter(Boolean).join(', ');
  return { n, text: `${int(n)}${how ? ` (${how} early)` : ''}`, cls: 'bad' };
}

const HEAD = ['requests', 'success', 'attempts / success', 'retries', '429 rate', 'completion time', '× min', 'p95 response', 'early retries', 'goodput tok/min', 'wasted tokens', 'retry budget', 'jain', 'cost'];

/** The scorecard cells of one policies.csv row (HTML, escaped), in HEAD's order. */
function scoreCells(r: CsvRecord): string[] {
  const success = num(r, 'success_ratio');
  const e = early(r);
  const budget = r.budget_ok;
  return [
    int(num(r, 'requests')),
    success !== undefined && success < 1 ? `<span class="warn">${esc(pctText(success))}</span>` : esc(pctText(success)),
    esc(fixed(num(r, 'attempts_per_success'), 2)),
    int(num(r, 'retries')),
    esc(pctText(num(r, 'rate_429'))),
    esc(ms(num(r, 'makespan_ms'))),
    esc(fixed(num(r, 'makespan_ratio'), 2)),
    esc(ms(num(r, 'response_p95_ms'))),
    e.cls ? `<span class="${e.cls}">${esc(e.text)}</span>` : esc(e.text),
    int(num(r, 'goodput_tokens_per_min')),
    int(num(r, 'wasted_tokens')),
    budget === 'false' ? `<span class="warn">over (${esc(pctText(num(r, 'retry_ratio')))})</span>` : budget === 'true' ? `ok (${esc(pctText(num(r, 'retry_ratio')))})` : dash,
    esc(fixed(num(r, 'jain'), 3)),
    esc(fixed(num(r, 'cost'), 2)),
  ];
}

function row(cells: string[], cls = '', text: number[] = [0, 1]): string {
  return `<tr${cls ? ` class="${cls}"` : ''}>${cells.map((c, i) => `<td${text.includes(i) ? '' : ' class="n"'}>${c}</td>`).join('')}</tr>`;
}

function thresholdsCell(p: { thresholds?: readonly ThresholdResult[] } | undefined): string {
  const th = p?.thresholds;
  if (!th?.length) return dash;
  const failed = th.filter((t) => !t.ok);
  return failed.length
    ? `<span class="bad" title="${esc(failed.map((t) => t.expr).join('\n'))}">${esc(failed.length)} of ${esc(th.length)} failed</span>`
    : `<span class="good">${esc(th.length)} passed</span>`;
}

function reportLink(name: string, p: { hasReport?: boolean } | undefined): string {
  return p?.hasReport ? `<a href="${esc(policyReportHref(name))}">report</a>` : '<span class="muted">no report.html</span>';
}

export function renderMatrixReport(data: MatrixReportInput, assets: HtmlAssets = loadUplotAssets()): string {
  const scenarioName = typeof (data.scenario as { name?: unknown } | undefined)?.name === 'string' ? (data.scenario as { name: string }).name : undefined;
  const title = `${scenarioName ?? 'limitprobe'} — policy matrix`;
  const ranked = rankPolicyRows(data.rows);
  const byName = new Map((data.policies ?? []).map((p) => [p.name, p]));
  const groupsOf = (policy: string) => data.rows.filter((r) => r.policy === policy && r.group !== 'total');
  const showThresholds = (data.policies ?? []).some((p) => p.thresholds?.length);

  const head = ['#', 'policy', ...HEAD, ...(showThresholds ? ['thresholds'] : []), 'report'];
  const body = ranked.map((r, i) => {
    const name = r.policy ?? '';
    const p = byName.get(name);
    const ng = groupsOf(name).length;
    return row(
      [
        String(i + 1),
        `<a href="#policy-${i + 1}"><b>${esc(name)}</b></a>${p?.interrupted ? ' <span class="badge">interrupted</span>' : ''}${ng ? ` <span class="muted">(${esc(ng)} group${ng === 1 ? '' : 's'})</span>` : ''}`,
        ...scoreCells(r),
        ...(showThresholds ? [thresholdsCell(p)] : []),
        reportLink(name, p),
      ],
      i === 0 ? 'best' : '',
      [0, 1, head.length - 1, ...(showThresholds ? [head.length - 2] : [])],
    );
  });
  const table = `<table class="policies"><thead><tr>${head.map((h, i) => `<th${i > 1 && i < head.length - 1 ? ' class="n"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${body.join('\n')}
</tbody></table>`;

  const perPolicy = ranked.map((r, i) => {
    const name = r.policy ?? '';
    const p = byName.get(name);
    const groups = groupsOf(name);
    const gh = ['group', ...HEAD];
    const rows = [row(['<b>total</b>', ...scoreCells(r)], '', [0]), ...groups.map((g) => row([esc(g.group ?? ''), ...scoreCells(g)], '', [0]))];
    const th = p?.thresholds ?? [];
    return `<details class="policy" id="policy-${i + 1}"${ranked.length === 1 ? ' open' : ''}><summary><b>#${i + 1} ${esc(name)}</b> <span class="muted">— ${esc(groups.length ? `total and ${groups.length} group${groups.length === 1 ? '' : 's'}` : 'total')}</span></summary>
<p>${reportLink(name, p)}${th.length ? ` · thresholds: ${thresholdsCell(p)}${th.some((t) => !t.ok) ? ` (${th.filter((t) => !t.ok).map((t) => `<code>${esc(t.expr)}</code>`).join(', ')})` : ''}` : ''}</p>
<table class="policy-groups"><thead><tr>${gh.map((h, k) => `<th${k ? ' class="n"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
${p?.retry !== undefined ? `<details><summary>retry policy (client.retry)</summary><pre>${esc(JSON.stringify(p.retry, null, 2))}</pre></details>` : ''}
</details>`;
  });

  const labels = ranked.map((r) => r.policy ?? '');
  const bar = (id: string, title: string, yLabel: string, column: string, scale = 1) => ({
    id,
    title,
    yLabel,
    labels,
    values: ranked.map((r) => {
      const v = num(r, column);
      return v === undefined ? null : v * scale;
    }),
  });
  const bars = ranked.length
    ? [
        bar('chart-policy-attempts', 'Attempts per success (lower is better)', 'attempts / success', 'attempts_per_success'),
        bar('chart-policy-makespan', 'Completion time ÷ the minimum the limits allow (lower is better)', '× minimum', 'makespan_ratio'),
        bar('chart-policy-429', '429 rate, % of attempts', '%', 'rate_429', 100),
      ].filter((b) => b.values.some((v) => v !== null))
    : [];

  const failing = (data.policies ?? []).filter((p) => p.thresholds?.some((t) => !t.ok));
  const best = ranked[0];
  const bodyHtml = `<header>
<h1>${esc(scenarioName ?? 'Policy matrix')} <span class="badge">policy matrix</span></h1>
<p class="meta">${esc(ranked.length)} ${ranked.length === 1 ? 'policy' : 'policies'} on the same seeded workload${best ? ` · best: <b>${esc(best.policy ?? '')}</b>` : ''}</p>
${failing.length ? `<div id="threshold-banner" class="banner fail" role="alert"><b>✗ Thresholds failed</b> for ${failing.map((p) => `<b>${esc(p.name)}</b>`).join(', ')}.</div>` : ''}
</header>

<section id="policies"><h2>Policies, ranked</h2>
${ranked.length ? table : '<p class="muted">policies.csv has no total rows.</p>'}
<p class="muted">Ranked by cost (lower first), ties by completion time. Success = requests that ended ok; attempts / success counts every attempt (retries included); completion time = first arrival to last end; × min = completion time over the least the configured limits allow; early retries = retries sent before the advised time (the mock referee's count when it kept one), and by how much.</p>
</section>

<section id="policy-charts"><h2>Policies compared</h2>
${bars.length ? `<div class="grid">${bars.map((b) => `<div id="${esc(b.id)}" class="chart"></div>`).join('')}</div>` : '<p class="muted">No values to chart.</p>'}
</section>

<section id="per-policy"><h2>Per policy and group</h2>
${perPolicy.join('\n')}
</section>

${data.scenario !== undefined ? `<section id="scenario"><h2>Scenario as run</h2><details><summary>scenario.resolved.json of the first policy (secrets redacted)</summary><pre>${esc(JSON.stringify(data.scenario, null, 2))}</pre></details></section>` : ''}

<footer>From policies.csv and each policy's folder. Generated by limitprobe; charts by uPlot (MIT licence).</footer>`;
  return htmlPage(title, bodyHtml, { timeseries: {}, phases: [], percentiles: [], bars }, assets);
}
