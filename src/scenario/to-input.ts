/**
 * Scenario → the input form users write, such that `parseScenario(toInput(s))` equals `s`.
 * Overrides edit this form and re-validate it, so flags are checked exactly like the file.
 */
import { defaultOutputDir } from './defaults.js';
import type { Phase, RequestSpec, Scenario, ScenarioInput, TokenDist } from './schema.js';
import { formatDurationMs } from './units.js';

type DistInput = ScenarioInput['request']['promptTokens'];
type PhaseInput = ScenarioInput['phases'][number];

function distInput(d: TokenDist): DistInput {
  return d.dist === 'fixed' ? d.value : { ...d };
}

function requestInput(r: Partial<RequestSpec>): NonNullable<PhaseInput['request']> {
  const out: NonNullable<PhaseInput['request']> = { ...r } as NonNullable<PhaseInput['request']>;
  if (r.promptTokens) out.promptTokens = distInput(r.promptTokens);
  if (r.maxTokens) out.maxTokens = distInput(r.maxTokens);
  return out;
}

function phaseInput(p: Phase): PhaseInput {
  const base = { name: p.name, duration: formatDurationMs(p.durationMs), ...(p.request ? { request: requestInput(p.request) } : {}) };
  return p.kind === 'open' ? { ...base, arrival: { ...p.arrival } } : { ...base, concurrency: p.concurrency };
}

export function toInput(s: Scenario): ScenarioInput {
  const input: ScenarioInput = {
    name: s.name,
    seed: s.seed,
    target: structuredClone(s.target),
    request: { ...s.request, promptTokens: distInput(s.request.promptTokens), maxTokens: distInput(s.request.maxTokens) },
    client: { ...s.client },
    maxInFlight: s.maxInFlight,
    phases: s.phases.map(phaseInput),
    thresholds: [...s.thresholds],
  };
  if (s.description !== undefined) input.description = s.description;
  // Left out when it is the default, so a later rename moves the default folder with it.
  if (s.output.dir !== defaultOutputDir(s.name)) input.output = { dir: s.output.dir };
  return input;
}
