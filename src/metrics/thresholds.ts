/**
 * k6-style thresholds: pass/fail criteria over a run's summaries, evaluated at the end (exit 99
 * when one fails) and, for those marked abort-on-fail, during the run.
 *
 * Grammar (whitespace is free between tokens; names are case-sensitive):
 *
 *   threshold := [ scope ':' ] aggregate '(' metric ')' op number [ abort ]
 *   scope     := selector { ',' selector }
 *   selector  := ( 'phase' | 'group' ) '=' name          name := [A-Za-z0-9_.-]+ | "double-quoted"
 *   aggregate := 'p' NUMBER | 'avg' | 'med' | 'min' | 'max' | 'count' | 'rate' | 'value'
 *   op        := '<' | '<=' | '>' | '>=' | '==' | '!='
 *   abort     := '!abort' [ '(' duration ')' ]                duration := NUMBER ( 'ms' | 's' | 'm' | 'h' )
 *
 * Examples: `p95(response_time_ms) < 2000`, `rate(rate_limited) < 0.05`, `count(server_error) == 0`,
 * `phase=steady: p99(ttft_ms) <= 800`, `group=greedy,phase="token flood": rate(ok) > 0.9`,
 * `rate(errors) < 0.01 !abort(10s)` (abort the run when it fails, not before 10 s have passed).
 *
 * Metrics and the aggregates they take:
 * - distributions (ms, ok attempts only except schedule lag): latency_ms, response_time_ms, ttft_ms,
 *   itl_ms, tpot_ms (= itl_ms: vLLM's TPOT is our ITL), schedule_lag_ms; and
 *   request_output_tokens_per_s (tokens/s of each ok request). Aggregates: pN (0 < N ≤ 100,
 *   e.g. p95, p99.9), avg, med (= p50), min, max, count (number of samples).
 * - outcomes: every outcome class (ok, rate_limited_requests, …, dropped) and the aggregates
 *   rate_limited (the three rate-limit classes), errors (everything not ok and not dropped) and
 *   attempts_all (every record). Aggregates: count = records with that outcome;
 *   rate = count / (sent attempts + dropped), i.e. over every record (attempts incl. dropped).
 * - values: ok_rps, attempt_rps, output_tokens_per_s, input_tokens_per_s, input_tokens,
 *   output_tokens, attempts, requests, cost_usd. Aggregate: value.
 *
 * Scope: default is the whole run and every group (summary row scope "total", group "*");
 * `phase=NAME` selects that phase's row, `group=NAME` that group's row.
 *
 * A metric without data (no ok attempt for a latency percentile; no attempts for a rate; no row
 * for the scope) has no observed value: at the end that threshold FAILS ("no data is not a
 * pass"); during the run it is skipped (not enough data yet).
 */
import { ConfigError, type Issue } from '../errors.js';
import { OUTCOMES, RATE_LIMITED, type Outcome } from './record.js';
import { ALL_GROUPS, TOTAL_SCOPE, type HistogramKey, type Summary, type SummaryHistogramStats, type SummaryOptions } from './summary.js';

export const HISTOGRAM_METRICS = {
  latency_ms: 'latency',
  response_time_ms: 'responseTime',
  ttft_ms: 'ttft',
  itl_ms: 'itl',
  tpot_ms: 'itl',
  schedule_lag_ms: 'scheduleLag',
  request_output_tokens_per_s: 'requestOutputTokensPerS',
} as const satisfies Record<string, keyof Summary>;
export type HistogramMetric = keyof typeof HISTOGRAM_METRICS;

export const OUTCOME_AGGREGATES = ['rate_limited', 'errors', 'attempts_all'] as const;
export type OutcomeMetric = Outcome | (typeof OUTCOME_AGGREGATES)[number];

export const VALUE_METRICS = {
  ok_rps: 'okRps',
  attempt_rps: 'attemptRps',
  output_tokens_per_s: 'outputTokensPerS',
  input_tokens_per_s: 'inputTokensPerS',
  input_tokens: 'inputTokens',
  output_tokens: 'outputTokens',
  attempts: 'attempts',
  requests: 'requests',
  cost_usd: 'costUsd',
} as const satisfies Record<string, keyof Summary>;
export type ValueMetric = keyof typeof VALUE_METRICS;

export type Aggregate =
  | { kind: 'percentile'; p: number }
  | { kind: 'avg' | 'med' | 'min' | 'max' | 'count' | 'rate' | 'value' };

