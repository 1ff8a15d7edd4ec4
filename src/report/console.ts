/**
 * End-of-run console summary: two aligned blocks (counts/throughput, then latency of ok
 * attempts) with one row per phase and total, an error breakdown line, and the metric
 * definitions, so a reader never has to guess what "latency" means. No colour unless asked.
 */
import { OUTCOMES, RATE_LIMITED, type Outcome } from '../metrics/record.js';
import { ALL_GROUPS, type Summary } from '../metrics/summary.js';
import type { ThresholdResult } from '../metrics/thresholds.js';

export interface ConsoleTableOptions {
  /** ANSI colours (bold headers, yellow 429s, red errors). Default false. */
  color?: boolean;
  /** Also show per-group rows (indented under their phase). Default false. */
  groups?: boolean;
}

const OTHER_ERRORS: readonly Outcome[] = OUTCOMES.filter((o) => o !== 'ok' && o !== 'dropped' && !RATE_LIMITED.includes(o));
const otherErrors = (s: Summary) => OTHER_ERRORS.reduce((n, o) => n + s.counts[o], 0);

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 10) return `${ms.toFixed(2)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${((ms - m * 60_000) / 1000).toFixed(1).padStart(4, '0')}s`;
}

export function formatRate(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  if (v < 100) return v.toFixed(2);
  if (v < 10_000) return v.toFixed(1);
  return Math.round(v).toLocaleString('en-US');
}

const count = (n: number) => n.toLocaleString('en-US');
const money = (c: number | undefined) => (c === undefined ? '-' : `$${c.toFixed(c < 1 ? 4 : 2)}`);

type Paint = (s: string) => string;
interface Styles {
  bold: Paint;
  dim: Paint;
  warn: Paint;
  bad: Paint;
}
const ansi = (code: number): Paint => (s) => `\x1b[${code}m${s}\x1b[0m`;
const plain: Paint = (s) => s;

// eslint-disable-next-line no-control-regex
const visibleLength = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;

/** Left-align the first column, right-align the rest; two spaces between columns. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => visibleLength(r[i]))));
  return rows.map((r) =>
    r
      .map((cell, i) => {
        const pad = ' '.repeat(widths[i] - visibleLength(cell));
        return i === 0 ? cell + pad : pad + cell;
      })
      .join('  ')
      .trimEnd(),
  );
}

export function formatSummaryTable(summaries: readonly Summary[], opts: ConsoleTableOptions = {}): string {
  const st: Styles = opts.color
    ? { bold: ansi(1), dim: ansi(2), warn: ansi(33), bad: ansi(31) }
    : { bold: plain, dim: plain, warn: plain, bad: plain };
  const rows = summaries.filter((s) => s.group === ALL_GROUPS || opts.groups);
  if (!rows.length) return 'no results\n';
  const label = (s: Summary) => (s.group === ALL_GROUPS ? s.scope : `  ${s.scope}/${s.group}`);
  const nz = (n: number, paint: Paint) => (n ? paint(count(n)) : count(n));
  const showCost = rows.some((s) => s.costUsd !== undefined);
  const showTtft = rows.some((s) => s.ttft.count > 0);

  const countHead = ['', 'sent', 'ok', '429 req', '429 tok', '429 other', 'errors', 'dropped', 'ok/s', 'out tok/s', ...(showCost ? ['cost'] : [])];
  const countRows = rows.map((s) => [
    label(s),
    count(s.attempts),
    count(s.counts.ok),
    nz(s.counts.rate_limited_requests, st.warn),
    nz(s.counts.rate_limited_tokens, st.warn),
    nz(s.counts.rate_limited_other, st.warn),
    nz(otherErrors(s), st.bad),
    nz(s.counts.dropped, st.warn),
    formatRate(s.okRps),
    formatRate(s.outputTokensPerS),
    ...(showCost ? [money(s.costUsd)] : []),
  ]);

  const latHead = ['', 'lat p50', 'lat p95', 'lat p99', 'rt p50', 'rt p95', 'rt p99', ...(showTtft ? ['ttft p95'] : [])];
  const latRows = rows.map((s) => [
    label(s),
    formatDuration(s.latency.p50),
    formatDuration(s.latency.p95),
    formatDuration(s.latency.p99),
    formatDuration(s.responseTime.p50),
    formatDuration(s.responseTime.p95),
    formatDuration(s.responseTime.p99),
    ...(showTtft ? [formatDuration(s.ttft.p95)] : []),
  ]);

  const bold = (lines: string[]) => [st.bold(lines[0]), ...lines.slice(1)];
  const out: string[] = [];
  const flags = [rows[0].simulated ? 'virtual time' : '', rows[0].interrupted ? 'interrupted' : ''].filter(Boolean);
  out.push(st.bold(`Summary${flags.length ? ` (${flags.join(', ')})` : ''}`));
  out.push(...bold(table([countHead, ...countRows])));
  out.push('');
  out.push(...bold(table([latHead, ...latRows])));

  const total = summaries.find((s) => s.scope === 'total' && s.group === ALL_GROUPS);
  if (total && otherErrors(total)) {
    const parts = OTHER_ERRORS.filter((o) => total.counts[o]).map((o) => `${o} ${count(total.counts[o])}`);
    out.push('', st.bad(`errors: ${parts.join(', ')}`));
  }
  out.push(
    '',
    st.dim('lat = end − start, rt = end − targeted start (includes client queueing), ttft = first token − start;'),
    st.dim('latency columns cover ok attempts only; sent excludes dropped; ok/s and tok/s are per second of phase.'),
  );
  return `${out.join('\n')}\n`;
}

/** The observed value in the metric's unit: durations for *_ms, 4 decimals for rates, integers for counts. */
export function formatObserved(r: ThresholdResult): string {
  const v = r.observed;
  if (v === undefined) return `no data${r.note ? ` (${r.note})` : ''}`;
  if (r.aggregate.kind === 'count') return count(v);
  if (r.aggregate.kind === 'rate') return `${v.toFixed(4)} (${(v * 100).toFixed(2)}%)`;
  if (r.metric.endsWith('_ms')) return formatDuration(v);
  return formatRate(v);
}

/**
 * Threshold verdicts, one line each ("ok" / "FAIL", the expression, what was observed), then a
 * one-line verdict. `abortedBy` marks the thresholds that stopped the run early.
 */
export function formatThresholdResults(results: readonly ThresholdResult[], opts: { color?: boolean; abortedBy?: readonly string[] } = {}): string {
  if (!results.length) return '';
  const good: Paint = opts.color ? ansi(32) : plain;
  const bad: Paint = opts.color ? ansi(31) : plain;
  const bold: Paint = opts.color ? ansi(1) : plain;
  const aborted = new Set(opts.abortedBy ?? []);
  const rows = results.map((r) => [
    r.ok ? good('ok') : bad('FAIL'),
    r.expr,
    formatObserved(r) + (aborted.has(r.expr) ? '  (aborted the run)' : ''),
  ]);
  const w0 = Math.max(...rows.map((r) => visibleLength(r[0])));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const lines = rows.map((r) => `  ${r[0]}${' '.repeat(w0 - visibleLength(r[0]))}  ${r[1].padEnd(w1)}  ${r[2]}`.trimEnd());
  const failed = results.filter((r) => !r.ok).length;
  const verdict = failed ? bad(`${failed} of ${results.length} threshold${results.length > 1 ? 's' : ''} failed`) : good(`all ${results.length} threshold${results.length > 1 ? 's' : ''} passed`);
  return `${bold('Thresholds')}\n${lines.join('\n')}\n${verdict}\n`;
}
