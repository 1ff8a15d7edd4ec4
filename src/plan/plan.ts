/**
 * Scenario → Plan: phases laid end to end on the run's timeline, each with its arrival
 * schedule (open loop) or worker count (closed loop), per client group, and a pure request
 * factory. Every request is a function of the seed and its identity alone — (requestId)
 * without groups, (group, phase, index in the group) with them — so it is the same however
 * requests are interleaved, sharded or replayed.
 */
import { ConfigError } from '../errors.js';
import type { ChatMessage, ExecPhase, ExecPlan, PlannedRequest } from '../exec/ports.js';
import { DEFAULTS } from '../scenario/defaults.js';
import { groupActiveIn, type Arrival, type Group, type Phase, type RequestSpec, type Scenario } from '../scenario/schema.js';
import { countTokens } from '../tokens/count.js';
import { synthesizeText } from '../tokens/synth.js';
import { isStochastic, processSchedule, tailRate, toProcess, type Process } from './arrivals.js';
import { createConversations, expectedConversationPrompt, type Conversations } from './conversation.js';
import { expectation, sample, sampleMs } from './distributions.js';
import { cumulative } from './intensity.js';
import { createRng } from './rng.js';

/** One open-loop arrival: when, which group (index into Plan.groups), and its index among that group's arrivals in the phase. */
export interface Slot {
  atMs: number;
  group: number;
  seq: number;
}

/** Which group a request belongs to, and its index among that group's requests in the phase. */
export interface RequestSlot {
  group: number;
  seq: number;
}

/** A group's part in one phase. */
export interface GroupPhasePlan {
  /** Index into Plan.groups. */
  group: number;
  name: string;
  /** Open loop: the group's mean arrival rate over the phase (req/s). */
  rate?: number;
  /** Closed loop: the group's workers. */
  concurrency?: number;
  /** Expected admission cost of one of its requests: E[prompt tokens + max_tokens]. */
  meanCostTokens: number;
}

export interface PhasePlan extends ExecPhase {
  name: string;
  index: number;
  startMs: number;
  /**
   * Length on the timeline. Open loop bounded by `requests` alone: until the arrival after
   * the last one (N/rate for constant). Closed loop bounded by `requests` alone: a cap (10
   * min) — see `endsWhenDone`.
   */
  durationMs: number;
  kind: 'open' | 'closed';
  /** Closed loop: workers in total (the sum over groups). */
  concurrency?: number;
  /** Absolute planned start times (ms from run start), ascending; open phases only. */
  arrivals?: () => Iterable<number>;
  /** The same arrivals tagged with group and per-group index: pass each to makeRequest. */
  slots?: () => Iterable<Slot>;
  /** Groups active in this phase (at least the implicit "default"); may be empty (a pause). */
  groups: GroupPhasePlan[];
  /** Stop after this many requests (open: arrivals, which `arrivals`/`slots` already stop at; closed: sent). */
  maxRequests?: number;
  /** Closed loop with `requests` and no duration: the phase ends once maxRequests are sent and finished. */
  endsWhenDone?: boolean;
  /** Closed loop: pause (ms) a worker makes after request `requestId` finished, before its next. Deterministic. */
  thinkTimeMs?: (requestId: number) => number;
  /** Open loop with a tokensPerMinute target: the phase's resulting mean request rate (req/s). */
  derivedRate?: number;
}

export interface PlanGroup {
  name: string;
  /** http targets: env var of this group's API key (else the target's). */
  apiKeyEnv?: string;
}

export interface Plan extends ExecPlan {
  phases: PhasePlan[];
  totalDurationMs: number;
  model: string;
  groups: PlanGroup[];
  /**
   * Deterministic: without groups by (seed, requestId) — same id, same prompt, whatever the
   * order; with groups by (seed, group, phase, slot.seq). Without a slot the request goes to
   * the phase's first group with seq = requestId.
   */
  makeRequest(requestId: number, phase: PhasePlan, targetedStartMs: number, slot?: RequestSlot): PlannedRequest;
}

export interface BuildPlanOptions {
  /** Model to use when the scenario's target names none (for the mock: its profile's default). */
  model?: string;
}

/** Without `groups` in the scenario, every request belongs to this one. */
export const DEFAULT_GROUP = 'default';

/** A request spec prepared for fast request making. */
interface PreparedSpec extends RequestSpec {
  systemTokens: number;
  systemMessages: ChatMessage[];
  /** Expected admission cost of a request: E[prompt tokens + max_tokens]. */
  meanCost: number;
  conversations?: Conversations;
}