export type Op = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface ThresholdScope {
  /** Phase name, or "total" (default). */
  phase: string;
  /** Group name, or "*" (default: every group). */
  group: string;
}

export interface Threshold {
  /** The expression as written (without surrounding whitespace). */
  expr: string;
  scope: ThresholdScope;
  aggregate: Aggregate;
  metric: HistogramMetric | OutcomeMetric | ValueMetric;
  metricKind: 'histogram' | 'outcome' | 'value';
  op: Op;
  target: number;
  abortOnFail: boolean;
  /** With abortOnFail: not evaluated for abort before this many ms since run start. */
  delayAbortEvalMs: number;
}

/** What a scenario (or `--threshold`) may give: a string, or the object form. */
export type ThresholdSpec =
  | string
  | { expr: string; abortOnFail?: boolean; delayAbortEvalMs?: number };

export interface ThresholdResult {
  expr: string;
  scope: ThresholdScope;
  metric: Threshold['metric'];
  aggregate: Aggregate;
  /** The value compared; undefined when there was no data (then ok is false). */
  observed?: number;
  ok: boolean;
  abortOnFail: boolean;
  /** Why there is no observed value, when there is none. */
  note?: string;
}

// ------------------------------------------------------------------------------------------------
// parsing

class ParseFailure {
  constructor(
    readonly pos: number,
    readonly expected: string,
    readonly found: string,
  ) {}
}

const OPS: readonly Op[] = ['<=', '>=', '==', '!=', '<', '>'];
const DIST_AGGS = 'pN (e.g. p95), avg, med, min, max or count';

class Parser {
  pos = 0;
  constructor(readonly src: string) {}

  ws(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos++;
  }
  peekFound(): string {
    if (this.pos >= this.src.length) return 'the end of the expression';
    const m = /^(\w+|\S)/.exec(this.src.slice(this.pos));
    return `"${m ? m[0] : this.src[this.pos]}"`;
  }
  fail(expected: string, at = this.pos): never {
    const save = this.pos;
    this.pos = at;
    const found = this.peekFound();
    this.pos = save;
    throw new ParseFailure(at, expected, found);
  }
  eat(s: string): boolean {
    this.ws();
    if (this.src.startsWith(s, this.pos)) {
      this.pos += s.length;
      return true;
    }
    return false;
  }
  expect(s: string, what = `"${s}"`): void {
    if (!this.eat(s)) this.fail(what);
  }
  ident(): string | undefined {
    this.ws();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos));
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }
  number(what = 'a number'): number {
    this.ws();
    const m = /^[-+]?(\d[\d_]*(\.\d+)?|\.\d+)([eE][-+]?\d+)?/.exec(this.src.slice(this.pos));
    if (!m) this.fail(what);
    this.pos += m[0].length;
    return Number(m[0].replace(/_/g, ''));
  }
  name(): string {
    this.ws();
    if (this.src[this.pos] === '"') {
      const end = this.src.indexOf('"', this.pos + 1);
      if (end < 0) this.fail('a closing double quote');
      const v = this.src.slice(this.pos + 1, end);
      if (!v) this.fail('a non-empty name');
      this.pos = end + 1;
      return v;
    }
    const m = /^[A-Za-z0-9_.\-]+/.exec(this.src.slice(this.pos));
    if (!m) this.fail('a name (letters, digits, _ . -) or a "quoted name"');
    this.pos += m[0].length;
    return m[0];
  }
  atEnd(): boolean {
    this.ws();
    return this.pos >= this.src.length;
  }
}

/** A scope prefix starts with a selector, or has a ':' before the first '('. */
function hasScope(src: string): boolean {
  if (/^\s*(phase|group)\s*=/.test(src)) return true;
  const colon = src.indexOf(':');
  const paren = src.indexOf('(');
  return colon >= 0 && (paren < 0 || colon < paren);
}

function parseScope(p: Parser): ThresholdScope {
  const scope: ThresholdScope = { phase: TOTAL_SCOPE, group: ALL_GROUPS };
  const seen = new Set<string>();
  do {
    const at = (p.ws(), p.pos);
    const key = p.ident();
    if (key !== 'phase' && key !== 'group') p.fail('"phase=" or "group=" before ":"', at);
    if (seen.has(key)) p.fail(`${key} given once`, at);
    seen.add(key);
    p.expect('=');
    scope[key] = p.name();
  } while (p.eat(','));
  p.expect(':', '"," or ":" after the scope');
  return scope;
}

