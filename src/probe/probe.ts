/**
 * The probe engine: runs the strategies (generators of stages) in order, each stage through
 * the Budget and the Dispatch, and collects findings, stage rows and what was spent.
 * Order: rate-requests (RPM, burst, sub-minute window, concurrency) → context → rate-tokens
 * (TPM, token burst; sized by the request burst and the context window) → token-layer (when
 * requests showed a sub-minute layer) → max output.
 */
import type { Clock } from '../clock.js';
import type { ChatMessage, Dispatch } from '../exec/ports.js';
import { Budget, worstCaseUsd } from './budget.js';
import { runStage } from './runner.js';
import { contextProbe, maxOutputProbe, rateProbe, requestLayerMs, tokenLayerIsBucket, type Knowledge, type ProbeGen } from './strategies.js';
import { tokenLayerProbe } from './token-layer.js';
import { LIMIT_NAMES, type LimitFinding, type OnlyGroup, type Prices, type StageSummary } from './types.js';

export interface ProbeOptions {
  dispatch: Dispatch;
  clock: Clock;
  model: string;
  prices: Prices;
  budgetUsd: number;
  maxRequests: number;
  /** Limit groups to probe (default all). */
  only?: readonly OnlyGroup[];
  /** Messages of a prompt of exactly n tokens (default: empty content, for simulation). */
  messages?: (n: number) => ChatMessage[];
  /** Called after every stage (progress, probe.csv rows). */
  onStage?: (s: StageSummary) => void | Promise<void>;
  signal?: AbortSignal;
  /** Refill precision: units admitted per rate measurement (default 40 ≈ 2.5%). */
  targetUnits?: number;
  /** Timing slack of the bucket fit, ms (default 0). Any slack admits the degenerate fit (r → ∞, B ≈ 1) when events are at distinct times: keep 0 unless the events are coarse. */
  timingSlackMs?: number;
}

export interface ProbeResult {
  limits: LimitFinding[];
  spentUsd: number;
  requests: number;
  stages: number;
  /** Worst case the budget ever had committed (spent + in flight). */
  peakCommittedUsd: number;
  /** Requests and USD per strategy. */
  perStrategy: Record<string, { requests: number; costUsd: number }>;
  undetermined: string[];
  elapsedMs: number;
}

export const ALL_GROUPS: readonly OnlyGroup[] = ['rpm', 'burst', 'sub_minute', 'concurrency', 'context', 'tpm', 'max_output'];

export async function runProbe(o: ProbeOptions): Promise<ProbeResult> {
  const only = new Set(o.only ?? ALL_GROUPS);
  const budget = new Budget(o.prices, o.budgetUsd, o.maxRequests);
  const k: Knowledge = {
    requestsLeft: o.maxRequests,
    usdLeft: o.budgetUsd,
    costOf: (p, m) => worstCaseUsd(o.prices, p, m),
    ...(o.timingSlackMs ? { slackMs: o.timingSlackMs } : {}),
  };
  let id = 0;
  const ctx = {
    dispatch: o.dispatch,
    clock: o.clock,
    budget,
    model: o.model,
    messages: o.messages ?? ((): ChatMessage[] => [{ role: 'user', content: '' }]),
    nextId: () => id++,
    ...(o.signal ? { signal: o.signal } : {}),
  };
  const t0 = o.clock.now();
  const limits: LimitFinding[] = [];
  const perStrategy: ProbeResult['perStrategy'] = {};
  let stageIndex = 0;
  const run = async (gen: ProbeGen, label: string, share = 1) => {
    const cap = budget.sent + Math.floor(o.maxRequests * share);
    const left = () => Math.min(budget.requestsLeft, cap - budget.sent);
    k.requestsLeft = left();
    let step = gen.next();
    while (!step.done) {
      k.requestsLeft = left();
      k.usdLeft = budget.usdLeft;
      // Once a concurrency cap is known, no stage puts more than that in flight: its refusals
      // would pass for rate refusals (and waste requests).
      const stage = k.concurrency !== undefined && step.value.maxInFlight === undefined ? { ...step.value, maxInFlight: k.concurrency } : step.value;
      const s = await runStage(stage, stageIndex++, ctx);
      const acc = (perStrategy[label] ??= { requests: 0, costUsd: 0 });
      acc.requests += s.sent;
      acc.costUsd += s.costUsd;
      for (const a of s.attempts) {
        const rl = a.result?.rateLimit;
        if (rl && (rl.limitRequests !== undefined || rl.limitTokens !== undefined)) k.headers = rl;
      }
      await o.onStage?.(s);
      k.requestsLeft = left();
      k.usdLeft = budget.usdLeft;
      step = gen.next(s);
    }
    limits.push(...step.value);
  };
  const wantReq = { rate: only.has('rpm'), burst: only.has('burst'), window: only.has('sub_minute'), concurrency: only.has('concurrency') };
  const needTokens = only.has('tpm');
  if (wantReq.rate || wantReq.burst || wantReq.window || wantReq.concurrency || needTokens) {
    const rateNeeded = wantReq.rate || wantReq.burst || wantReq.window || needTokens;
    await run(rateProbe(k, { dim: 'requests', rateNeeded, want: needTokens && !(wantReq.rate || wantReq.burst) ? { ...wantReq, rate: false, burst: false } : wantReq, ...(o.targetUnits ? { targetUnits: o.targetUnits } : {}) }), 'rate-requests', needTokens ? 0.55 : 0.9);
  }
  if (only.has('context')) await run(contextProbe(k), 'context');
  if (needTokens) {
    // Earlier probes drew on the token bucket: let it fill again (headers say when; else a minute and a margin).
    const reset = k.headers?.resetTokensMs;
    await run(
      (function* (): ProbeGen {
        yield { strategy: 'rate-tokens', name: 'settle', waitMs: Math.max(65_000, (reset ?? 0) + 5_000), requests: [] };
        return [];
      })(),
      'rate-tokens',
    );
  }
  if (needTokens) await run(rateProbe(k, { dim: 'tokens', want: { rate: true, burst: true, window: false, concurrency: false }, ...(o.targetUnits ? { targetUnits: o.targetUnits } : {}) }), 'rate-tokens');
  // A sub-minute request layer has a token twin (TPS = TPM/60): measured with pairs of requests.
  const layerMs = requestLayerMs(k);
  if (needTokens && layerMs > 0 && k.tokens && !tokenLayerIsBucket(k)) await run(tokenLayerProbe(k, { layerMs }), 'token-layer');
  if (only.has('max_output')) await run(maxOutputProbe(k), 'max-output');
  limits.sort((a, b) => LIMIT_NAMES.indexOf(a.name) - LIMIT_NAMES.indexOf(b.name));
  return {
    limits,
    spentUsd: budget.spentUsd,
    requests: budget.sent,
    stages: stageIndex,
    peakCommittedUsd: budget.peakCommittedUsd,
    perStrategy,
    undetermined: limits.filter((l) => l.method === 'undetermined').map((l) => `${l.name}: ${l.note ?? 'not found'}`),
    elapsedMs: o.clock.now() - t0,
  };
}