export function buildPlan(scenario: Scenario, opts: BuildPlanOptions = {}): Plan {
  const model = scenario.target.model ?? opts.model;
  if (model === undefined) {
    throw new ConfigError('no model to plan for', [
      { path: 'target.model', expected: "a model name (or the mock profile's default, passed by the caller)", found: 'nothing' },
    ]);
  }
  const { seed } = scenario;
  const explicitGroups = scenario.groups !== undefined;
  const groups: Group[] = scenario.groups ?? [{ name: DEFAULT_GROUP, weight: 1 }];
  const systemCache = new Map<string, number>();
  const countSystem = (text: string) => {
    let n = systemCache.get(text);
    if (n === undefined) systemCache.set(text, (n = countTokens(text, model)));
    return n;
  };

  // specs[phase][group]: scenario request ← phase overrides ← group overrides.
  const specs: PreparedSpec[][] = scenario.phases.map((p, pi) =>
    groups.map((g) => {
      const spec: RequestSpec = { ...scenario.request, ...p.request, ...g.request };
      // The system prompt is fixed: count it once. Prompt size = sum of message contents' tokens.
      const systemTokens = spec.system === undefined ? 0 : countSystem(spec.system);
      const systemMessages: ChatMessage[] = spec.system === undefined ? [] : [{ role: 'system', content: spec.system }];
      const prepared: PreparedSpec = { ...spec, systemTokens, systemMessages, meanCost: meanCost(spec, systemTokens) };
      if (spec.conversation) {
        // Without groups, conversations run over the global request ids; with them, per group and phase.
        const scope = explicitGroups ? [g.name, pi] : [];
        prepared.conversations = createConversations(seed, scope, { ...spec, conversation: spec.conversation }, model);
      }
      return prepared;
    }),
  );

  let startMs = 0;
  const phases: PhasePlan[] = scenario.phases.map((p, index) => {
    const plan = planPhase(p, index, startMs, scenario, groups, specs[index]!);
    startMs += plan.durationMs;
    return plan;
  });

  return {
    phases,
    totalDurationMs: startMs,
    model,
    groups: groups.map((g) => (g.apiKeyEnv === undefined ? { name: g.name } : { name: g.name, apiKeyEnv: g.apiKeyEnv })),
    makeRequest(requestId, phase, targetedStartMs, slot) {
      const gi = slot?.group ?? phase.groups[0]?.group ?? 0;
      const spec = specs[phase.index]![gi]!;
      const group = groups[gi]!.name;
      // Without groups, keyed by the global id exactly as before groups existed.
      const key: (string | number)[] = explicitGroups ? [group, phase.index, slot?.seq ?? requestId] : [requestId];
      const base = { requestId, group, phase: phase.name, targetedStartMs, model, stream: spec.stream };
      if (spec.conversations) {
        const turn = spec.conversations.turn(explicitGroups ? (slot?.seq ?? requestId) : requestId);
        return {
          ...base,
          messages: [...spec.systemMessages, ...turn.messages],
          promptTokens: spec.systemTokens + turn.promptTokens,
          maxTokens: turn.maxTokens,
        };
      }
      const rng = createRng(seed, 'request', ...key);
      const wanted = sample(spec.promptTokens, rng);
      const maxTok = sample(spec.maxTokens, rng);
      // A system prompt longer than the sampled size still gets a 1-token user message;
      // promptTokens then reports the true, larger count.
      const userTokens = Math.max(1, wanted - spec.systemTokens);
      // Words come from their own stream: editing a size distribution leaves the text's words alone.
      const content = synthesizeText(userTokens, model, createRng(seed, 'request', ...key, 'text'));
      return {
        ...base,
        messages: [...spec.systemMessages, { role: 'user', content }],
        promptTokens: spec.systemTokens + userTokens,
        maxTokens: maxTok,
      };
    },
  };
}

/**
 * Expected admission cost of one request, E[prompt tokens + max_tokens]: providers charge a
 * request's prompt plus its max_tokens against the tokens-per-minute limit when they admit it
 * (the unused part is refunded later, if at all), so that sum — not prompt + actual output —
 * is what a tokens-per-minute target must divide by. Exact for the samplers (see expectation).
 */
export function meanCost(spec: RequestSpec, systemTokens: number): number {
  const maxTokens = expectation(spec.maxTokens);
  if (spec.conversation) return systemTokens + expectedConversationPrompt(spec.promptTokens, spec.maxTokens, spec.conversation.turns) + maxTokens;
  // Single turn: the prompt is max(sampled size, system + 1) (one user token at least).
  return expectation(spec.promptTokens, (k) => Math.max(k, systemTokens + 1)) + maxTokens;
}