function parseAggregate(p: Parser): Aggregate {
  const at = (p.ws(), p.pos);
  const pm = /^p(\d+(\.\d+)?)(?=\s*\()/.exec(p.src.slice(p.pos));
  if (pm) {
    const v = Number(pm[1]);
    if (!(v > 0 && v <= 100)) p.fail('a percentile between 0 (exclusive) and 100', at + 1);
    p.pos += pm[0].length;
    return { kind: 'percentile', p: v };
  }
  const id = p.ident();
  const simple = ['avg', 'med', 'min', 'max', 'count', 'rate', 'value'] as const;
  const k = simple.find((s) => s === id);
  if (!k) p.fail(`an aggregate: ${DIST_AGGS}, rate, or value`, at);
  return { kind: k };
}

function classifyMetric(name: string): Threshold['metricKind'] | undefined {
  if (name in HISTOGRAM_METRICS) return 'histogram';
  if ((OUTCOMES as readonly string[]).includes(name) || (OUTCOME_AGGREGATES as readonly string[]).includes(name)) return 'outcome';
  if (name in VALUE_METRICS) return 'value';
  return undefined;
}

const METRICS_FOR: Record<Threshold['metricKind'], string> = {
  histogram: Object.keys(HISTOGRAM_METRICS).join(', '),
  outcome: [...OUTCOMES, ...OUTCOME_AGGREGATES].join(', '),
  value: Object.keys(VALUE_METRICS).join(', '),
};

function kindsFor(a: Aggregate): Threshold['metricKind'][] {
  switch (a.kind) {
    case 'rate':
      return ['outcome'];
    case 'value':
      return ['value'];
    case 'count':
      return ['outcome', 'histogram'];
    default:
      return ['histogram'];
  }
}

const aggName = (a: Aggregate) => (a.kind === 'percentile' ? `p${a.p}` : a.kind);

/** ms from "500ms", "10s", "1.5m", "1h" (a bare number is ms). */
function parseDelay(p: Parser): number {
  const at = (p.ws(), p.pos);
  const m = /^(\d+(\.\d+)?)(ms|s|m|h)?/.exec(p.src.slice(p.pos));
  if (!m) p.fail('a delay such as 500ms, 10s or 1m', at);
  p.pos += m[0].length;
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[3] ?? 'ms']!;
  return Number(m[1]) * mult;
}

function parseOne(src: string): Threshold {
  const p: Parser = new Parser(src);
  const scope = hasScope(src) ? parseScope(p) : { phase: TOTAL_SCOPE, group: ALL_GROUPS };
  const aggregate = parseAggregate(p);
  p.expect('(', '"(" after the aggregate');
  const mAt = (p.ws(), p.pos);
  const metric = p.ident();
  const allowed = kindsFor(aggregate);
  const expectedMetrics = () => `a metric ${aggName(aggregate)}() applies to: ${allowed.map((k) => METRICS_FOR[k]).join(', ')}`;
  if (!metric) p.fail(expectedMetrics(), mAt);
  const kind = classifyMetric(metric);
  if (!kind || !allowed.includes(kind)) p.fail(expectedMetrics(), mAt);
  p.expect(')', '")" after the metric');
  p.ws();
  const op = OPS.find((o) => p.src.startsWith(o, p.pos));
  if (!op) p.fail('a comparison: <, <=, >, >=, == or !=');
  p.pos += op.length;
  const target = p.number();
  let abortOnFail = false;
  let delayAbortEvalMs = 0;
  if (p.eat('!abort')) {
    abortOnFail = true;
    if (p.eat('(')) {
      delayAbortEvalMs = parseDelay(p);
      p.expect(')', '")" after the delay');
    }
  }
  if (!p.atEnd()) p.fail(abortOnFail ? 'the end of the expression' : '"!abort" or the end of the expression');
  return {
    expr: src,
    scope,
    aggregate,
    metric: metric as Threshold['metric'],
    metricKind: kind,
    op,
    target,
    abortOnFail,
    delayAbortEvalMs,
  };
}

/**
 * Parses every threshold; all problems are reported at once in one ConfigError (code E_CONFIG),
 * each naming the expression, the 1-based column, what was expected and what was found.
 * `path` prefixes the issue paths (default "thresholds").
 */
