/**
 * Sends one stage: every request at stage start + its offset, through a Dispatch on a Clock
 * (real or virtual), each only after the Budget reserved its worst case. The first request the
 * budget or the cap refuses ends the stage's sending (the rest are not sent); requests already
 * in flight finish. With `stage.maxInFlight`, a request due while that many are out waits for
 * one to end (each attempt records how many were in flight when it was sent). Failures of the
 * target are outcomes in the summary, never throws.
 */
import type { Clock } from '../clock.js';
import type { ChatMessage, Dispatch, PlannedRequest } from '../exec/ports.js';
import type { Budget } from './budget.js';
import type { ProbeAttempt, Stage, StageSummary } from './types.js';

export interface StageContext {
  dispatch: Dispatch;
  clock: Clock;
  budget: Budget;
  model: string;
  /** Messages of a prompt of exactly n tokens. */
  messages: (n: number) => ChatMessage[];
  /** Next request id (shared across stages). */
  nextId: () => number;
  /** Run-level abort (Ctrl-C). */
  signal?: AbortSignal;
}

export async function runStage(stage: Stage, index: number, ctx: StageContext): Promise<StageSummary> {
  const { clock, budget, dispatch } = ctx;
  if (stage.waitMs && stage.waitMs > 0) await clock.sleepUntil(clock.now() + stage.waitMs, ctx.signal);
  const startMs = clock.now();
  const attempts: ProbeAttempt[] = stage.requests.map((spec) => ({ spec }));
  const order = attempts.map((_, i) => i).sort((a, b) => attempts[a]!.spec.offsetMs - attempts[b]!.spec.offsetMs || a - b);
  let capped: 'budget' | 'requests' | undefined;
  let costUsd = 0;
  const pending: Promise<void>[] = [];
  const signal = ctx.signal ?? new AbortController().signal;
  // In-flight gate: stages never overlap (each awaits its requests), so this count is the probe's.
  const cap = stage.maxInFlight !== undefined && stage.maxInFlight >= 1 ? stage.maxInFlight : Infinity;
  let inFlight = 0;
  let freed: (() => void) | undefined;
  const done = () => {
    inFlight--;
    const f = freed;
    freed = undefined;
    f?.();
  };
  for (const i of order) {
    const a = attempts[i]!;
    const at = startMs + a.spec.offsetMs;
    if (clock.now() < at) await clock.sleepUntil(at, ctx.signal);
    while (inFlight >= cap && !signal.aborted) await new Promise<void>((res) => (freed = res));
    const refused = budget.reserve(a.spec);
    if (refused) {
      capped = refused;
      break;
    }
    const req: PlannedRequest = {
      requestId: ctx.nextId(),
      group: 'probe',
      phase: `${stage.strategy}:${stage.name}`,
      targetedStartMs: at,
      model: ctx.model,
      messages: ctx.messages(a.spec.promptTokens),
      promptTokens: a.spec.promptTokens,
      maxTokens: a.spec.maxTokens,
      stream: a.spec.stream ?? false,
    };
    a.inFlightAtSend = ++inFlight;
    pending.push(
      dispatch.send(req, 1, signal).then(
        (r) => {
          a.result = r;
          costUsd += budget.settle(a.spec, r);
          done();
        },
        (e: unknown) => {
          const now = clock.now();
          a.result = { promptTokensEstimate: a.spec.promptTokens, startMs: now, endMs: now, outcome: 'network_error', errorCode: 'E_DISPATCH', errorMessage: String((e as Error)?.message ?? e) };
          costUsd += budget.settle(a.spec, a.result);
          done();
        },
      ),
    );
  }
  await Promise.all(pending);
  const s: StageSummary = {
    stage,
    index,
    startMs,
    endMs: clock.now(),
    attempts,
    sent: 0,
    ok: 0,
    rateLimitedRequests: 0,
    rateLimitedTokens: 0,
    rateLimitedOther: 0,
    other: 0,
    costUsd,
  };
  if (capped) s.capped = capped;
  for (const a of attempts) {
    const r = a.result;
    if (!r) continue;
    s.sent++;
    if (r.outcome === 'ok') s.ok++;
    else if (r.outcome === 'rate_limited_requests') s.rateLimitedRequests++;
    else if (r.outcome === 'rate_limited_tokens') s.rateLimitedTokens++;
    else if (r.outcome === 'rate_limited_other') s.rateLimitedOther++;
    else s.other++;
  }
  return s;
}
