/**
 * Run-to-run comparison: two runs' summary.csv, metric by metric, for the total and every phase
 * (group "*" rows), each checked against a tolerance that knows which direction is worse.
 *
 * Metrics (names follow the threshold grammar of metrics/thresholds.ts):
 * - rate(OUTCOME) for every outcome class: count / every record (sent attempts + dropped), a
 *   fraction 0…1. Higher is better for rate(ok), worse for every other class.
 * - value(ok_rps), value(input_tokens_per_s), value(output_tokens_per_s): higher is better.
 * - p50/p95/p99 of latency_ms, response_time_ms, ttft_ms, itl_ms (ok attempts): lower is better.
 *
 * Tolerance rules: `[SCOPE:]METRIC=CHANGE`, METRIC may use `*` (e.g. `p95(*)`, `rate(*)`),
 * SCOPE is a phase name, `total`, or a `*` glob (default: every scope). CHANGE is `off`, or one
 * or more parts joined by `,` whose largest allowance wins:
 *   N%   relative to the baseline        Nms  absolute, latency metrics only
 *   Npp  percentage points, rates only   Nreq N records' worth of a rate (N / records), rates only
 *   N    absolute, in the metric's unit (fraction for rates, ms, per second)
 * with an optional sign for the direction that counts as a regression: `+` (an increase), `-`
 * (a decrease), `±` (either); without a sign, the metric's worse direction. A change beyond the
 * allowance in the better direction is reported as `improved` and does not fail. A percentile
 * with fewer samples than MIN_SAMPLES (in either run) is `insufficient`: shown, not judged.
 * Later rules win over earlier ones; the defaults come first, so any user rule overrides them.
 */
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { OUTCOMES } from '../metrics/record.js';
import type { Summary } from '../metrics/summary.js';
import { fixed, type Column } from './columns.js';
import { formatDuration, formatRate } from './console.js';
import { openCsv } from './csv.js';
import { readRunSummaries, RUN_FILES, assertRunDir } from './read-run.js';

export type MetricKind = 'rate' | 'value' | 'latency';

export interface CompareMetric {
  name: string;
  kind: MetricKind;
  /** Which direction is better. */
  better: 'higher' | 'lower';
  get(s: Summary): number | undefined;
  /** Percentiles: samples behind the value, and how many it takes to mean anything. */
  samples?(s: Summary): number;
  minSamples?: number;
}

/**
 * A percentile is judged only when at least 10 samples lie beyond it (n ≥ 10 / (1 − p/100)):
 * with fewer, it is one or two requests (p99 of 300 samples is the third slowest), and a single
 * slow request — a cold start, a GC pause on a shared runner — moves it by any amount. Such
 * rows get the verdict `insufficient`: shown, not judged.
 */
export const MIN_SAMPLES = { p50: 20, p95: 200, p99: 1000 } as const;

const records = (s: Summary) => s.attempts + s.counts.dropped;

type DistField = 'latency' | 'responseTime' | 'ttft' | 'itl';
const DISTS: [column: string, field: DistField][] = [
  ['latency_ms', 'latency'],
  ['response_time_ms', 'responseTime'],
  ['ttft_ms', 'ttft'],
  ['itl_ms', 'itl'],
];

export const COMPARE_METRICS: readonly CompareMetric[] = [
  ...OUTCOMES.map(
    (o): CompareMetric => ({
      name: `rate(${o})`,
      kind: 'rate',
      better: o === 'ok' ? 'higher' : 'lower',
      get: (s) => (records(s) > 0 ? s.counts[o] / records(s) : undefined),
    }),
  ),
  { name: 'value(ok_rps)', kind: 'value', better: 'higher', get: (s) => s.okRps },
  { name: 'value(input_tokens_per_s)', kind: 'value', better: 'higher', get: (s) => s.inputTokensPerS },
  { name: 'value(output_tokens_per_s)', kind: 'value', better: 'higher', get: (s) => s.outputTokensPerS },
  ...(['p50', 'p95', 'p99'] as const).flatMap((p) =>
    DISTS.map(
      ([column, field]): CompareMetric => ({
        name: `${p}(${column})`,
        kind: 'latency',
        better: 'lower',
        get: (s) => s[field][p],
        samples: (s) => s[field].count,
        minSamples: MIN_SAMPLES[p],
      }),
    ),
  ),
];

/**
 * Defaults, chosen for run-to-run noise against the deterministic mock (two live runs of one
 * scenario differ by event-loop jitter and, near a bucket's edge, by a request or two changing
 * outcome) while still catching real regressions. docs/ci.md states them.
 */