export function parseThresholds(specs: readonly ThresholdSpec[], path = 'thresholds'): Threshold[] {
  const out: Threshold[] = [];
  const issues: Issue[] = [];
  specs.forEach((spec, i) => {
    const raw = typeof spec === 'string' ? spec : spec.expr;
    const expr = raw.trim();
    try {
      const t = parseOne(expr);
      if (typeof spec !== 'string') {
        if (spec.abortOnFail !== undefined) t.abortOnFail = spec.abortOnFail || t.abortOnFail;
        if (spec.delayAbortEvalMs !== undefined) {
          if (!(spec.delayAbortEvalMs >= 0) || !Number.isFinite(spec.delayAbortEvalMs)) {
            issues.push({ path: `${path}[${i}].delayAbortEvalMs`, expected: 'a non-negative number of ms', found: String(spec.delayAbortEvalMs) });
            return;
          }
          t.delayAbortEvalMs = spec.delayAbortEvalMs;
        }
      }
      out.push(t);
    } catch (e) {
      if (!(e instanceof ParseFailure)) throw e;
      issues.push({
        path: `${path}[${i}]${typeof spec === 'string' ? '' : '.expr'}`,
        expected: e.expected,
        found: e.found,
        message: `in "${expr}" at column ${e.pos + 1}`,
      });
    }
  });
  if (issues.length) throw new ConfigError(`invalid threshold expression${issues.length > 1 ? 's' : ''}`, issues);
  return out;
}

export function parseThreshold(spec: ThresholdSpec): Threshold {
  return parseThresholds([spec])[0]!;
}

/**
 * Percentiles the thresholds need beyond the standard p50/p90/p95/p99: pass them to
 * `MetricsCollector.summaries({ percentiles })` so the rows carry them.
 */
export function thresholdPercentiles(ths: readonly Threshold[]): number[] {
  const ps = new Set<number>();
  for (const t of ths) if (t.aggregate.kind === 'percentile') ps.add(t.aggregate.p);
  return [...ps].sort((a, b) => a - b);
}

/** Whether some threshold selects a group: then summaries must carry per-group rows even for one group. */
export function thresholdsNeedGroupRows(ths: readonly Threshold[]): boolean {
  return ths.some((t) => t.scope.group !== ALL_GROUPS);
}

// ------------------------------------------------------------------------------------------------
// evaluation

const RATE_LIMITED_SET = new Set<Outcome>(RATE_LIMITED);

function outcomeCount(s: Summary, m: OutcomeMetric): number {
  if (m === 'attempts_all') return s.attempts + s.counts.dropped;
  if (m === 'rate_limited') return RATE_LIMITED.reduce((n, o) => n + s.counts[o], 0);
  if (m === 'errors') return OUTCOMES.reduce((n, o) => (o === 'ok' || o === 'dropped' ? n : n + s.counts[o]), 0);
  return s.counts[m];
}

export function histogramValue(h: SummaryHistogramStats, a: Aggregate): number | undefined {
  if (!h.count) return a.kind === 'count' ? 0 : undefined;
  switch (a.kind) {
    case 'count':
      return h.count;
    case 'avg':
      return h.mean;
    case 'min':
      return h.min;
    case 'max':
      return h.max;
    case 'med':
      return h.p50 ?? h.percentiles?.['50'];
    case 'percentile': {
      const std = ({ 50: h.p50, 90: h.p90, 95: h.p95, 99: h.p99, 100: h.max } as Record<number, number | undefined>)[a.p];
      return std ?? h.percentiles?.[String(a.p)];
    }
    default:
      return undefined;
  }
}

/** The observed value of one threshold's metric in one summary row, or why there is none. */
export function observe(t: Threshold, s: Summary): { value?: number; note?: string } {
  if (t.metricKind === 'outcome') {
    const n = outcomeCount(s, t.metric as OutcomeMetric);
    if (t.aggregate.kind === 'count') return { value: n };
    const all = s.attempts + s.counts.dropped;
    return all ? { value: n / all } : { note: 'no attempts' };
  }
  if (t.metricKind === 'value') {
    const v = s[VALUE_METRICS[t.metric as ValueMetric]] as number | undefined;
    return v === undefined ? { note: `${t.metric} not available` } : { value: v };
  }
  const h = s[HISTOGRAM_METRICS[t.metric as HistogramMetric]] as SummaryHistogramStats | undefined;
  if (!h) return { note: `${t.metric} not available` };
  const v = histogramValue(h, t.aggregate);
  if (v !== undefined) return { value: v };
  if (!h.count) return { note: `no ${t.metric} samples` };
  return { note: `p${(t.aggregate as { p: number }).p} was not computed (pass thresholdPercentiles() to summaries())` };
}

