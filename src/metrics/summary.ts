/**
 * End-of-run aggregation. `MetricsCollector` is a Recorder: every finished attempt lands in
 * exactly one cell (phase × group); the "all groups" and "total" rows are built at the end by
 * merging cells (HDR histograms add losslessly), so each value is recorded once.
 *
 * Definitions (ARCHITECTURE.md "Metric definitions"):
 * - latency = end − start; response time = end − targetedStart (includes client queueing and
 *   schedule lag: no coordinated omission); TTFT = firstToken − start (streaming only);
 *   ITL = (end − firstToken)/(completionTokens − 1) per request, when completionTokens ≥ 2;
 *   schedule lag = start − targetedStart.
 * - latency, response time, TTFT and ITL describe *ok* attempts only: a 429 answered in 40 ms
 *   would otherwise make an overloaded target look faster. Schedule lag covers every sent
 *   attempt (it measures the client, not the target).
 * - attempts = sent attempts (dropped ones were never sent); requests = distinct requests,
 *   counted as records with attempt 1 (every request has exactly one, dropped included), so
 *   no per-request set is kept.
 * - tokens in = prompt tokens of ok attempts from server usage, else our estimate; tokens out =
 *   completion tokens of ok attempts (usage). The estimate's own sum is kept beside it.
 * - request output tokens/s = completionTokens / (end − start), one value per ok attempt with
 *   ≥ 1 completion token and end > start (a per-request rate, unlike the run-level tokens/s).
 *   E2E latency (vLLM `e2el`, GuideLLM "request latency") is our latency; vLLM's TPOT is our ITL.
 */
import type { Recorder } from '../exec/ports.js';
import { Histogram, type HistogramStats } from './histogram.js';
import { OUTCOMES, type AttemptRecord, type Outcome } from './record.js';

export const TOTAL_SCOPE = 'total';
/** Group value of rows that aggregate every group. */
export const ALL_GROUPS = '*';

export interface Pricing {
  inputPerMillionUsd: number;
  outputPerMillionUsd: number;
}

/** HistogramStats plus the exact minimum and any extra percentiles asked for (key: String(p)). */
export interface SummaryHistogramStats extends HistogramStats {
  min?: number;
  percentiles?: Record<string, number | undefined>;
}

export interface Summary {
  /** Phase name, or "total". */
  scope: string;
  /** Group name, or "*" for all groups. */
  group: string;
  durationS?: number;
  attempts: number;
  requests: number;
  counts: Record<Outcome, number>;
  okRps?: number;
  attemptRps?: number;
  inputTokens: number;
  outputTokens: number;
  /** Σ of our tokenizer's prompt estimate over the same ok attempts (compare with inputTokens). */
  inputTokensEstimate: number;
  /** ok attempts without server usage (their input tokens are the estimate). */
  usageMissing: number;
  inputTokensPerS?: number;
  outputTokensPerS?: number;
  costUsd?: number;
  latency: SummaryHistogramStats;
  responseTime: SummaryHistogramStats;
  ttft: SummaryHistogramStats;
  itl: SummaryHistogramStats;
  scheduleLag: SummaryHistogramStats;
  /** completionTokens / (end − start) per ok attempt, in tokens/s (not ms). */
  requestOutputTokensPerS: SummaryHistogramStats;
  interrupted: boolean;
  simulated: boolean;
}

export interface SummaryOptions {
  pricing?: Pricing;
  interrupted?: boolean;
  simulated?: boolean;
  /** Extra percentiles (0 < p ≤ 100) to compute for every histogram, e.g. for thresholds. */
  percentiles?: readonly number[];
  /**
   * Per-group rows: 'auto' (default) only when the run has more than one group; 'always' also
   * for a single group (thresholds scoped to a group need its row).
   */
  groupRows?: 'auto' | 'always';
  /**
   * A cheap partial snapshot (for abort-on-fail checks during the run): only these histograms
   * are merged, each with count, min, max, mean and just the listed `percentiles` (the standard
   * p50…p99 fields are left out); the other histograms are left empty (count 0). HDR merges and
   * percentile look-ups cost milliseconds each, so a full summaries() call is for the end.
   */
  only?: { histograms: readonly HistogramKey[] };
}

