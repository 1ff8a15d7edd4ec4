/**
 * SLOs for capacity planning: the same expressions as scenario thresholds (metrics/thresholds.ts:
 * `p95(response_time_ms) < 30000`, `rate(ok) > 0.99`, `phase=steady: …`), behind a small
 * interface so the planner depends on "parse these, judge those summaries", not on the grammar.
 */
import type { Summary, SummaryOptions } from '../metrics/summary.js';
import { evaluateThresholds, parseThresholds, thresholdPercentiles, thresholdsNeedGroupRows, type Threshold, type ThresholdSpec } from '../metrics/thresholds.js';

export interface SloVerdict {
  expr: string;
  /** The value compared; undefined when there was no data (then the SLO fails). */
  observed?: number;
  ok: boolean;
  note?: string;
}

export interface SloSet {
  readonly exprs: readonly string[];
  /** What the run's summaries must carry for these SLOs (extra percentiles, group rows). */
  readonly summaryOptions: Pick<SummaryOptions, 'percentiles' | 'groupRows'>;
  judge(summaries: readonly Summary[]): SloVerdict[];
}

/** Parses every expression (all problems at once, as a ConfigError). */
export function parseSlos(specs: readonly ThresholdSpec[]): SloSet {
  const ths: Threshold[] = parseThresholds(specs, 'slo');
  return {
    exprs: ths.map((t) => t.expr),
    summaryOptions: { percentiles: thresholdPercentiles(ths), groupRows: thresholdsNeedGroupRows(ths) ? 'always' : 'auto' },
    judge: (summaries) =>
      evaluateThresholds(ths, summaries).map((r) => {
        const v: SloVerdict = { expr: r.expr, ok: r.ok };
        if (r.observed !== undefined) v.observed = r.observed;
        if (r.note !== undefined) v.note = r.note;
        return v;
      }),
  };
}
