/**
 * `limitprobe plan`: vary one parameter of a scenario over [from, to], simulate each value
 * (the mock's core in virtual time: deterministic, an hour of traffic in about a second),
 * judge the SLOs on each run's summaries, and find the largest value that keeps them all.
 *
 * Every question of the form "how much X fits before SLO Y breaks" is one call: the rate
 * that fits under RPM/TPM before p95 passes a bound (--vary rate), the prompt size at which
 * TPM starts binding (--vary prompt-tokens, the `binding` column), the number of clients
 * that can share one key (--vary clients; with client retry policies in the scenario the
 * same call answers it for each policy, since the policy is part of what is simulated).
 */
import type { Summary } from '../metrics/summary.js';
import type { Scenario } from '../scenario/index.js';
import { applyParam, PARAMS, type ApplyOptions, type ParamName } from './params.js';
import { searchLargestPassing, type SearchMode, type SearchResult } from './search.js';
import { runSimulated } from './sim-run.js';
import type { SloSet, SloVerdict } from './slo.js';

export interface PlanOptions extends ApplyOptions {
  vary: ParamName;
  from: number;
  to: number;
  slos: SloSet;
  /** Parameters held fixed at other values first (e.g. rate = 1000 while prompt size varies), in the same phases. */
  set?: readonly { param: ParamName; value: number }[];
  mode?: SearchMode;
  steps?: number;
  /** Bisection stops when the bracket is narrower than this fraction of the value (default 0.002). */
  relative?: number;
  /** Called after each point (for progress and streaming plan.csv). */
  onPoint?: (p: PlanPoint) => void;
}

export type Binding = 'requests' | 'tokens' | 'none';

export interface PlanPoint {
  /** 1-based order in which the point was tried. */
  index: number;
  stage: 'grid' | 'bisect' | 'bound';
  param: ParamName;
  value: number;
  pass: boolean;
  verdicts: SloVerdict[];
  /** The run's total row (scope "total", all groups). */
  total: Summary;
  /** The row the point is judged on for `binding` and ok %: the one phase varied (`in`), the one phase run, else the total. */
  focus: Summary;
  /** Which limit rejected more requests in the focus row: RPM (requests), TPM (tokens), or neither. */
  binding: Binding;
  wallMs: number;
}

export interface PlanResult {
  scenario: string;
  param: ParamName;
  /** The summary row `binding` and ok % describe. */
  focusScope: string;
  set: readonly { param: ParamName; value: number }[];
  unit: string;
  from: number;
  to: number;
  mode: SearchMode;
  /** Largest value that kept every SLO; undefined when even `from` failed. */
  answer?: number;
  firstFail?: number;
  monotonic: boolean;
  points: PlanPoint[];
  slos: readonly string[];
  wallMs: number;
}

export function bindingOf(s: Summary): Binding {
  const r = s.counts.rate_limited_requests;
  const t = s.counts.rate_limited_tokens;
  if (r === 0 && t === 0) return 'none';
  return r >= t ? 'requests' : 'tokens';
}

export async function planCapacity(scenario: Scenario, opts: PlanOptions): Promise<PlanResult> {
  const t0 = performance.now();
  const spec = PARAMS[opts.vary];
  let base = scenario;
  for (const f of opts.set ?? []) base = applyParam(base, f.param, f.value, opts);
  // Fail fast (before any simulation) when the parameter applies nowhere or a phase is unknown.
  const probe = applyParam(base, opts.vary, opts.from, opts);
  const focusScope = opts.in?.length === 1 ? opts.in[0]! : probe.phases.length === 1 ? probe.phases[0]!.name : 'total';
  const points: PlanPoint[] = [];
  const mode = opts.mode ?? 'auto';
  const res: SearchResult<PlanPoint> = await searchLargestPassing(
    { from: opts.from, to: opts.to, mode, steps: opts.steps, integer: spec.integer, relative: opts.relative },
    async (value, stage) => {
      const s = applyParam(base, opts.vary, value, opts);
      const run = await runSimulated(s, { summary: opts.slos.summaryOptions });
      const verdicts = opts.slos.judge(run.summaries);
      const total = run.summaries.find((x) => x.scope === 'total' && x.group === '*')!;
      const focus = run.summaries.find((x) => x.scope === focusScope && x.group === '*') ?? total;
      const p: PlanPoint = {
        index: points.length + 1,
        stage,
        param: opts.vary,
        value,
        pass: verdicts.every((v) => v.ok),
        verdicts,
        total,
        focus,
        binding: bindingOf(focus),
        wallMs: run.wallMs,
      };
      points.push(p);
      opts.onPoint?.(p);
      return { pass: p.pass, result: p };
    },
  );
  const out: PlanResult = {
    scenario: scenario.name,
    param: opts.vary,
    focusScope,
    set: opts.set ?? [],
    unit: spec.unit,
    from: opts.from,
    to: opts.to,
    mode,
    monotonic: res.monotonic,
    points,
    slos: opts.slos.exprs,
    wallMs: performance.now() - t0,
  };
  if (res.answer !== undefined) out.answer = res.answer;
  if (res.firstFail !== undefined) out.firstFail = res.firstFail;
  return out;
}