export const HISTOGRAM_KEYS = ['latency', 'responseTime', 'ttft', 'itl', 'scheduleLag', 'requestOutputTokensPerS'] as const;
export type HistogramKey = (typeof HISTOGRAM_KEYS)[number];

/** A Histogram that also keeps the exact minimum. */
class MinHistogram extends Histogram {
  private minMs = Infinity;
  override record(ms: number): void {
    super.record(ms);
    if (ms < this.minMs) this.minMs = ms;
  }
  override add(other: Histogram): void {
    super.add(other);
    if (other instanceof MinHistogram && other.minMs < this.minMs) this.minMs = other.minMs;
  }
  get min(): number | undefined {
    return this.count && Number.isFinite(this.minMs) ? this.minMs : undefined;
  }
  /** Shard state: the encoded HDR (exact count/sum/max) and the exact min beside it. */
  exportState(): EncodedHistogram {
    return { hdr: this.encode(), min: this.min ?? null };
  }
  /** Add a shard's exported histogram (lossless with the one configuration every Histogram uses). */
  importState(s: EncodedHistogram): void {
    this.add(Histogram.decode(s.hdr));
    if (s.min !== null && s.min < this.minMs) this.minMs = s.min;
  }
  summarize(percentiles: readonly number[] = [], lite = false): SummaryHistogramStats {
    const st: SummaryHistogramStats = lite
      ? { count: this.count, max: this.max, mean: this.mean, min: this.min }
      : { ...this.stats(), min: this.min };
    if (percentiles.length) st.percentiles = Object.fromEntries(percentiles.map((p) => [String(p), this.percentile(p)]));
    return st;
  }
}

function zeroCounts(): Record<Outcome, number> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
}

/** Everything kept for one (scope, group) cell; mergeable. */
class Cell {
  counts = zeroCounts();
  attempts = 0;
  requests = 0;
  inputTokens = 0;
  outputTokens = 0;
  inputTokensEstimate = 0;
  usageMissing = 0;
  latency = new MinHistogram();
  responseTime = new MinHistogram();
  ttft = new MinHistogram();
  itl = new MinHistogram();
  scheduleLag = new MinHistogram();
  requestOutputTokensPerS = new MinHistogram();

  add(r: AttemptRecord): void {
    this.counts[r.outcome]++;
    if (r.attempt === 1) this.requests++;
    if (r.startMs === undefined) return; // dropped: never sent
    this.attempts++;
    this.scheduleLag.record(r.startMs - r.targetedStartMs);
    if (r.outcome !== 'ok') return;
    this.latency.record(r.endMs - r.startMs);
    this.responseTime.record(r.endMs - r.targetedStartMs);
    if (r.firstTokenMs !== undefined) {
      this.ttft.record(r.firstTokenMs - r.startMs);
      if (r.completionTokens !== undefined && r.completionTokens >= 2) {
        this.itl.record((r.endMs - r.firstTokenMs) / (r.completionTokens - 1));
      }
    }
    if (r.promptTokens === undefined) this.usageMissing++;
    this.inputTokens += r.promptTokens ?? r.promptTokensEstimate;
    this.inputTokensEstimate += r.promptTokensEstimate;
    this.outputTokens += r.completionTokens ?? 0;
    if (r.completionTokens !== undefined && r.completionTokens >= 1 && r.endMs > r.startMs) {
      this.requestOutputTokensPerS.record((r.completionTokens * 1000) / (r.endMs - r.startMs));
    }
  }