export function compare(observed: number, op: Op, target: number): boolean {
  switch (op) {
    case '<':
      return observed < target;
    case '<=':
      return observed <= target;
    case '>':
      return observed > target;
    case '>=':
      return observed >= target;
    case '==':
      return observed === target;
    case '!=':
      return observed !== target;
  }
}

function findRow(summaries: readonly Summary[], scope: ThresholdScope): Summary | undefined {
  return summaries.find((s) => s.scope === scope.phase && s.group === scope.group);
}

function evaluateOne(t: Threshold, summaries: readonly Summary[]): ThresholdResult {
  const base = { expr: t.expr, scope: t.scope, metric: t.metric, aggregate: t.aggregate, abortOnFail: t.abortOnFail };
  const row = findRow(summaries, t.scope);
  if (!row) return { ...base, ok: false, note: `no summary row for phase=${t.scope.phase} group=${t.scope.group}` };
  const { value, note } = observe(t, row);
  if (value === undefined) return { ...base, ok: false, note };
  return { ...base, observed: value, ok: compare(value, t.op, t.target) };
}

/**
 * End-of-run evaluation, one result per threshold in order. A threshold without data fails.
 * The summaries should be computed with `percentiles: thresholdPercentiles(ths)` and, when
 * `thresholdsNeedGroupRows(ths)`, `groupRows: 'always'`.
 */
export function evaluateThresholds(ths: readonly Threshold[], summaries: readonly Summary[]): ThresholdResult[] {
  return ths.map((t) => evaluateOne(t, summaries));
}

/**
 * Abort-on-fail during the run. Ask `check(snapshot, elapsedMs)` periodically (e.g. once a
 * second) with a live summary snapshot; it returns the abort-on-fail thresholds that fail now
 * (empty: carry on). Skipped during the run: thresholds whose delay has not passed, those without
 * data yet, and value() metrics (they divide by the declared phase duration, so they are only
 * meaningful at the end). Pure apart from remembering the first failure.
 */
export class ThresholdMonitor {
  private readonly watched: Threshold[];
  /** The first failing results, once check() has found some. */
  failed?: ThresholdResult[];

  constructor(ths: readonly Threshold[]) {
    this.watched = ths.filter((t) => t.abortOnFail && t.metricKind !== 'value');
  }

  /** Whether any threshold can abort the run (if not, don't bother asking). */
  get active(): boolean {
    return this.watched.length > 0;
  }

  /**
   * Options for the cheap live snapshot `collector.summaries(monitor.snapshotOptions())`: only
   * the histograms and percentiles the watched thresholds use.
   */
  snapshotOptions(): SummaryOptions {
    const histograms = new Set<HistogramKey>();
    const percentiles = new Set<number>();
    for (const t of this.watched) {
      if (t.metricKind !== 'histogram') continue;
      histograms.add(HISTOGRAM_METRICS[t.metric as HistogramMetric]);
      if (t.aggregate.kind === 'percentile' && t.aggregate.p !== 100) percentiles.add(t.aggregate.p);
      if (t.aggregate.kind === 'med') percentiles.add(50);
    }
    return {
      only: { histograms: [...histograms] },
      percentiles: [...percentiles].sort((a, b) => a - b),
      groupRows: thresholdsNeedGroupRows(this.watched) ? 'always' : 'auto',
    };
  }

  check(snapshot: readonly Summary[], elapsedMs: number): ThresholdResult[] {
    const failing: ThresholdResult[] = [];
    for (const t of this.watched) {
      if (elapsedMs < t.delayAbortEvalMs) continue;
      const r = evaluateOne(t, snapshot);
      if (r.observed !== undefined && !r.ok) failing.push(r);
    }
    if (failing.length && !this.failed) this.failed = failing;
    return failing;
  }
}

/** "phase=steady,group=a: " or "" for the default scope. */
export function formatScope(scope: ThresholdScope): string {
  const parts: string[] = [];
  if (scope.phase !== TOTAL_SCOPE) parts.push(`phase=${scope.phase}`);
  if (scope.group !== ALL_GROUPS) parts.push(`group=${scope.group}`);
  return parts.length ? `${parts.join(',')}: ` : '';
}