/** The request rate (req/s) a rate target gives for a mean cost per request: the lower of rate and TPM / (60 × cost). */
export function targetRate(a: { rate?: number; tokensPerMinute?: number }, meanCostTokens: number): number {
  const fromTokens = a.tokensPerMinute === undefined ? Infinity : a.tokensPerMinute / (60 * meanCostTokens);
  return Math.min(a.rate ?? Infinity, fromTokens);
}

const hasRateTarget = (a: Arrival): a is Extract<Arrival, { type: 'constant' | 'poisson' | 'gamma' }> =>
  a.type === 'constant' || a.type === 'poisson' || a.type === 'gamma';

/** Mean rate (req/s) of a process over a window of `durationMs` (its long-run rate when unbounded). */
function meanRate(p: Process, durationMs: number): number {
  if (p.type !== 'shaped') return p.rate;
  if (!Number.isFinite(durationMs) || durationMs <= 0) return tailRate(p);
  return (cumulative(p.intensity, durationMs) * 1000) / durationMs;
}

/** One schedule of the phase and the groups its arrivals go to (by weight). */
interface Stream {
  process: Process;
  stream: (string | number)[];
  groups: number[];
  weights: number[];
}

function planPhase(p: Phase, index: number, startMs: number, scenario: Scenario, groups: Group[], specs: PreparedSpec[]): PhasePlan {
  const active = groups.map((g, gi) => ({ g, gi })).filter(({ g }) => groupActiveIn(g, p.name));
  const base = { name: p.name, index, startMs };
  const requestsOnly = p.durationMs === 0;

  if (p.kind === 'closed') {
    const workers = splitWorkers(p.concurrency, active.map(({ g }) => g.weight));
    const gp: GroupPhasePlan[] = active.map(({ g, gi }, j) => ({ group: gi, name: g.name, concurrency: workers[j]!, meanCostTokens: specs[gi]!.meanCost }));
    const plan: PhasePlan = {
      ...base,
      durationMs: requestsOnly ? DEFAULTS.requestsOnlyMaxDurationMs : p.durationMs,
      kind: 'closed',
      concurrency: p.concurrency,
      groups: gp,
    };
    if (p.requests !== undefined) plan.maxRequests = p.requests;
    if (requestsOnly) plan.endsWhenDone = true;
    if (p.thinkTime) {
      const dist = p.thinkTime;
      plan.thinkTimeMs = (requestId) => sampleMs(dist, createRng(scenario.seed, 'think', requestId));
    }
    return plan;
  }

  // Open loop: the phase's own arrival, shared by weight among the active groups without an
  // arrival of their own; and one schedule per group with its own arrival.
  const phaseDuration = requestsOnly ? undefined : p.durationMs;
  const shared = active.filter(({ g }) => g.arrival === undefined);
  const own = active.filter(({ g }) => g.arrival !== undefined);
  const streams: Stream[] = [];
  const rates = new Map<number, number>();
  let tokenTargeted = false;
  const window = requestsOnly ? Infinity : p.durationMs;

  if (shared.length > 0 && p.arrival) {
    const a = p.arrival;
    const totalWeight = shared.reduce((s, { g }) => s + g.weight, 0);
    let rate: number | undefined;
    if (hasRateTarget(a)) {
      // Weights are shares of requests, so the mix's mean cost is the weighted mean.
      const mixCost = shared.reduce((s, { g, gi }) => s + (g.weight / totalWeight) * specs[gi]!.meanCost, 0);
      rate = targetRate(a, mixCost);
      if (a.tokensPerMinute !== undefined) tokenTargeted = true;
    }
    const process = toProcess(a, phaseDuration, rate === undefined ? {} : { rate });
    const total = meanRate(process, window);
    shared.forEach(({ g, gi }) => rates.set(gi, (total * g.weight) / totalWeight));
    streams.push({ process, stream: [], groups: shared.map(({ gi }) => gi), weights: shared.map(({ g }) => g.weight) });
  }
  for (const { g, gi } of own) {
    const a = g.arrival!;
    let rate: number | undefined;
    if (hasRateTarget(a)) {
      rate = targetRate(a, specs[gi]!.meanCost);
      if (a.tokensPerMinute !== undefined) tokenTargeted = true;
    }
    const process = toProcess(a, phaseDuration, rate === undefined ? {} : { rate });
    rates.set(gi, meanRate(process, window));
    streams.push({ process, stream: ['group', g.name], groups: [gi], weights: [1] });
  }

  const seed = scenario.seed;
  const slotsIn = (startAt: number, durationMs: number, max: number | undefined) => mergedSlots(streams, { seed, index, startMs: startAt, durationMs, max });

  let durationMs = p.durationMs;
  if (requestsOnly) {
    const n = p.requests!;
    if (streams.length === 0 || streams.every((s) => tailRate(s.process) === 0)) {
      throw new ConfigError('a phase bounded by requests alone must keep sending', [
        { path: `phases[${index}].requests`, expected: 'an arrival whose rate stays above 0 (or a duration)', found: `${n} requests and no arrivals after the shape ends` },
      ]);
    }
    // Until the arrival after the N-th: N arrivals fill exactly their own slots (N/rate for constant).
    let last = startMs;
    let next = Infinity;
    let count = 0;
    for (const s of slotsIn(startMs, Infinity, n + 1)) {
      if (++count <= n) last = s.atMs;
      else next = s.atMs;
    }
    if (count < n) {
      throw new ConfigError('a phase bounded by requests alone must reach them', [
        { path: `phases[${index}].requests`, expected: `an arrival process that produces ${n} arrivals (or a duration)`, found: `only ${count}` },
      ]);
    }
    durationMs = Math.max(1, Number.isFinite(next) ? Math.ceil(next - startMs) : 0, Math.floor(last - startMs) + 1);
  }

  const slots = () => slotsIn(startMs, requestsOnly ? Infinity : durationMs, p.requests);
  const plan: PhasePlan = {
    ...base,
    durationMs,
    kind: 'open',
    arrivals: function* () {
      for (const s of slots()) yield s.atMs;
    },
    slots,
    groups: active.map(({ g, gi }) => ({ group: gi, name: g.name, rate: rates.get(gi) ?? 0, meanCostTokens: specs[gi]!.meanCost })),
  };
  if (p.requests !== undefined) plan.maxRequests = p.requests;
  if (tokenTargeted) plan.derivedRate = [...rates.values()].reduce((a, b) => a + b, 0);
  return plan;
}

