/**
 * MockCore: everything the mock decides, independent of HTTP. Holds the profile, the buckets
 * (per model), the counters, the clock and the seed. The MSW handlers, the node:http server
 * and the virtual-time simulator all drive this same object.
 */
import { RealClock, type Clock } from '../../src/clock.js';
import { ConfigError, type Issue } from '../../src/errors.js';
import { hashSeed, createRng } from '../../src/plan/rng.js';
import { getProfile, DEFAULT_PROFILE, type ModelProfile, type Profile } from '../profiles/index.js';
import { admit, limitsView, refundTokens, type AdmissionDecision, type AdmissionInput, type AdmissionSettings, type ModelLimits } from './admission.js';
import { MemoryBucketStore, perMinute, type BucketStore } from './bucket.js';
import type { LimitsView } from './dialect-openai.js';
import { planTiming, type LatencyModel, type Timing } from './latency.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import { Counters, type MockState, type ModelState, type RejectionClass } from './state.js';

export interface MockCoreOptions {
  /** Profile name (see profileNames()) or a Profile object. Default 'qwen2'. */
  profile?: string | Profile;
  /** The default model (whose buckets `state().buckets` shows). Default: the profile's. */
  model?: string;
  /** Override every model's requests-per-minute limit. */
  rpm?: number;
  /** Override every model's tokens-per-minute limit. */
  tpm?: number;
  /** Override every model's context window (tokens). */
  contextWindow?: number;
  /** Default RealClock. Pass a VirtualClock for exact, repeatable timing. */
  clock?: Clock;
  /** Seeds latency jitter, output words and lengths, ids. Default 0. */
  seed?: number;
  /** Overrides of the profile's latency (applied over each model's own latency). */
  latency?: Partial<LatencyModel>;
  /** Return the unused part of max_tokens to TPM when a response ends. Default true. */
  refundUnused?: boolean;
  /** A 429'd request still costs one request of RPM. Default false (rejections consume nothing). */
  rejectedConsumeRequests?: boolean;
  /** Which limit a 429 names when both are short. Default 'requests'. */
  bothExhausted?: AdmissionSettings['bothExhausted'];
  /** 'max' (default): every completion is max_tokens long (finish_reason "length"); 'seeded': a seeded length in [1, max_tokens] ("stop" when shorter). */
  outputLength?: 'max' | 'seeded';
  /** Tokens per SSE chunk when streaming. Default 1. */
  streamChunkTokens?: number;
  /** Largest accepted request body; larger gets 413. Default 4 MiB. */
  maxBodyBytes?: number;
  /** Organization id in 429 messages. Default: the profile's. */
  org?: string;
  /** Where bucket states live. Default: in memory. */
  store?: BucketStore;
  /** Unix epoch ms corresponding to clock time 0 (for `created`). Default: derived from Date.now(). */
  epochMs?: number;
}

export interface ResolvedModel extends ModelLimits {
  profile: ModelProfile;
  latency: LatencyModel;
}

export interface Ticket {
  /** Sequence number of the chat request in this core (seeds its timing and content). */
  index: number;
  model: ResolvedModel;
  promptTokens: number;
  /** Completion budget (max_tokens or the default). */
  maxTokens: number;
  /** Tokens charged to TPM. */
  cost: number;
  admittedAt: number;
  /** Completion length this response will have, and why it ends. */
  completionTokens: number;
  finishReason: 'stop' | 'length';
  timing: Timing;
  limits: LimitsView;
  done: boolean;
  /** The core's reset generation at admission: a ticket from before a reset does not touch the new counters. */
  generation: number;
}

export type ChatAdmission =
  | { ok: true; index: number; ticket: Ticket }
  | { ok: false; index: number; decision: Exclude<AdmissionDecision, { kind: 'admitted' }> };

export interface MockSettings {
  seed: number;
  org: string;
  refundUnused: boolean;
  outputLength: 'max' | 'seeded';
  streamChunkTokens: number;
  maxBodyBytes: number;
  admission: AdmissionSettings;
}

const REJECTION_OF: Record<Exclude<AdmissionDecision['kind'], 'admitted'>, (d: AdmissionDecision) => RejectionClass> = {
  max_tokens_too_large: () => 'bad_request',
  context_exceeded: () => 'context_exceeded',
  request_too_large: () => 'request_too_large',
  rate_limited: (d) => ((d as { dimension: string }).dimension === 'requests' ? 'rate_limited_requests' : 'rate_limited_tokens'),
};

function positiveInt(issues: Issue[], path: string, v: unknown): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) issues.push({ path, expected: 'an integer ≥ 1', found: JSON.stringify(v) ?? String(v) });
}