export const DEFAULT_TOLERANCES: readonly string[] = [
  'rate(*)=1pp,2req',
  'value(*)=-5%',
  'p50(*)=+10%,25ms',
  'p95(*)=+15%,50ms',
  'p99(*)=+25%,100ms',
];

export interface ToleranceRule {
  /** The rule as written (or the default's text). */
  source: string;
  scope: string;
  metric: string;
  off: boolean;
  /** undefined = the metric's worse direction. */
  direction?: 'up' | 'down' | 'both';
  relative?: number;
  absolute?: number;
  /** Rates: this many records' worth (allowance = n / records of the current run). */
  records?: number;
  /** CHANGE as written, shown in tables. */
  change: string;
}

const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

function bad(flag: string, rule: string, expected: string, found: string): never {
  throw new ConfigError(`${flag} '${rule}': expected ${expected}, found ${found}`);
}

/**
 * Parse one rule. Errors are ConfigError (exit 2) naming the flag, what was expected and what
 * was found.
 */
export function parseTolerance(text: string, flag = '--tolerance'): ToleranceRule {
  const eq = text.lastIndexOf('=');
  if (eq < 0) bad(flag, text, "METRIC=CHANGE, e.g. 'p95(response_time_ms)=+10%'", 'no "="');
  let lhs = text.slice(0, eq).trim();
  const change = text.slice(eq + 1).trim();
  let scope = '*';
  const colon = lhs.lastIndexOf(':');
  if (colon >= 0) {
    // metric names have no ':'; phase names may
    scope = lhs.slice(0, colon).trim() || '*';
    lhs = lhs.slice(colon + 1).trim();
  }
  // bare value names are accepted: ok_rps → value(ok_rps)
  const metric = /^[a-z_]+$/.test(lhs) && lhs !== '*' ? `value(${lhs})` : lhs;
  const re = glob(metric);
  const matched = COMPARE_METRICS.filter((m) => re.test(m.name));
  if (!matched.length) {
    bad(flag, text, 'a metric such as rate(ok), rate(rate_limited_tokens), value(ok_rps), p95(response_time_ms) (globs with *)', `"${lhs}", which names no metric`);
  }
  const rule: ToleranceRule = { source: text, scope, metric, off: false, change };
  if (/^(off|ignore)$/i.test(change)) return { ...rule, off: true };
  if (!change) bad(flag, text, "a change such as +10%, -2pp, ±5ms or 'off'", 'nothing after "="');

  let sign: string | undefined;
  for (const raw of change.split(',')) {
    const part = raw.trim();
    const m = /^([+\-±]|\+-)?\s*(\d+(?:\.\d+)?|\.\d+)\s*(%|pp|ms|req)?$/.exec(part);
    if (!m) bad(flag, text, 'parts like +10%, 5ms, 1pp, 2req or a plain number, joined by ","', `"${part}"`);
    const s = m[1] === '+-' ? '±' : m[1];
    if (s !== undefined) {
      if (sign !== undefined && s !== sign) bad(flag, text, 'one direction for every part', `"${sign}" and "${s}"`);
      sign = s;
    }
    const v = Number(m[2]);
    const unit = m[3];
    const kinds = new Set(matched.map((x) => x.kind));
    const only = (k: MetricKind, u: string) => {
      if (kinds.size !== 1 || !kinds.has(k)) bad(flag, text, `${u} only for ${k === 'rate' ? 'rate(...)' : 'latency percentile'} metrics`, `${u} on ${lhs}`);
    };
    if (unit === '%') rule.relative = Math.max(rule.relative ?? 0, v / 100);
    else if (unit === 'pp') {
      only('rate', 'pp');
      rule.absolute = Math.max(rule.absolute ?? 0, v / 100);
    } else if (unit === 'ms') {
      only('latency', 'ms');
      rule.absolute = Math.max(rule.absolute ?? 0, v);
    } else if (unit === 'req') {
      only('rate', 'req');
      rule.records = Math.max(rule.records ?? 0, v);
    } else rule.absolute = Math.max(rule.absolute ?? 0, v);
  }
  rule.direction = sign === '+' ? 'up' : sign === '-' ? 'down' : sign === '±' ? 'both' : undefined;
  return rule;
}

export type Verdict = 'pass' | 'regression' | 'improved' | 'missing' | 'new' | 'ignored' | 'insufficient';