/** Workers per group: N split by weight, largest remainder first (ties: the earlier group). */
export function splitWorkers(n: number, weights: number[]): number[] {
  if (weights.length === 0) return [];
  const total = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (n * w) / total);
  const out = exact.map(Math.floor);
  let left = n - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ r: x - Math.floor(x), i })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left-- <= 0) break;
    out[i]!++;
  }
  return out;
}

/**
 * The phase's streams merged in time order (ties: the lower group index first), each arrival
 * tagged with its group and that group's running index. A shared stream's arrivals go to its
 * groups by weight: smooth weighted round-robin for deterministic processes (exact shares,
 * evenly interleaved), an independent seeded draw for random ones (splitting a Poisson
 * process this way gives independent Poisson processes).
 */
function* mergedSlots(
  streams: Stream[],
  w: { seed: number; index: number; startMs: number; durationMs: number; max: number | undefined },
): Generator<Slot> {
  const seq = new Map<number, number>();
  const heads = streams.map((s) => {
    const it = processSchedule(s.process, { startMs: w.startMs, durationMs: w.durationMs, seed: w.seed, phaseIndex: w.index, stream: s.stream })()[Symbol.iterator]();
    return { it, s, pick: picker(s, isStochastic(s.process) ? createRng(w.seed, 'assign', w.index, ...s.stream) : undefined), next: undefined as Slot | undefined };
  });
  const advance = (h: (typeof heads)[number]) => {
    const r = h.it.next();
    h.next = r.done ? undefined : { atMs: r.value, group: h.pick(), seq: 0 };
  };
  heads.forEach(advance);
  const max = w.max ?? Infinity;
  for (let n = 0; n < max; n++) {
    let best: (typeof heads)[number] | undefined;
    for (const h of heads) {
      if (h.next && (!best || h.next.atMs < best.next!.atMs || (h.next.atMs === best.next!.atMs && h.next.group < best.next!.group))) best = h;
    }
    if (!best) return;
    const slot = best.next!;
    const k = seq.get(slot.group) ?? 0;
    seq.set(slot.group, k + 1);
    slot.seq = k;
    advance(best);
    yield slot;
  }
}

function picker(s: Stream, rng: ReturnType<typeof createRng> | undefined): () => number {
  if (s.groups.length === 1) return () => s.groups[0]!;
  const total = s.weights.reduce((a, b) => a + b, 0);
  if (rng) {
    return () => {
      let u = rng.next() * total;
      for (let i = 0; i < s.groups.length; i++) if ((u -= s.weights[i]!) < 0) return s.groups[i]!;
      return s.groups[s.groups.length - 1]!;
    };
  }
  const current = s.weights.map(() => 0);
  return () => {
    let best = 0;
    for (let i = 0; i < current.length; i++) {
      current[i]! += s.weights[i]!;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    return s.groups[best]!;
  };
}
