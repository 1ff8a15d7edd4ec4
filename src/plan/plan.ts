/**
 * Scenario → Plan: phases laid end to end on the run's timeline, each with its arrival
 * schedule (open loop) or worker count (closed loop), and a pure request factory. Every
 * request is a function of (seed, requestId) alone, so it is the same however requests are
 * interleaved, sharded or replayed.
 */
import { ConfigError } from '../errors.js';
import type { ChatMessage, ExecPhase, ExecPlan, PlannedRequest } from '../exec/ports.js';
import type { Scenario } from '../scenario/schema.js';
import { countTokens } from '../tokens/count.js';
import { synthesizeText } from '../tokens/synth.js';
import { arrivalSchedule } from './arrivals.js';
import { sample } from './distributions.js';
import { createRng } from './rng.js';

export interface PhasePlan extends ExecPhase {
  name: string;
  index: number;
  startMs: number;
  durationMs: number;
  kind: 'open' | 'closed';
  concurrency?: number;
  /** Absolute planned start times (ms from run start), ascending; open phases only. */
  arrivals?: () => Iterable<number>;
}

export interface Plan extends ExecPlan {
  phases: PhasePlan[];
  totalDurationMs: number;
  model: string;
  /** Deterministic by (seed, requestId): same id → same prompt/max_tokens regardless of order. */
  makeRequest(requestId: number, phase: PhasePlan, targetedStartMs: number): PlannedRequest;
}

export interface BuildPlanOptions {
  /** Model to use when the scenario's target names none (for the mock: its profile's default). */
  model?: string;
}

/** Until scenarios can declare request groups, every request belongs to this one. */
export const DEFAULT_GROUP = 'default';

export function buildPlan(scenario: Scenario, opts: BuildPlanOptions = {}): Plan {
  const model = scenario.target.model ?? opts.model;
  if (model === undefined) {
    throw new ConfigError('no model to plan for', [
      { path: 'target.model', expected: "a model name (or the mock profile's default, passed by the caller)", found: 'nothing' },
    ]);
  }

  let startMs = 0;
  const phases: PhasePlan[] = scenario.phases.map((p, index) => {
    const base = { name: p.name, index, startMs, durationMs: p.durationMs };
    startMs += p.durationMs;
    if (p.kind === 'closed') return { ...base, kind: 'closed', concurrency: p.concurrency };
    const arrivals = arrivalSchedule(p.arrival, { startMs: base.startMs, durationMs: p.durationMs, seed: scenario.seed, phaseIndex: index });
    return { ...base, kind: 'open', arrivals };
  });

  const { seed } = scenario;
  // Each phase's request spec (the scenario's, with the phase's overrides), prepared once.
  const specs = scenario.phases.map((p) => {
    const spec = { ...scenario.request, ...p.request };
    // The system prompt is fixed: count it once. Prompt size = sum of message contents' tokens.
    const systemTokens = spec.system === undefined ? 0 : countTokens(spec.system, model);
    const systemMessages: ChatMessage[] = spec.system === undefined ? [] : [{ role: 'system', content: spec.system }];
    return { ...spec, systemTokens, systemMessages };
  });

  return {
    phases,
    totalDurationMs: startMs,
    model,
    makeRequest(requestId, phase, targetedStartMs) {
      const { promptTokens, maxTokens, stream, systemTokens, systemMessages } = specs[phase.index]!;
      const rng = createRng(seed, 'request', requestId);
      const wanted = sample(promptTokens, rng);
      const maxTok = sample(maxTokens, rng);
      // A system prompt longer than the sampled size still gets a 1-token user message;
      // promptTokens then reports the true, larger count.
      const userTokens = Math.max(1, wanted - systemTokens);
      // Words come from their own stream: editing a size distribution leaves the text's words alone.
      const content = synthesizeText(userTokens, model, createRng(seed, 'request', requestId, 'text'));
      return {
        requestId,
        group: DEFAULT_GROUP,
        phase: phase.name,
        targetedStartMs,
        model,
        messages: [...systemMessages, { role: 'user', content }],
        promptTokens: systemTokens + userTokens,
        maxTokens: maxTok,
        stream,
      };
    },
  };
}