export interface CompareResult {
  scope: string;
  metric: string;
  kind: MetricKind;
  baseline?: number;
  current?: number;
  delta?: number;
  /** delta / baseline × 100 (undefined when the baseline is 0 or absent). */
  deltaPct?: number;
  /** The rule's CHANGE text, e.g. "+10%,5ms". */
  tolerance: string;
  /** The allowance in the metric's unit, when one applied. */
  allowed?: number;
  verdict: Verdict;
}

const EPS = 1e-9;

function judge(
  m: CompareMetric,
  b: number | undefined,
  c: number | undefined,
  rule: ToleranceRule,
  currentRecords: number,
  samples: number,
): Pick<CompareResult, 'delta' | 'deltaPct' | 'allowed' | 'verdict'> {
  if (b === undefined && c === undefined) return { verdict: 'pass' };
  if (b === undefined) return { verdict: 'new' };
  if (c === undefined) return { verdict: rule.off ? 'ignored' : 'missing' };
  const delta = c - b;
  const deltaPct = b !== 0 ? (delta / Math.abs(b)) * 100 : undefined;
  if (rule.off) return { delta, deltaPct, verdict: 'ignored' };
  if (m.minSamples !== undefined && samples < m.minSamples) return { delta, deltaPct, verdict: 'insufficient' };
  const allowed = Math.max(
    (rule.relative ?? 0) * Math.abs(b),
    rule.absolute ?? 0,
    rule.records && currentRecords > 0 ? rule.records / currentRecords : 0,
  );
  const worseUp = m.better === 'lower';
  const dir = rule.direction ?? (worseUp ? 'up' : 'down');
  const up = delta > allowed + EPS;
  const down = -delta > allowed + EPS;
  const regression = (dir === 'up' && up) || (dir === 'down' && down) || (dir === 'both' && (up || down));
  const improved = !regression && ((worseUp && down) || (!worseUp && up));
  return { delta, deltaPct, allowed, verdict: regression ? 'regression' : improved ? 'improved' : 'pass' };
}

/** Rules in force: defaults first, then the user's (later wins). */
export function toleranceRules(user: readonly string[] = [], flag = '--tolerance'): ToleranceRule[] {
  return [...DEFAULT_TOLERANCES.map((t) => parseTolerance(t, 'default tolerance')), ...user.map((t) => parseTolerance(t, flag))];
}

function ruleFor(rules: readonly ToleranceRule[], scope: string, metric: string): ToleranceRule {
  for (let i = rules.length - 1; i >= 0; i--) {
    const r = rules[i]!;
    if (glob(r.metric).test(metric) && glob(r.scope).test(scope)) return r;
  }
  return { source: '', scope: '*', metric, off: false, change: '0', absolute: 0 };
}

/** Compare the all-groups rows of two runs: every scope of either run, baseline order first. */
export function compareSummaries(baseline: readonly Summary[], current: readonly Summary[], rules: readonly ToleranceRule[] = toleranceRules()): CompareResult[] {
  const rows = (xs: readonly Summary[]) => new Map(xs.filter((s) => s.group === '*').map((s) => [s.scope, s]));
  const b = rows(baseline);
  const c = rows(current);
  // phases in order, "total" last
  const scopes = [...new Set([...b.keys(), ...c.keys()])].sort((x, y) => Number(x === 'total') - Number(y === 'total'));
  const out: CompareResult[] = [];
  for (const scope of scopes) {
    const bs = b.get(scope);
    const cs = c.get(scope);
    for (const m of COMPARE_METRICS) {
      const rule = ruleFor(rules, scope, m.name);
      const bv = bs ? m.get(bs) : undefined;
      const cv = cs ? m.get(cs) : undefined;
      const samples = bs && cs && m.samples ? Math.min(m.samples(bs), m.samples(cs)) : 0;
      let j = judge(m, bv, cv, rule, cs ? records(cs) : 0, samples);
      // a scope the current run lacks entirely is missing, even where the baseline had no value
      if (bs && !cs && j.verdict === 'pass') j = { verdict: 'missing' };
      if (bv === undefined && cv === undefined && bs && cs) continue; // nothing to compare
      out.push({ scope, metric: m.name, kind: m.kind, baseline: bv, current: cv, tolerance: rule.off ? 'off' : rule.change, ...j });
    }
  }
  return out;
}

export const isFailure = (r: CompareResult) => r.verdict === 'regression' || r.verdict === 'missing';

// ---------------------------------------------------------------------------------------------
// output

const valueCell = (kind: MetricKind, v: number | undefined) => fixed(v, kind === 'rate' ? 6 : 3);