/** Later layers win; undefined fields (e.g. from optional CLI flags) do not override. */
function mergeLatency(base: LatencyModel, ...layers: (Partial<LatencyModel> | undefined)[]): LatencyModel {
  const out: LatencyModel = { ...base };
  for (const l of layers) {
    if (!l) continue;
    for (const k of Object.keys(l) as (keyof LatencyModel)[]) {
      const v = l[k];
      if (v !== undefined) out[k] = v;
    }
  }
  return out;
}

export class MockCore {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly profile: Profile;
  readonly settings: MockSettings;
  readonly store: BucketStore;
  readonly defaultModel: ResolvedModel;
  readonly models: ReadonlyMap<string, ResolvedModel>;
  private counters = new Counters();
  private perModel = new Map<string, { admitted: number; rejected: number }>();
  private nextIndex = 0;
  private generation = 0;
  private readonly epochBase: number;
  private readonly idSalt: string;

  constructor(opts: MockCoreOptions = {}) {
    const issues: Issue[] = [];
    positiveInt(issues, 'rpm', opts.rpm);
    positiveInt(issues, 'tpm', opts.tpm);
    positiveInt(issues, 'contextWindow', opts.contextWindow);
    positiveInt(issues, 'streamChunkTokens', opts.streamChunkTokens);
    positiveInt(issues, 'maxBodyBytes', opts.maxBodyBytes);
    if (opts.seed !== undefined && (typeof opts.seed !== 'number' || !Number.isFinite(opts.seed))) issues.push({ path: 'seed', expected: 'a finite number', found: String(opts.seed) });
    if (opts.outputLength !== undefined && opts.outputLength !== 'max' && opts.outputLength !== 'seeded') issues.push({ path: 'outputLength', expected: "'max' or 'seeded'", found: JSON.stringify(opts.outputLength) });
    if (opts.bothExhausted !== undefined && !['requests', 'tokens', 'longer-wait'].includes(opts.bothExhausted)) issues.push({ path: 'bothExhausted', expected: "'requests', 'tokens' or 'longer-wait'", found: JSON.stringify(opts.bothExhausted) });
    const lat = opts.latency;
    if (lat) {
      for (const k of ['ttftMs', 'tokensPerSecond', 'jitter', 'prefillTokensPerSecond'] as const) {
        const v = lat[k];
        if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v) || v < 0)) issues.push({ path: `latency.${k}`, expected: 'a number ≥ 0', found: String(v) });
      }
      if (lat.jitter !== undefined && lat.jitter >= 1) issues.push({ path: 'latency.jitter', expected: 'a fraction in [0, 1)', found: String(lat.jitter) });
    }
    if (issues.length) throw new ConfigError('invalid mock server options', issues);

    this.profile = typeof opts.profile === 'object' ? opts.profile : getProfile(opts.profile ?? DEFAULT_PROFILE);
    if (this.profile.dialect !== 'openai') {
      throw new ConfigError('unsupported mock dialect', [{ path: 'profile.dialect', expected: "'openai'", found: JSON.stringify(this.profile.dialect) }]);
    }
    this.clock = opts.clock ?? new RealClock();
    this.scheduler = createScheduler(this.clock);
    this.store = opts.store ?? new MemoryBucketStore();
    const seed = opts.seed ?? 0;
    this.settings = {
      seed,
      org: opts.org ?? this.profile.org,
      refundUnused: opts.refundUnused ?? true,
      outputLength: opts.outputLength ?? 'max',
      streamChunkTokens: opts.streamChunkTokens ?? 1,
      maxBodyBytes: opts.maxBodyBytes ?? 4 * 1024 * 1024,
      admission: {
        rejectedConsumeRequests: opts.rejectedConsumeRequests ?? false,
        bothExhausted: opts.bothExhausted ?? 'requests',
      },
    };
    const models = new Map<string, ResolvedModel>();
    for (const p of this.profile.models) {
      models.set(p.id, {
        id: p.id,
        contextWindow: opts.contextWindow ?? p.contextWindow,
        maxOutputTokens: p.maxOutputTokens,
        requests: perMinute(opts.rpm ?? p.rpm),
        tokens: perMinute(opts.tpm ?? p.tpm),
        keys: [`${this.settings.org}:${p.id}:requests`, `${this.settings.org}:${p.id}:tokens`],
        profile: p,
        latency: mergeLatency(this.profile.latency, p.latency, opts.latency),
      });
    }
    this.models = models;
    const def = models.get(opts.model ?? this.profile.defaultModel);
    if (!def) {
      throw new ConfigError(`unknown model for profile ${this.profile.name}`, [
        { path: 'model', expected: `one of ${[...models.keys()].join(', ')}`, found: JSON.stringify(opts.model) },
      ]);
    }
    this.defaultModel = def;
    this.epochBase = opts.epochMs ?? Date.now() - this.clock.now();
    this.idSalt = hashSeed(seed, 'ids').toString(16).padStart(8, '0');
  }

  resolveModel(id: string): ResolvedModel | undefined {
    return this.models.get(id);
  }

  /** Runs admission for one chat request and records the outcome in the counters. */
  admit(model: ResolvedModel, input: AdmissionInput): ChatAdmission {
    const index = this.nextIndex++;
    const now = this.clock.now();
    const d = admit(this.store, model, now, input, this.settings.admission);
    const pm = this.modelCounters(model.id);
    if (d.kind !== 'admitted') {
      this.counters.rejected[REJECTION_OF[d.kind](d)]++;
      pm.rejected++;
      return { ok: false, index, decision: d };
    }
    this.counters.admitted++;
    this.counters.chargedTokens += d.cost;
    pm.admitted++;
    let completionTokens = d.maxTokens;
    if (this.settings.outputLength === 'seeded' && d.maxTokens > 1) {
      completionTokens = createRng(this.settings.seed, 'length', index).int(1, d.maxTokens);
    }
    const ticket: Ticket = {
      index,
      model,
      promptTokens: input.promptTokens,
      maxTokens: d.maxTokens,
      cost: d.cost,
      admittedAt: now,
      completionTokens,
      finishReason: completionTokens < d.maxTokens ? 'stop' : 'length',
      timing: planTiming(model.latency, this.settings.seed, index, input.promptTokens),
      limits: d.limits,
      done: false,
      generation: this.generation,
    };
    return { ok: true, index, ticket };
  }

  /**
   * The response of `ticket` ended after `completionTokens` tokens (all of them, or fewer when
   * the client went away). Refunds the unused budget when `refundUnused`. Idempotent.
   */
  finish(ticket: Ticket, completionTokens: number, aborted = false): void {
    if (ticket.done) return;
    ticket.done = true;
    if (ticket.generation !== this.generation) return;
    const c = this.counters;
    c.completed++;
    if (aborted) c.aborted++;
    c.promptTokens += ticket.promptTokens;
    c.completionTokens += completionTokens;
    if (this.settings.refundUnused) {
      const unused = ticket.cost - ticket.promptTokens - completionTokens;
      if (unused > 0) {
        refundTokens(this.store, ticket.model, this.clock.now(), unused);
        c.refundedTokens += unused;
      }
    }
  }

  /** Counts a rejection decided outside admission (bad body, unknown model, oversized body). */
  reject(cls: RejectionClass, model?: string): void {
    this.counters.rejected[cls]++;
    if (model && this.models.has(model)) this.modelCounters(model).rejected++;
  }

  limits(model: ResolvedModel = this.defaultModel): LimitsView {
    return limitsView(this.store, model, this.clock.now());
  }

  /** Unix seconds for `created`. */
  created(): number {
    return Math.floor((this.epochBase + this.clock.now()) / 1000);
  }

  completionId(index: number): string {
    return `chatcmpl-${this.idSalt}${index.toString(16).padStart(8, '0')}`;
  }

  requestId(index: number): string {
    return `req_${this.idSalt}${index.toString(16).padStart(8, '0')}`;
  }

  state(): MockState {
    const c = this.counters;
    const now = this.clock.now();
    const models: Record<string, ModelState> = {};
    for (const [id, m] of this.models) {
      const pm = this.perModel.get(id);
      models[id] = { admitted: pm?.admitted ?? 0, rejected: pm?.rejected ?? 0, buckets: limitsView(this.store, m, now) };
    }
    return {
      now,
      profile: this.profile.name,
      dialect: this.profile.dialect,
      org: this.settings.org,
      model: this.defaultModel.id,
      admitted: c.admitted,
      completed: c.completed,
      aborted: c.aborted,
      inFlight: c.inFlight,
      rejected: { ...c.rejected },
      rejectedTotal: c.rejectedTotal,
      tokens: { prompt: c.promptTokens, completion: c.completionTokens, charged: c.chargedTokens, refunded: c.refundedTokens },
      buckets: limitsView(this.store, this.defaultModel, now),
      models,
      settings: {
        refundUnused: this.settings.refundUnused,
        rejectedConsumeRequests: this.settings.admission.rejectedConsumeRequests,
        bothExhausted: this.settings.admission.bothExhausted,
        outputLength: this.settings.outputLength,
        seed: this.settings.seed,
      },
    };
  }

  /** Full buckets, zero counters, request sequence back to 0. Responses in flight still run but no longer count or refund. */
  reset(): void {
    this.generation++;
    this.store.clear();
    this.counters = new Counters();
    this.perModel.clear();
    this.nextIndex = 0;
  }

  private modelCounters(id: string): { admitted: number; rejected: number } {
    let pm = this.perModel.get(id);
    if (!pm) {
      pm = { admitted: 0, rejected: 0 };
      this.perModel.set(id, pm);
    }
    return pm;
  }
}

export function createMockCore(opts: MockCoreOptions = {}): MockCore {
  return new MockCore(opts);
}