  exportState(phase: string, group: string): CellState {
    const { counts, attempts, requests, inputTokens, outputTokens, inputTokensEstimate, usageMissing } = this;
    const histograms = Object.fromEntries(HISTOGRAM_KEYS.map((k) => [k, this[k].exportState()])) as Record<HistogramKey, EncodedHistogram>;
    return { phase, group, counts: { ...counts }, attempts, requests, inputTokens, outputTokens, inputTokensEstimate, usageMissing, histograms };
  }

  importState(s: CellState): void {
    for (const k of OUTCOMES) this.counts[k] += s.counts[k] ?? 0;
    this.attempts += s.attempts;
    this.requests += s.requests;
    this.inputTokens += s.inputTokens;
    this.outputTokens += s.outputTokens;
    this.inputTokensEstimate += s.inputTokensEstimate;
    this.usageMissing += s.usageMissing;
    for (const k of HISTOGRAM_KEYS) if (s.histograms[k]) this[k].importState(s.histograms[k]);
  }

  merge(o: Cell, hists: readonly HistogramKey[] = HISTOGRAM_KEYS): this {
    for (const k of OUTCOMES) this.counts[k] += o.counts[k];
    this.attempts += o.attempts;
    this.requests += o.requests;
    this.inputTokens += o.inputTokens;
    this.outputTokens += o.outputTokens;
    this.inputTokensEstimate += o.inputTokensEstimate;
    this.usageMissing += o.usageMissing;
    for (const k of hists) this[k].add(o[k]);
    return this;
  }
}

const perSecond = (n: number, s: number | undefined) => (s ? n / s : undefined);

/** A MinHistogram as shard state: Histogram.encode() (HDR + exact count/sum/max) and the exact min. */
export interface EncodedHistogram {
  hdr: string;
  min: number | null;
}

/** One (phase, group) cell as shard state: counters and encoded histograms. */
export interface CellState {
  phase: string;
  group: string;
  counts: Record<Outcome, number>;
  attempts: number;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  inputTokensEstimate: number;
  usageMissing: number;
  histograms: Record<HistogramKey, EncodedHistogram>;
}

/** Everything a MetricsCollector holds, serialisable; states of shards add up losslessly (importState). */
export interface CollectorState {
  phases: { name: string; startMs: number; durationMs: number }[];
  totalDurationMs?: number;
  pricing?: Pricing;
  cells: CellState[];
}

export class MetricsCollector implements Recorder {
  /** phase → group → cell. Map order = first-seen order, which is what reports show. */
  private readonly cells = new Map<string, Map<string, Cell>>();
  private readonly phases = new Map<string, { startMs: number; durationMs: number }>();
  private totalDurationMs?: number;

  constructor(private readonly defaults: SummaryOptions = {}) {}

  addPhase(name: string, startMs: number, durationMs: number): void {
    this.phases.set(name, { startMs, durationMs });
    if (!this.cells.has(name)) this.cells.set(name, new Map());
  }

  setTotalDuration(durationMs: number): void {
    this.totalDurationMs = durationMs;
  }

  record(rec: AttemptRecord): void {
    let groups = this.cells.get(rec.phase);
    if (!groups) this.cells.set(rec.phase, (groups = new Map()));
    let cell = groups.get(rec.group);
    if (!cell) groups.set(rec.group, (cell = new Cell()));
    cell.add(rec);
  }

  /** The collector's whole state (cells in first-seen order, histograms encoded). */
  exportState(): CollectorState {
    const state: CollectorState = {
      phases: [...this.phases].map(([name, p]) => ({ name, ...p })),
      cells: [...this.cells].flatMap(([phase, groups]) => [...groups].map(([g, c]) => c.exportState(phase, g))),
    };
    if (this.totalDurationMs !== undefined) state.totalDurationMs = this.totalDurationMs;
    if (this.defaults.pricing) state.pricing = this.defaults.pricing;
    return state;
  }