export const COMPARE_COLUMNS: readonly Column<CompareResult>[] = [
  { name: 'scope', cell: (r) => r.scope },
  { name: 'metric', cell: (r) => r.metric },
  { name: 'baseline', cell: (r) => valueCell(r.kind, r.baseline) },
  { name: 'current', cell: (r) => valueCell(r.kind, r.current) },
  { name: 'delta', cell: (r) => valueCell(r.kind, r.delta) },
  { name: 'delta_pct', cell: (r) => fixed(r.deltaPct, 2) },
  { name: 'tolerance', cell: (r) => r.tolerance },
  { name: 'verdict', cell: (r) => r.verdict },
];

export async function writeCompareCsv(path: string, results: readonly CompareResult[]): Promise<void> {
  const w = openCsv(path, COMPARE_COLUMNS);
  for (const r of results) w.write(r);
  await w.close();
}

function show(kind: MetricKind, v: number | undefined): string {
  if (v === undefined) return '-';
  if (kind === 'rate') return `${(v * 100).toFixed(2)}%`;
  if (kind === 'latency') return formatDuration(v);
  return formatRate(v);
}

function showDelta(r: CompareResult): string {
  if (r.delta === undefined) return '-';
  const sign = r.delta > 0 ? '+' : r.delta < 0 ? '−' : '±';
  const abs = Math.abs(r.delta);
  const d = r.kind === 'rate' ? `${(abs * 100).toFixed(2)}pp` : r.kind === 'latency' ? formatDuration(abs) : formatRate(abs);
  return r.deltaPct === undefined || r.kind === 'rate' ? `${sign}${d}` : `${sign}${d} (${sign}${Math.abs(r.deltaPct).toFixed(1)}%)`;
}

/** A result worth a line: it failed, improved, is new, or has a non-zero value on either side. */
export const isInteresting = (r: CompareResult) => r.verdict !== 'pass' || !!r.baseline || !!r.current;

export function formatCompareTable(results: readonly CompareResult[], opts: { all?: boolean; failuresOnly?: boolean } = {}): string {
  const rows = results.filter((r) => (opts.failuresOnly ? isFailure(r) : opts.all || isInteresting(r)));
  const VERDICT: Record<Verdict, string> = {
    pass: 'ok',
    regression: 'REGRESSION',
    improved: 'improved',
    missing: 'MISSING',
    new: 'new',
    ignored: 'ignored',
    insufficient: `too few samples`,
  };
  const cells = [
    ['scope', 'metric', 'baseline', 'current', 'change', 'tolerance', 'verdict'],
    ...rows.map((r) => [r.scope, r.metric, show(r.kind, r.baseline), show(r.kind, r.current), showDelta(r), r.tolerance, VERDICT[r.verdict]]),
  ];
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  const lines = cells.map((c) => c.map((v, i) => (i >= 2 && i <= 4 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd());
  const failed = results.filter(isFailure).length;
  const improved = results.filter((r) => r.verdict === 'improved').length;
  const hidden = results.length - rows.length;
  lines.push(
    '',
    `${failed ? `${failed} regression(s)` : 'no regression'}; ${improved} improved; ${results.length} metric(s) compared${hidden && !opts.failuresOnly ? ` (${hidden} zero in both runs not shown; --all shows them)` : ''}.`,
  );
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// directories

export interface CompareRunsOptions {
  tolerances?: readonly string[];
  /** Write CURRENT_DIR/compare.csv (default true). */
  writeCsv?: boolean;
}

export interface CompareReport {
  results: CompareResult[];
  regressions: CompareResult[];
  csvPath?: string;
}

/** Read both runs' summary.csv, compare, and write CURRENT_DIR/compare.csv. */
export async function compareRuns(baselineDir: string, currentDir: string, opts: CompareRunsOptions = {}): Promise<CompareReport> {
  const rules = toleranceRules(opts.tolerances ?? []); // bad rules fail before any file is read
  assertRunDir(baselineDir, 'baseline run directory');
  assertRunDir(currentDir, 'current run directory');
  const [baseline, current] = await Promise.all([readRunSummaries(baselineDir), readRunSummaries(currentDir)]);
  const results = compareSummaries(baseline, current, rules);
  let csvPath: string | undefined;
  if (opts.writeCsv ?? true) {
    csvPath = join(currentDir, RUN_FILES.compare);
    await writeCompareCsv(csvPath, results);
  }
  return { results, regressions: results.filter(isFailure), csvPath };
}
