/**
 * report.html: one self-contained page (uPlot's JS and CSS inlined, the data embedded as JSON, a
 * Content-Security-Policy that forbids any network access at view time).
 *
 * renderHtmlReport(data) is pure apart from reading uPlot's two files once (cached). Safety: every
 * string from the run (scenario and phase names, error messages, the scenario JSON) goes through
 * esc() in HTML, and the embedded JSON escapes <, >, &, U+2028 and U+2029, so it can neither
 * close its <script> element nor start a comment; the page script only ever sets textContent.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Summary } from '../../metrics/summary.js';
import { OUTCOMES, RATE_LIMITED, type Outcome } from '../../metrics/record.js';
import type { ThresholdResult } from '../../metrics/thresholds.js';
import { formatDuration, formatObserved, formatRate } from '../console.js';
import type { CsvRecord, ErrorGroup, TimeseriesColumns } from '../read-run.js';
import { CLIENT_SCRIPT } from './client-script.js';

export interface HtmlReportInput {
  summaries: readonly Summary[];
  /** timeseries.csv as columns (see readRun); may be empty. */
  timeseries: TimeseriesColumns;
  /** scenario.resolved.json, as parsed JSON. */
  scenario?: unknown;
  /** mock-state.json (the embedded mock's counters), as parsed JSON. */
  mockState?: unknown;
  errors?: readonly ErrorGroup[];
  /** referee.csv rows: the mock's per-tenant ledger of retry behaviour. */
  referee?: readonly CsvRecord[];
  /** thresholds.json: one result per threshold, in order. */
  thresholds?: readonly ThresholdResult[];
}

export interface HtmlAssets {
  js: string;
  css: string;
  /** uPlot's licence text, kept beside its code in the page as MIT asks. */
  license?: string;
}

let cachedAssets: HtmlAssets | undefined;

/** uPlot's minified IIFE build and stylesheet, read from node_modules (MIT licence, kept in the file). */
export function loadUplotAssets(): HtmlAssets {
  if (!cachedAssets) {
    const require = createRequire(import.meta.url);
    const dist = (f: string) => require.resolve(`uplot/dist/${f}`);
    const license = readFileSync(require.resolve('uplot/LICENSE'), 'utf8');
    cachedAssets = { js: readFileSync(dist('uPlot.iife.min.js'), 'utf8'), css: readFileSync(dist('uPlot.min.css'), 'utf8'), license };
  }
  return cachedAssets;
}

// ---------------------------------------------------------------------------------------------
// escaping

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escape text for HTML element content and quoted attribute values. */
export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** JSON that is safe inside <script type="application/json">: no "<", ">" or "&" left raw. */
export function safeJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Inline code must not close its own element. */
const inlineSafe = (code: string, tag: 'script' | 'style') => code.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1');

// ---------------------------------------------------------------------------------------------
// reading the scenario and the mock state defensively (they are JSON written by other modules)

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const get = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => (isObj(o) ? o[k] : undefined), v);
const posNum = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export interface ReportLimits {
  rpm?: number;
  tpm?: number;
  /** Where they came from: the scenario's target.limits or the mock's own buckets. */
  source?: string;
}

/** Configured limits: scenario target.limits first, else the mock's bucket limits. */
export function configuredLimits(scenario: unknown, mockState: unknown): ReportLimits {
  const fromScenario = { rpm: posNum(get(scenario, 'target', 'limits', 'rpm')), tpm: posNum(get(scenario, 'target', 'limits', 'tpm')) };
  const fromMock = { rpm: posNum(get(mockState, 'buckets', 'requests', 'limit')), tpm: posNum(get(mockState, 'buckets', 'tokens', 'limit')) };
  const rpm = fromScenario.rpm ?? fromMock.rpm;
  const tpm = fromScenario.tpm ?? fromMock.tpm;
  const sources = [
    fromScenario.rpm || fromScenario.tpm ? 'scenario target.limits' : '',
    (!fromScenario.rpm && fromMock.rpm) || (!fromScenario.tpm && fromMock.tpm) ? "the mock's buckets (mock-state.json)" : '',
  ].filter(Boolean);
  return { rpm, tpm, source: sources.length ? sources.join(' and ') : undefined };
}

