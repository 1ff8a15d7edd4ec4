/**
 * Scenario → the input form users write, such that `parseScenario(toInput(s))` equals `s`.
 * Overrides edit this form and re-validate it, so flags are checked exactly like the file.
 * An empirical distribution keeps its `values` beside its `file`: the input form is then
 * self-contained (parse reads no files) and says where the lengths came from.
 */
import { defaultOutputDir } from './defaults.js';
import type { Arrival, Conversation, Group, MsDist, Phase, RequestSpec, Scenario, ScenarioInput, TokenDist } from './schema.js';
import { formatDurationMs } from './units.js';

type DistInput = ScenarioInput['request']['promptTokens'];
type PhaseInput = ScenarioInput['phases'][number];
type ArrivalInput = NonNullable<PhaseInput['arrival']>;
type RequestInput = NonNullable<PhaseInput['request']>;

function distInput(d: TokenDist): DistInput {
  if (d.dist === 'fixed') return d.value;
  if (d.dist === 'empirical') return { ...d, values: [...d.values] };
  return { ...d };
}

function conversationInput(c: Conversation): NonNullable<RequestInput['conversation']> {
  return { turns: distInput(c.turns), sessions: c.sessions };
}

function requestInput(r: Partial<RequestSpec>): RequestInput {
  const out = { ...r } as RequestInput;
  if (r.promptTokens) out.promptTokens = distInput(r.promptTokens);
  if (r.maxTokens) out.maxTokens = distInput(r.maxTokens);
  if (r.conversation) out.conversation = conversationInput(r.conversation);
  return out;
}

export function arrivalInput(a: Arrival): ArrivalInput {
  switch (a.type) {
    case 'steps':
      return { type: 'steps', steps: a.steps.map((s) => ({ duration: formatDurationMs(s.durationMs), rate: s.rate })), process: a.process };
    case 'spike':
      return {
        type: 'spike',
        rate: a.rate,
        spikeRate: a.spikeRate,
        spikeAt: a.spikeAtMs === 0 ? 0 : formatDurationMs(a.spikeAtMs),
        spikeDuration: formatDurationMs(a.spikeDurationMs),
        process: a.process,
      };
    default:
      return { ...a };
  }
}

function thinkInput(t: MsDist): NonNullable<PhaseInput['thinkTime']> {
  return t.dist === 'fixed' ? t.value : { ...t };
}

function phaseInput(p: Phase): PhaseInput {
  const base: PhaseInput = { name: p.name };
  // 0: bounded by `requests` alone.
  if (p.durationMs > 0) base.duration = formatDurationMs(p.durationMs);
  if (p.requests !== undefined) base.requests = p.requests;
  if (p.request) base.request = requestInput(p.request);
  if (p.kind === 'closed') {
    base.concurrency = p.concurrency;
    if (p.thinkTime) base.thinkTime = thinkInput(p.thinkTime);
  } else if (p.arrival) base.arrival = arrivalInput(p.arrival);
  return base;
}

function groupInput(g: Group): NonNullable<ScenarioInput['groups']>[number] {
  const out: NonNullable<ScenarioInput['groups']>[number] = { name: g.name, weight: g.weight };
  if (g.arrival) out.arrival = arrivalInput(g.arrival);
  if (g.activeIn) out.activeIn = [...g.activeIn];
  if (g.request) out.request = requestInput(g.request);
  if (g.apiKeyEnv !== undefined) out.apiKeyEnv = g.apiKeyEnv;
  if (g.retry !== undefined) out.retry = structuredClone(g.retry);
  return out;
}

export function toInput(s: Scenario): ScenarioInput {
  const input: ScenarioInput = {
    name: s.name,
    seed: s.seed,
    target: structuredClone(s.target),
    request: requestInput(s.request) as ScenarioInput['request'],
    client: structuredClone(s.client),
    maxInFlight: s.maxInFlight,
    phases: s.phases.map(phaseInput),
    thresholds: s.thresholds.map((t) => (typeof t === 'string' ? t : { ...t })),
    engine: s.engine,
    flood: { ...s.flood },
    mode: s.mode,
  };
  if (s.groups) input.groups = s.groups.map(groupInput);
  if (s.matrix) input.matrix = structuredClone(s.matrix);
  if (s.description !== undefined) input.description = s.description;
  // Left out when it is the default, so a later rename moves the default folder with it.
  if (s.output.dir !== defaultOutputDir(s.name)) input.output = { dir: s.output.dir };
  return input;
}