  /**
   * Add another collector's state (a shard's): counters summed, histograms added (exact),
   * min/max combined. Phases not declared yet are declared with the state's timings.
   */
  importState(state: CollectorState): void {
    for (const p of state.phases) if (!this.phases.has(p.name)) this.addPhase(p.name, p.startMs, p.durationMs);
    for (const c of state.cells) {
      let groups = this.cells.get(c.phase);
      if (!groups) this.cells.set(c.phase, (groups = new Map()));
      let cell = groups.get(c.group);
      if (!cell) groups.set(c.group, (cell = new Cell()));
      cell.importState(c);
    }
  }

  /**
   * Rows: for each phase (addPhase order, then phases only seen in records) and then "total",
   * one "*" row, followed by one row per group when there is more than one group.
   */
  summaries(opts: SummaryOptions = {}): Summary[] {
    const o = { ...this.defaults, ...opts };
    const groupNames = [...new Set([...this.cells.values()].flatMap((g) => [...g.keys()]))];
    const perGroup = groupNames.length > 1 || (o.groupRows === 'always' && groupNames.length > 0);
    const rows: Summary[] = [];
    const hists = o.only?.histograms ?? HISTOGRAM_KEYS;
    const totalByGroup = new Map(groupNames.map((g) => [g, new Cell()]));

    for (const [phase, groups] of this.cells) {
      const durationMs = this.phases.get(phase)?.durationMs;
      const all = new Cell();
      for (const [g, cell] of groups) {
        all.merge(cell, hists);
        totalByGroup.get(g)!.merge(cell, hists);
      }
      rows.push(toSummary(phase, ALL_GROUPS, all, durationMs, o));
      if (perGroup) for (const g of groupNames) rows.push(toSummary(phase, g, groups.get(g) ?? new Cell(), durationMs, o));
    }

    const totalMs = this.totalDurationMs ?? this.phaseSpanMs();
    const total = new Cell();
    for (const c of totalByGroup.values()) total.merge(c, hists);
    rows.push(toSummary(TOTAL_SCOPE, ALL_GROUPS, total, totalMs, o));
    if (perGroup) for (const g of groupNames) rows.push(toSummary(TOTAL_SCOPE, g, totalByGroup.get(g)!, totalMs, o));
    return rows;
  }

  /** Fallback total duration: first phase start to last phase end. */
  private phaseSpanMs(): number | undefined {
    if (!this.phases.size) return undefined;
    const ps = [...this.phases.values()];
    return Math.max(...ps.map((p) => p.startMs + p.durationMs)) - Math.min(...ps.map((p) => p.startMs));
  }
}

function toSummary(scope: string, group: string, c: Cell, durationMs: number | undefined, o: SummaryOptions): Summary {
  const s = durationMs === undefined ? undefined : durationMs / 1000;
  const hist = (k: HistogramKey): SummaryHistogramStats => {
    if (!o.only) return c[k].summarize(o.percentiles);
    return o.only.histograms.includes(k) ? c[k].summarize(o.percentiles, true) : { count: 0 };
  };
  return {
    scope,
    group,
    durationS: s,
    attempts: c.attempts,
    requests: c.requests,
    counts: { ...c.counts },
    okRps: perSecond(c.counts.ok, s),
    attemptRps: perSecond(c.attempts, s),
    inputTokens: c.inputTokens,
    outputTokens: c.outputTokens,
    inputTokensEstimate: c.inputTokensEstimate,
    usageMissing: c.usageMissing,
    inputTokensPerS: perSecond(c.inputTokens, s),
    outputTokensPerS: perSecond(c.outputTokens, s),
    costUsd: o.pricing
      ? (c.inputTokens * o.pricing.inputPerMillionUsd + c.outputTokens * o.pricing.outputPerMillionUsd) / 1e6
      : undefined,
    latency: hist('latency'),
    responseTime: hist('responseTime'),
    ttft: hist('ttft'),
    itl: hist('itl'),
    scheduleLag: hist('scheduleLag'),
    requestOutputTokensPerS: hist('requestOutputTokensPerS'),
    interrupted: o.interrupted ?? false,
    simulated: o.simulated ?? false,
  };
}