export interface ReportPhase {
  name: string;
  startS: number;
  endS: number;
}

/** Phases in order with start/end seconds (phases run in sequence). */
export function scenarioPhases(scenario: unknown): ReportPhase[] {
  const phases = get(scenario, 'phases');
  if (!Array.isArray(phases)) return [];
  let t = 0;
  const out: ReportPhase[] = [];
  for (const p of phases) {
    const name = str(get(p, 'name')) ?? `phase ${out.length + 1}`;
    const dur = posNum(get(p, 'durationMs')) ?? 0;
    out.push({ name, startS: t / 1000, endS: (t + dur) / 1000 });
    t += dur;
  }
  return out;
}

/**
 * Phase boundaries as run: summary.csv's per-phase durations in order (phases run in sequence;
 * a phase bounded by a request count ends when done and shifts the next), else the scenario's.
 */
export function runPhases(summaries: readonly Summary[], scenario: unknown): ReportPhase[] {
  const rows = summaries.filter((s) => s.group === '*' && s.scope !== 'total');
  if (rows.length && rows.every((s) => s.durationS !== undefined)) {
    let t = 0;
    return rows.map((s) => {
      const p = { name: s.scope, startS: t, endS: t + s.durationS! };
      t = p.endS;
      return p;
    });
  }
  return scenarioPhases(scenario);
}

// ---------------------------------------------------------------------------------------------
// formatting

const OTHER_ERRORS: readonly Outcome[] = OUTCOMES.filter((o) => o !== 'ok' && o !== 'dropped' && !RATE_LIMITED.includes(o));
const otherErrors = (s: Summary) => OTHER_ERRORS.reduce((n, o) => n + s.counts[o], 0);
const count = (n: number | undefined) => (n === undefined ? '–' : n.toLocaleString('en-US'));
const money = (c: number | undefined) => (c === undefined ? '–' : `$${c.toFixed(c < 1 ? 4 : 2)}`);
const pct = (n: number, d: number) => (d > 0 ? `${((100 * n) / d).toFixed(1)}%` : '–');
const dur = (v: number | undefined) => (v === undefined ? '–' : formatDuration(v));
const rate = (v: number | undefined) => (v === undefined ? '–' : formatRate(v));

