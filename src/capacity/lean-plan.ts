/**
 * A plan whose requests carry their sizes at once and their text only when asked for.
 *
 * `buildPlan`'s makeRequest synthesises each prompt to exactly N tokens, which means running
 * the tokenizer over it: ~0.5 ms for a 1,000-token prompt, i.e. 50 s of an hour-long
 * simulation of 96,000 requests. The simulated dispatch never reads the text (the mock's core
 * admits on the token count, which the text would reproduce exactly), so here the sizes are
 * drawn exactly as plan.ts draws them — same seeded stream, same keys, same order — and
 * `messages` is a lazy getter that asks the real makeRequest when something reads it.
 * test/unit/sim-lean-plan.test.ts checks sizes, groups and messages against the real plan.
 *
 * Conversations (stateful histories) fall back to the real makeRequest.
 *
 * The proper home of this is plan.ts itself (a `text: 'lazy'` option); see docs/simulation.md.
 */
import type { ChatMessage, PlannedRequest } from '../exec/ports.js';
import type { Plan, PhasePlan, RequestSlot } from '../plan/plan.js';
import { DEFAULT_GROUP } from '../plan/plan.js';
import { createRng, sample } from '../plan/index.js';
import type { Group, RequestSpec, Scenario } from '../scenario/index.js';
import { countTokens } from '../tokens/count.js';

interface Sizer {
  spec: RequestSpec;
  systemTokens: number;
}

export function leanPlan(plan: Plan, scenario: Scenario): Plan {
  const explicitGroups = scenario.groups !== undefined;
  const groups: Group[] = scenario.groups ?? [{ name: DEFAULT_GROUP, weight: 1 }];
  const model = plan.model;
  const sysCache = new Map<string, number>();
  const sizers: Sizer[][] = scenario.phases.map((p) =>
    groups.map((g) => {
      const spec: RequestSpec = { ...scenario.request, ...p.request, ...g.request };
      let systemTokens = 0;
      if (spec.system !== undefined) {
        const s = spec.system;
        systemTokens = sysCache.get(s) ?? countTokens(s, model);
        sysCache.set(s, systemTokens);
      }
      return { spec, systemTokens };
    }),
  );
  const real = plan.makeRequest.bind(plan) as RealMake;
  const seed = scenario.seed;

  const makeRequest = (requestId: number, phase: PhasePlan, targetedStartMs: number, slot?: RequestSlot): PlannedRequest => {
    const gi = slot?.group ?? phase.groups[0]?.group ?? 0;
    const sz = sizers[phase.index]![gi]!;
    const spec = sz.spec;
    if (spec.conversation) return real(requestId, phase, targetedStartMs, slot);
    const group = groups[gi]!.name;
    let wanted: number;
    let maxTokens: number;
    if (spec.promptTokens.dist === 'fixed' && spec.maxTokens.dist === 'fixed') {
      // sample() of a fixed size draws nothing: no stream to reproduce.
      wanted = spec.promptTokens.value;
      maxTokens = spec.maxTokens.value;
    } else {
      const rng = explicitGroups ? createRng(seed, 'request', group, phase.index, slot?.seq ?? requestId) : createRng(seed, 'request', requestId);
      wanted = sample(spec.promptTokens, rng);
      maxTokens = sample(spec.maxTokens, rng);
    }
    const userTokens = Math.max(1, wanted - sz.systemTokens);
    return new LeanRequest(real, requestId, group, phase, targetedStartMs, slot, sz.systemTokens + userTokens, maxTokens, spec.stream, model);
  };
  return { ...plan, makeRequest };
}

type RealMake = (requestId: number, phase: PhasePlan, targetedStartMs: number, slot?: RequestSlot) => PlannedRequest;

/** A PlannedRequest whose text is synthesised on first read of `messages`. */
class LeanRequest implements PlannedRequest {
  readonly phase: string;
  private text: ChatMessage[] | undefined;

  constructor(
    private readonly real: RealMake,
    readonly requestId: number,
    readonly group: string,
    private readonly phasePlan: PhasePlan,
    readonly targetedStartMs: number,
    private readonly slot: RequestSlot | undefined,
    readonly promptTokens: number,
    readonly maxTokens: number,
    readonly stream: boolean,
    readonly model: string,
  ) {
    this.phase = phasePlan.name;
  }

  get messages(): ChatMessage[] {
    return (this.text ??= this.real(this.requestId, this.phasePlan, this.targetedStartMs, this.slot).messages);
  }

  set messages(m: ChatMessage[]) {
    this.text = m;
  }
}