/** Column 0 and the columns in `text` are left-aligned; the rest (numbers) right-aligned. */
function table(head: string[], rows: string[][], cls = '', text: number[] = []): string {
  const a = (i: number) => (i && !text.includes(i) ? ' class="n"' : '');
  const th = head.map((h, i) => `<th${a(i)}>${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${a(i)}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${cls}"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const warnIf = (n: number, cls: string) => (n ? `<span class="${cls}">${count(n)}</span>` : count(n));

function countsTable(rows: readonly Summary[], label: (s: Summary) => string): string {
  const showCost = rows.some((s) => s.costUsd !== undefined);
  const head = ['', 'sent', 'ok', 'ok %', '429 requests', '429 tokens', '429 other', 'other errors', 'dropped', 'ok/s', 'in tok/s', 'out tok/s', ...(showCost ? ['cost'] : [])];
  const body = rows.map((s) => {
    const all = s.attempts + s.counts.dropped;
    return [
      label(s),
      count(s.attempts),
      count(s.counts.ok),
      pct(s.counts.ok, all),
      warnIf(s.counts.rate_limited_requests, 'warn'),
      warnIf(s.counts.rate_limited_tokens, 'warn'),
      warnIf(s.counts.rate_limited_other, 'warn'),
      warnIf(otherErrors(s), 'bad'),
      warnIf(s.counts.dropped, 'warn'),
      rate(s.okRps),
      rate(s.inputTokensPerS),
      rate(s.outputTokensPerS),
      ...(showCost ? [money(s.costUsd)] : []),
    ];
  });
  return table(head, body, 'summary');
}

type HistField = 'latency' | 'responseTime' | 'ttft' | 'itl' | 'scheduleLag';
const DIST: { field: HistField; column: string; title: string }[] = [
  { field: 'latency', column: 'latency_ms', title: 'Latency (end − start)' },
  { field: 'responseTime', column: 'response_time_ms', title: 'Response time (end − targeted start)' },
  { field: 'ttft', column: 'ttft_ms', title: 'Time to first token' },
  { field: 'itl', column: 'itl_ms', title: 'Inter-token latency (per request)' },
];
const PCTL = ['p50', 'p90', 'p95', 'p99', 'max'] as const;

function latencyTable(rows: readonly Summary[]): string {
  const head = ['', 'metric', ...PCTL, 'mean'];
  const body: string[][] = [];
  for (const s of rows) {
    for (const d of [...DIST, { field: 'scheduleLag' as const, column: 'schedule_lag_ms', title: 'Schedule lag' }]) {
      const st = s[d.field];
      if (st.p50 === undefined) continue;
      body.push([esc(s.scope), esc(d.column), ...PCTL.map((k) => dur(st[k])), dur(st.mean)]);
    }
  }
  return body.length ? table(head, body, 'latency', [1]) : '<p class="muted">No ok attempts: no latency to show.</p>';
}

// ---------------------------------------------------------------------------------------------
// referee: the mock's own counters beside what the harness recorded

interface Finding {
  what: string;
  mock: number | undefined;
  harness: number | undefined;
  note: string;
}

export function refereeFindings(mockState: unknown, total: Summary | undefined): Finding[] {
  if (!isObj(mockState) || !total) return [];
  const n = (...p: string[]) => {
    const v = get(mockState, ...p);
    return typeof v === 'number' ? v : undefined;
  };
  const received = n('admitted') !== undefined && n('rejectedTotal') !== undefined ? n('admitted')! + n('rejectedTotal')! : undefined;
  return [
    { what: 'requests received (admitted + rejected) vs attempts sent', mock: received, harness: total.attempts, note: 'a network error or timeout before the mock read the request explains a shortfall' },
    { what: 'admitted vs ok', mock: n('admitted'), harness: total.counts.ok, note: 'admitted requests that later failed or were aborted are not ok' },
    { what: 'completed vs ok', mock: n('completed'), harness: total.counts.ok, note: '' },
    { what: '429 requests-per-minute', mock: n('rejected', 'rate_limited_requests'), harness: total.counts.rate_limited_requests, note: '' },
    { what: '429 tokens-per-minute', mock: n('rejected', 'rate_limited_tokens'), harness: total.counts.rate_limited_tokens, note: '' },
    { what: 'context exceeded', mock: n('rejected', 'context_exceeded'), harness: total.counts.context_exceeded, note: '' },
    { what: 'prompt tokens (usage) vs tokens in', mock: n('tokens', 'prompt'), harness: total.inputTokens, note: 'the mock counts every completed request' },
    { what: 'completion tokens vs tokens out', mock: n('tokens', 'completion'), harness: total.outputTokens, note: '' },
  ].filter((f) => f.mock !== undefined);
}

/** Ledger columns that flag client misbehaviour when non-zero. */
const LEDGER_FLAGS = ['early_retries', 'retries_after_fatal'];

const cellNum = (r: CsvRecord, c: string): number | undefined => {
  const v = r[c];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

/** "3 (mean 120 ms, max 250 ms early)" — how many retries came before the advised time, and by how much. */
function earlyCell(r: CsvRecord): string {
  const n = cellNum(r, 'early_retries');
  if (n === undefined) return '–';
  if (!n) return '0';
  const mean = cellNum(r, 'early_ms_mean');
  const max = cellNum(r, 'early_ms_max');
  const how = [mean !== undefined ? `mean ${formatDuration(mean)}` : '', max !== undefined ? `max ${formatDuration(max)}` : ''].filter(Boolean).join(', ');
  return `<span class="bad">${esc(count(n))}</span>${how ? ` <span class="muted">(${esc(how)} early)</span>` : ''}`;
}

function ledgerTable(rows: readonly CsvRecord[] | undefined): string {
  if (!rows?.length) return '';
  const cols = Object.keys(rows[0]!);
  const flagged = rows.flatMap((r) => LEDGER_FLAGS.filter((c) => Number(r[c] ?? 0) > 0).map((c) => `${r.tenant ?? '?'}: ${c.replace(/_/g, ' ')} ${r[c]}`));
  const n = (r: CsvRecord, c: string) => count(cellNum(r, c));
  const flag = (r: CsvRecord, c: string, cls: string) => {
    const v = cellNum(r, c);
    return v ? `<span class="${cls}">${esc(count(v))}</span>` : esc(count(v));
  };
  const curated = rows.map((r) => {
    const retried = cellNum(r, 'retried_groups');
    const groups = cellNum(r, 'retry_groups');
    return [
      `<b>${esc(r.tenant ?? '?')}</b>`,
      n(r, 'requests'),
      n(r, 'ok'),
      flag(r, 'rate_limited', 'warn'),
      flag(r, 'quota_or_too_large', 'warn'),
      `${n(r, 'retries')}${retried !== undefined && groups !== undefined ? ` <span class="muted">(${esc(count(retried))} of ${esc(count(groups))} requests)</span>` : ''}`,
      n(r, 'max_attempts_in_group'),
      earlyCell(r),
      flag(r, 'retries_without_advice', 'warn'),
      flag(r, 'retries_after_fatal', 'bad'),
      n(r, 'burst_peak_1s'),
    ];
  });
  const raw = rows.map((r) => cols.map((c) => esc(r[c] ?? '')));
  return `<h3 id="referee-ledger">Referee: client retry behaviour per tenant (referee.csv)</h3>
${flagged.length ? `<p class="bad">${esc(flagged.join('; '))}: retries before the advised time or after a "never retry" answer.</p>` : '<p class="good">No early retries and no retries after a fatal answer.</p>'}
${table(['tenant', 'requests', 'ok', '429s', 'quota / too large', 'retries', 'max attempts', 'early retries (how early)', 'retries without advice', 'retries after fatal', 'burst peak (req/1 s)'], curated, 'ledger')}
<p class="muted">Counted by the mock for each tenant (client group): every request it received, retries grouped by request; an early retry came before the time the previous answer advised (Retry-After or the reset headers); burst peak is the most requests it received in any one second.</p>
<details><summary>every referee.csv column</summary>${table(cols.map(esc), raw, 'ledger-raw', [])}</details>`;
}

function refereeSection(mockState: unknown, total: Summary | undefined, ledger?: readonly CsvRecord[]): string {
  if (mockState === undefined) return ledger?.length ? `<section id="referee"><h2>Referee</h2>${ledgerTable(ledger)}</section>` : '';
  const findings = refereeFindings(mockState, total);
  const rows = findings.map((f) => {
    const agree = f.mock === f.harness;
    const diff = f.mock !== undefined && f.harness !== undefined ? f.harness - f.mock : undefined;
    return [
      esc(f.what),
      count(f.mock),
      count(f.harness),
      agree ? '<span class="good">agree</span>' : `<span class="warn">harness ${diff !== undefined && diff > 0 ? '+' : ''}${count(diff)}</span>`,
      `<span class="muted">${esc(agree ? '' : f.note)}</span>`,
    ];
  });
  const disagree = findings.filter((f) => f.mock !== f.harness).length;
  const verdict = findings.length
    ? disagree
      ? `<p class="warn">${disagree} of ${findings.length} counters differ between the mock and the harness.</p>`
      : `<p class="good">All ${findings.length} counters agree: the harness recorded exactly what the mock saw.</p>`
    : '';
  return `<section id="referee"><h2>Referee: the mock's own counters</h2>
<p class="muted">The embedded mock counts what it admitted and rejected independently of the harness (mock-state.json). Bucket limits: ${esc(count(posNum(get(mockState, 'buckets', 'requests', 'limit'))))} requests/min, ${esc(count(posNum(get(mockState, 'buckets', 'tokens', 'limit'))))} tokens/min.</p>
${verdict}
${rows.length ? table(['counter', 'mock', 'harness', 'verdict', ''], rows, 'referee', [3, 4]) : ''}
${ledgerTable(ledger)}
<details><summary>mock-state.json</summary><pre>${esc(JSON.stringify(mockState, null, 2))}</pre></details>
</section>`;
}

// ---------------------------------------------------------------------------------------------
// thresholds (thresholds.json)

/** "count", "p95", "rate"…: how the metric was aggregated. */
function aggregateText(r: ThresholdResult): string {
  const a = r.aggregate as { kind?: unknown; p?: unknown } | undefined;
  if (!a || typeof a.kind !== 'string') return '';
  return a.kind === 'percentile' && typeof a.p === 'number' ? `p${a.p}` : a.kind;
}

function observedText(r: ThresholdResult): string {
  if (typeof r.observed !== 'number') return 'no data';
  try {
    return formatObserved(r);
  } catch {
    return String(r.observed);
  }
}

/**
 * The thresholds that stopped the run. thresholds.json may mark them (`abortedRun: true`);
 * otherwise: an interrupted run whose abort-on-fail thresholds failed with data was stopped by them.
 */
export function abortingThresholds(results: readonly ThresholdResult[], interrupted: boolean): ThresholdResult[] {
  const marked = results.filter((r) => (r as { abortedRun?: unknown }).abortedRun === true);
  if (marked.length) return marked;
  return interrupted ? results.filter((r) => r.abortOnFail && !r.ok && typeof r.observed === 'number') : [];
}

/** The banner at the top of the page: failed thresholds and an abort, or all passed. */
export function thresholdBanner(results: readonly ThresholdResult[] | undefined, interrupted: boolean): string {
  if (!results?.length) return '';
  const failed = results.filter((r) => !r.ok);
  const aborted = abortingThresholds(results, interrupted);
  const n = results.length;
  const plural = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  if (!failed.length) return `<div id="threshold-banner" class="banner pass">✓ All ${esc(plural(n, 'threshold'))} passed.</div>`;
  return `<div id="threshold-banner" class="banner fail" role="alert"><b>✗ ${esc(failed.length)} of ${esc(plural(n, 'threshold'))} failed</b>: ${failed.map((r) => `<code>${esc(r.expr)}</code>`).join(', ')}.${
    aborted.length ? `<br><b>The run was aborted</b> by ${aborted.length === 1 ? 'the abort-on-fail threshold' : 'the abort-on-fail thresholds'} ${aborted.map((r) => `<code>${esc(r.expr)}</code>`).join(', ')}: the results cover the run up to the abort.` : ''
  } <a href="#thresholds">Details</a></div>`;
}

function thresholdsSection(results: readonly ThresholdResult[] | undefined, interrupted: boolean): string {
  if (!results?.length) return '';
  const aborted = new Set(abortingThresholds(results, interrupted));
  const rows = results.map((r) => {
    const scope = r.scope ?? { phase: 'total', group: '*' };
    return {
      cls: r.ok ? 'pass' : 'fail',
      cells: [
        r.ok ? '<span class="good">pass</span>' : '<span class="bad">FAIL</span>',
        `<code>${esc(r.expr)}</code>`,
        esc(scope.phase ?? 'total'),
        esc(scope.group === '*' || scope.group === undefined ? 'all groups' : scope.group),
        esc(`${aggregateText(r)}(${r.metric ?? '?'})`),
        esc(observedText(r)),
        r.abortOnFail ? (aborted.has(r) ? '<span class="bad">yes — aborted the run</span>' : 'yes') : '',
        `<span class="muted">${esc(r.note ?? '')}</span>`,
      ],
    };
  });
  const head = ['result', 'threshold', 'phase', 'group', 'measure', 'observed', 'abort on fail', 'note'];
  const th = head.map((h, i) => `<th${i === 5 ? ' class="n"' : ''}>${h}</th>`).join('');
  const body = rows.map((r) => `<tr class="${r.cls}">${r.cells.map((c, i) => `<td${i === 5 ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`).join('\n');
  const failed = results.filter((r) => !r.ok).length;
  return `<section id="thresholds"><h2>Thresholds</h2>
<p class="${failed ? 'bad' : 'good'}">${failed ? `${esc(failed)} of ${esc(results.length)} failed` : `all ${esc(results.length)} passed`}</p>
<table class="thresholds"><thead><tr>${th}</tr></thead><tbody>
${body}
</tbody></table>
<p class="muted">From thresholds.json, evaluated on the run's summary at the end (a threshold with no data fails). Scope: the phase ("total" = the whole run) and client group the threshold looked at.</p>
</section>`;
}

function errorsSection(errors: readonly ErrorGroup[]): string {
  if (!errors.length) return '';
  const rows = errors.map((e) => [esc(e.outcome), esc(e.status || '–'), esc(e.errorCode || '–'), count(e.count), esc(e.phases.join(', ')), `<span class="msg">${esc(e.example)}</span>`]);
  return `<section id="errors"><h2>Attempts that were not ok</h2>
<p class="muted">From requests.csv, grouped by outcome, HTTP status and error code; one example message each.</p>
${table(['outcome', 'status', 'error code', 'attempts', 'phases', 'example message'], rows, 'errors', [1, 2, 4, 5])}
</section>`;
}

// ---------------------------------------------------------------------------------------------

const CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #667085; --line: #d0d5dd; --bg2: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0; }
main { max-width: 1240px; margin: 0 auto; padding: 20px 24px 60px; }
h1 { font-size: 22px; margin: 0 0 4px; } h3 { font-size: 15px; margin: 18px 0 6px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.meta { color: var(--muted); margin: 0 0 8px; } .meta b { color: var(--fg); font-weight: 600; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--bg2); font-weight: 600; } td.n, th.n { text-align: right; white-space: nowrap; }
.warn { color: #b54708; font-weight: 600; } .bad { color: #b42318; font-weight: 600; } .good { color: #067647; font-weight: 600; }
.muted { color: var(--muted); } .msg { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-word; }
.chart { margin: 10px 0 18px; min-height: 200px; } .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 8px 20px; }
pre { background: var(--bg2); padding: 10px; overflow: auto; font-size: 12px; max-height: 520px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 4px; background: #fef0c7; color: #93370d; font-size: 12px; margin-left: 6px; }
.banner { margin: 10px 0 4px; padding: 10px 14px; border-radius: 6px; border: 1px solid; }
.banner.fail { background: #fef3f2; border-color: #fda29b; color: #7a271a; } .banner.pass { background: #ecfdf3; border-color: #75e0a7; color: #054f31; }
tr.fail td { background: #fef3f2; } tr.pass td { background: #f6fef9; } tr.best td { background: #f0f9ff; }
code { font-family: ui-monospace, monospace; font-size: 12.5px; }
table.policies td:nth-child(2) { white-space: nowrap; } details.policy { margin: 6px 0; } details.policy > summary { cursor: pointer; padding: 3px 0; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
`;

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** The page around a report's body: head (CSP, inlined uPlot CSS), the data block and the scripts. */
export function htmlPage(title: string, body: string, clientData: unknown, assets: HtmlAssets): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="limitprobe">
<title>limitprobe — ${esc(title)}</title>
<style>${inlineSafe(assets.css, 'style')}</style>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
<script type="application/json" id="lp-data">${safeJson(clientData)}</script>
<script>${assets.license ? `/*! uPlot licence:\n${assets.license.replace(/\*\//g, '* /')}\n*/\n` : ''}${inlineSafe(assets.js, 'script')}</script>
<script>${inlineSafe(CLIENT_SCRIPT, 'script')}</script>
</body>
</html>
`;
}

export function renderHtmlReport(data: HtmlReportInput, assets: HtmlAssets = loadUplotAssets()): string {
  const sc = data.scenario;
  const name = str(get(sc, 'name')) ?? 'limitprobe run';
  const description = str(get(sc, 'description'));
  const all = data.summaries.filter((s) => s.group === '*');
  const groups = data.summaries.filter((s) => s.group !== '*');
  const total = all.find((s) => s.scope === 'total');
  const limits = configuredLimits(sc, data.mockState);
  const phases = runPhases(data.summaries, sc);
  const first = data.summaries[0];
  const ts = data.timeseries;

  const target = get(sc, 'target');
  const targetText =
    str(get(target, 'kind')) === 'mock'
      ? `embedded mock (${str(get(target, 'profile')) ?? 'default profile'})`
      : (str(get(target, 'baseUrl')) ?? str(get(target, 'kind')) ?? 'unknown');
  const model = str(get(target, 'model'));
  const seed = get(sc, 'seed');
  const flags = [first?.simulated ? 'virtual time' : '', first?.interrupted ? 'interrupted' : ''].filter(Boolean);

  const percentiles = DIST.map((d) => ({
    id: `chart-pctl-${d.column}`,
    title: `${d.title}, ms`,
    scopes: all.filter((s) => s[d.field].p50 !== undefined).map((s) => ({ scope: s.scope, values: PCTL.map((k) => s[d.field][k] ?? null) })),
  })).filter((p) => p.scopes.length);

  const clientData = {
    timeseries: ts,
    limits,
    maxInFlight: posNum(get(sc, 'maxInFlight')),
    phases,
    percentileLabels: PCTL,
    percentiles,
  };

  const hasSeries = (ts.second?.length ?? 0) > 0;
  const limitText = [
    limits.rpm ? `${count(limits.rpm)} requests/min (drawn as ${(limits.rpm / 60).toFixed(2)} req/s, the sustained refill rate)` : '',
    limits.tpm ? `${count(limits.tpm)} tokens/min` : '',
  ].filter(Boolean);

  const charts = hasSeries
    ? `<section id="charts"><h2>Per second</h2>
<p class="muted">Offered = arrivals planned in that second; sent = attempts started; outcomes, tokens and latency count attempts that ended in that second. Dashed vertical lines mark phase starts.${limitText.length ? ` Limits: ${esc(limitText.join(', '))}, from ${esc(limits.source)}.` : ' No configured limits known for this target.'}</p>
<div id="chart-requests" class="chart"></div>
<div id="chart-tokens" class="chart"></div>
<div class="grid"><div id="chart-inflight" class="chart"></div><div id="chart-latency-time" class="chart"></div></div>
</section>`
    : `<section id="charts"><h2>Per second</h2><p class="muted">timeseries.csv has no rows: no per-second charts.</p></section>`;

  const groupSection = groups.length
    ? `<section id="groups"><h2>Per group</h2>${countsTable(groups, (s) => `${esc(s.scope)} / <b>${esc(s.group)}</b>`)}</section>`
    : '';

  const interrupted = data.summaries.some((x) => x.interrupted);
  const body = `<header>
<h1>${esc(name)}${flags.map((f) => `<span class="badge">${esc(f)}</span>`).join('')}</h1>
${description ? `<p class="meta">${esc(description)}</p>` : ''}
<p class="meta">target <b>${esc(targetText)}</b>${model ? ` · model <b>${esc(model)}</b>` : ''}${seed !== undefined ? ` · seed <b>${esc(seed)}</b>` : ''}${total?.durationS !== undefined ? ` · <b>${esc(formatDuration(total.durationS * 1000))}</b>` : ''} · ${esc(count(phases.length || all.filter((s) => s.scope !== 'total').length))} phase(s)</p>
${thresholdBanner(data.thresholds, interrupted)}
</header>

<section id="summary"><h2>Summary</h2>
${all.length ? countsTable(all, (s) => (s.scope === 'total' ? '<b>total</b>' : esc(s.scope))) : '<p class="muted">summary.csv has no rows.</p>'}
<p class="muted">sent = attempts sent (dropped ones never left the client); ok % is over every record (sent + dropped); ok/s and tokens/s are per second of the phase.</p>
</section>
${thresholdsSection(data.thresholds, interrupted)}
${groupSection}
${charts}

<section id="latency"><h2>Latency percentiles (ok attempts)</h2>
<div class="grid">${percentiles.map((p) => `<div id="${esc(p.id)}" class="chart"></div>`).join('')}</div>
${latencyTable(all)}
</section>
${errorsSection(data.errors ?? [])}
${refereeSection(data.mockState, total, data.referee)}

<section id="scenario"><h2>Scenario as run</h2>
${sc === undefined ? '<p class="muted">No scenario.resolved.json in the run directory.</p>' : `<details><summary>scenario.resolved.json (secrets redacted)</summary><pre>${esc(JSON.stringify(sc, null, 2))}</pre></details>`}
</section>

<footer>
latency = end − start; response time = end − targeted start (includes client queueing and schedule lag: no coordinated omission); TTFT = first token − start; ITL = (end − first token) / (output tokens − 1) per request. Latency-type metrics cover ok attempts only. Generated by limitprobe; charts by uPlot (MIT licence).
</footer>`;
  return htmlPage(name, body, clientData, assets);
}
