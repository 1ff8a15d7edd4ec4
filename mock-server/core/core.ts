/**
 * MockCore: everything the mock decides, independent of HTTP. Holds the profile, the buckets
 * (per model), the counters, the clock and the seed. The MSW handlers, the node:http server
 * and the virtual-time simulator all drive this same object.
 */
import { RealClock, type Clock } from '../../src/clock.js';
import { ConfigError, type Issue } from '../../src/errors.js';
import { hashSeed, createRng } from '../../src/plan/rng.js';
import { getDialect, type DialectName, type DialectSpec } from '../dialects/index.js';
import { getProfile, DEFAULT_PROFILE, DIALECT_DEFAULT_PROFILE, type ModelProfile, type Profile } from '../profiles/index.js';
import { admit, chargeOutput, checkpoint, limitsView, refundTokens, releaseConcurrent, ruleViews, rulesOf, type AdmissionDecision, type AdmissionInput, type AdmissionSettings, type ModelLimits } from './admission.js';
import { MemoryBucketStore, type BucketStore, type BucketView } from './bucket.js';
import { DEFAULT_BURST, type BurstSpec } from './burst.js';
import { decideFault, decideOverload, type Fault, type FaultRule, type OverloadDecision, type OverloadOptions } from './faults.js';
import { Referee } from './referee.js';
import { buildRules, capacityIssues, LIMIT_VALUE_KEYS, type Enforcement, type LimitValues, type RuleName } from './rules.js';
import type { LimitsView } from './dialect-openai.js';
import { planTiming, type LatencyModel, type Timing } from './latency.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import { SharedLimiter, unsupportedRules, type SharedReservation, type StoreFailureMode } from '../store/shared.js';
import type { LimiterStore } from '../store/types.js';
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
  /**
   * A shared limiter store (mock-server/store): admission and settle go through it, atomically,
   * so several mock instances enforce one limit. Absent (default): the in-process BucketStore.
   */
  limiterStore?: LimiterStore;
  /** Shared store unreachable: 'closed' (default, 503 naming the outage) or 'open-local' (limit / storeInstances per instance). */
  storeFailure?: StoreFailureMode;
  /** N of 'open-local'. */
  storeInstances?: number;
  /** How long a shared reservation waits for its settle (ms). Default 600000. */
  reservationTtlMs?: number;
  /** Wire dialect (openai, groq, azure, dashscope, anthropic). Default: the profile's; a dialect without a profile picks its own default profile. */
  dialect?: DialectName;
  /** Override every model's requests / tokens per day, Anthropic input / output tokens per minute, max concurrent requests. */
  rpd?: number;
  tpd?: number;
  itpm?: number;
  otpm?: number;
  maxConcurrent?: number;
  /**
   * Bucket capacity (burst) of every model's RPM / TPM bucket when it differs from the refill
   * (burst ≠ refill): holds up to this many requests / tokens, refills at rpm / tpm per minute.
   * Headers: limit = rpm / tpm (the rate), remaining = the content (≤ capacity), reset = time
   * until the bucket holds its capacity again. Continuous buckets only (not Azure's 10 s requests).
   */
  rpmCapacity?: number;
  tpmCapacity?: number;
  /** Limit algorithms and the sub-minute layer (default: the dialect's). */
  enforcement?: Partial<Enforcement>;
  /** DashScope-style burst guard (off by default: the real thresholds are unpublished). */
  burst?: Partial<BurstSpec> & { factor: number };
  /** Validation (context, max_tokens) before limits. Default true. */
  validateFirst?: boolean;
  /** What token limits charge for the prompt: the tokenizer count (default) or ceil(characters / 4), OpenAI's character-based estimate (usage still reports the tokenizer count). */
  tokenEstimate?: 'tokenizer' | 'chars/4';
  /** 'sum' (default): prompt + n × max_tokens; 'max': max(prompt, n × max_tokens). */
  tokenReserve?: 'sum' | 'max';
  /** When the 200 headers of a stream go out: at admission (default) or at the first token. */
  flushHeadersAt?: 'admission' | 'ttft';
  /** Drop the rate-limit headers from 429s (OpenAI's Responses API was seen doing so). Default false. */
  dropRateLimitHeadersOn429?: boolean;
  /**
   * API keys. Absent: every request is accepted as tenant "default". Present: a missing or
   * unknown key gets the dialect's 401; each key is its own tenant with its own limits
   * (DashScope: the account's limits, shared by its keys).
   */
  apiKeys?: Record<string, TenantConfig> | readonly string[];
  /** Required (Bearer or x-limitprobe-admin-token) for /__limitprobe/* routes when set. */
  adminToken?: string;
  /** Spend budget in USD for every tenant (each tenant may set its own); spent → the dialect's quota error (fatal, no retry-after). */
  budgetUsd?: number;
  /** Provider-wide overload: capacity model and/or timeline. */
  overload?: OverloadOptions;
  /** Transport faults, by probability or schedule. */
  faults?: FaultRule[];
  /** Unix epoch ms corresponding to clock time 0 (for `created`). Default: derived from Date.now(). */
  epochMs?: number;
}

/** One API key's tenant. */
export interface TenantConfig {
  /** Ledger name (default key-1, key-2… in configuration order; keys themselves never appear). */
  name?: string;
  /** DashScope: the root account the key belongs to (default "account"). */
  account?: string;
  /** This tenant's limits (over the model's and the options'). */
  limits?: LimitValues;
  budgetUsd?: number;
}

export interface Tenant {
  name: string;
  /** Scope of its limits: the tenant, or its account. */
  scope: string;
  limits: LimitValues;
  budgetUsd?: number;
}

/** A runtime limit change (control API POST /__limitprobe/config, or core.setLimits). */
export interface LimitChange extends LimitValues {
  /** Only this model (default: all). */
  model?: string;
  /** Only this tenant (default: all). */
  tenant?: string;
}

export interface ResolvedModel extends ModelLimits {
  profile: ModelProfile;
  latency: LatencyModel;
  /** The tenant whose limits these are ("default" for the shared view). */
  tenant?: string;
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
  /** Tenant name. */
  tenant?: string;
  /** Output tokens already charged ('generated' mode). */
  outputCharged?: number;
  /** Transport fault chosen for this request. */
  fault?: Fault;
  /** Shared limiter store reservation, settled at finish. */
  reservation?: SharedReservation;
}

export type ChatAdmission =
  | { ok: true; index: number; ticket: Ticket }
  | { ok: false; index: number; decision: Exclude<AdmissionDecision, { kind: 'admitted' }> };

/** The shared limiter store was unreachable and the failure mode is 'closed'. */
export interface StoreOutageAdmission {
  ok: false;
  outage: true;
  index: number;
  store: string;
  error: string;
}

export interface MockSettings {
  seed: number;
  org: string;
  refundUnused: boolean;
  outputLength: 'max' | 'seeded';
  streamChunkTokens: number;
  maxBodyBytes: number;
  admission: AdmissionSettings;
  dropRateLimitHeadersOn429: boolean;
  adminToken?: string;
  tokenEstimate: 'tokenizer' | 'chars/4';
  flushHeadersAt: 'admission' | 'ttft';
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
  readonly dialect: DialectSpec;
  readonly settings: MockSettings;
  readonly store: BucketStore;
  /** The shared limiter store, when configured (limiterStore). */
  readonly shared: SharedLimiter | undefined;
  readonly defaultModel: ResolvedModel;
  readonly models: ReadonlyMap<string, ResolvedModel>;
  /** The per-tenant ledger of client behaviour (`referee.ledger()`; refereeRows() for CSV). */
  readonly referee: Referee;
  /** Whether requests must carry a configured API key. */
  readonly authRequired: boolean;
  overload: OverloadOptions | undefined;
  faults: FaultRule[] | undefined;
  private readonly tenantsByKey = new Map<string, Tenant>();
  private readonly defaultTenant: Tenant;
  private readonly baseValues = new Map<string, LimitValues>();
  private readonly optionValues: LimitValues;
  private changes: LimitChange[] = [];
  private readonly tenantModels = new Map<string, ResolvedModel>();
  private readonly burst: BurstSpec | undefined;
  private counters = new Counters();
  private perModel = new Map<string, { admitted: number; rejected: number }>();
  private spent = new Map<string, number>();
  private nextIndex = 0;
  private generation = 0;
  private readonly epochBase: number;
  private readonly idSalt: string;

  constructor(opts: MockCoreOptions = {}) {
    const issues: Issue[] = [];
    positiveInt(issues, 'rpm', opts.rpm);
    positiveInt(issues, 'tpm', opts.tpm);
    positiveInt(issues, 'rpd', opts.rpd);
    positiveInt(issues, 'tpd', opts.tpd);
    positiveInt(issues, 'itpm', opts.itpm);
    positiveInt(issues, 'otpm', opts.otpm);
    positiveInt(issues, 'maxConcurrent', opts.maxConcurrent);
    positiveInt(issues, 'rpmCapacity', opts.rpmCapacity);
    positiveInt(issues, 'tpmCapacity', opts.tpmCapacity);
    positiveInt(issues, 'contextWindow', opts.contextWindow);
    positiveInt(issues, 'streamChunkTokens', opts.streamChunkTokens);
    positiveInt(issues, 'maxBodyBytes', opts.maxBodyBytes);
    if (opts.seed !== undefined && (typeof opts.seed !== 'number' || !Number.isFinite(opts.seed))) issues.push({ path: 'seed', expected: 'a finite number', found: String(opts.seed) });
    if (opts.outputLength !== undefined && opts.outputLength !== 'max' && opts.outputLength !== 'seeded') issues.push({ path: 'outputLength', expected: "'max' or 'seeded'", found: JSON.stringify(opts.outputLength) });
    if (opts.bothExhausted !== undefined && !['requests', 'tokens', 'longer-wait'].includes(opts.bothExhausted)) issues.push({ path: 'bothExhausted', expected: "'requests', 'tokens' or 'longer-wait'", found: JSON.stringify(opts.bothExhausted) });
    if (opts.burst !== undefined && !(typeof opts.burst.factor === 'number' && opts.burst.factor > 0)) issues.push({ path: 'burst.factor', expected: 'a number > 0', found: String(opts.burst.factor) });
    if (opts.tokenEstimate !== undefined && opts.tokenEstimate !== 'tokenizer' && opts.tokenEstimate !== 'chars/4') issues.push({ path: 'tokenEstimate', expected: "'tokenizer' or 'chars/4'", found: JSON.stringify(opts.tokenEstimate) });
    if (opts.tokenReserve !== undefined && opts.tokenReserve !== 'sum' && opts.tokenReserve !== 'max') issues.push({ path: 'tokenReserve', expected: "'sum' or 'max'", found: JSON.stringify(opts.tokenReserve) });
    if (opts.flushHeadersAt !== undefined && opts.flushHeadersAt !== 'admission' && opts.flushHeadersAt !== 'ttft') issues.push({ path: 'flushHeadersAt', expected: "'admission' or 'ttft'", found: JSON.stringify(opts.flushHeadersAt) });
    if (opts.budgetUsd !== undefined && !(typeof opts.budgetUsd === 'number' && opts.budgetUsd >= 0)) issues.push({ path: 'budgetUsd', expected: 'a number ≥ 0', found: String(opts.budgetUsd) });
    const lat = opts.latency;
    if (lat) {
      for (const k of ['ttftMs', 'tokensPerSecond', 'jitter', 'prefillTokensPerSecond'] as const) {
        const v = lat[k];
        if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v) || v < 0)) issues.push({ path: `latency.${k}`, expected: 'a number ≥ 0', found: String(v) });
      }
      if (lat.jitter !== undefined && lat.jitter >= 1) issues.push({ path: 'latency.jitter', expected: 'a fraction in [0, 1)', found: String(lat.jitter) });
    }
    if (issues.length) throw new ConfigError('invalid mock server options', issues);

    const profileName = opts.profile ?? (opts.dialect ? DIALECT_DEFAULT_PROFILE[opts.dialect] : undefined) ?? DEFAULT_PROFILE;
    this.profile = typeof profileName === 'object' ? profileName : getProfile(profileName);
    this.dialect = getDialect(opts.dialect ?? this.profile.dialect);
    this.clock = opts.clock ?? new RealClock();
    this.scheduler = createScheduler(this.clock);
    this.store = opts.store ?? new MemoryBucketStore();
    this.referee = new Referee(() => this.clock.now());
    this.overload = opts.overload;
    this.faults = opts.faults;
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
        validateFirst: opts.validateFirst ?? true,
      },
      dropRateLimitHeadersOn429: opts.dropRateLimitHeadersOn429 ?? false,
      tokenEstimate: opts.tokenEstimate ?? 'tokenizer',
      flushHeadersAt: opts.flushHeadersAt ?? 'admission',
    };
    this.tokenReserve = opts.tokenReserve ?? 'sum';
    if (opts.adminToken !== undefined) this.settings.adminToken = opts.adminToken;
    this.burst = opts.burst ? { ...DEFAULT_BURST, ...opts.burst } : undefined;
    this.enforcement = { ...this.dialect.enforcement, ...opts.enforcement };

    this.optionValues = {};
    for (const k of LIMIT_VALUE_KEYS) if (opts[k] !== undefined) this.optionValues[k] = opts[k];
    for (const p of this.profile.models) {
      const v: LimitValues = {};
      for (const k of LIMIT_VALUE_KEYS) if (p[k] !== undefined) v[k] = p[k];
      this.baseValues.set(p.id, v);
    }

    // Tenants.
    this.defaultTenant = { name: 'default', scope: this.dialect.scope === 'account' ? 'account' : this.settings.org, limits: {} };
    if (opts.budgetUsd !== undefined) this.defaultTenant.budgetUsd = opts.budgetUsd;
    const keys = opts.apiKeys;
    this.authRequired = keys !== undefined;
    if (keys) {
      const entries: [string, TenantConfig][] = Array.isArray(keys) ? (keys as readonly string[]).map((k) => [k, {}]) : Object.entries(keys as Record<string, TenantConfig>);
      entries.forEach(([key, cfg], i) => {
        const name = cfg.name ?? `key-${i + 1}`;
        const t: Tenant = { name, scope: this.dialect.scope === 'account' ? (cfg.account ?? 'account') : name, limits: cfg.limits ?? {} };
        const budget = cfg.budgetUsd ?? opts.budgetUsd;
        if (budget !== undefined) t.budgetUsd = budget;
        this.tenantsByKey.set(key, t);
      });
    }

    this.contextWindow = opts.contextWindow;
    this.latencyOpt = opts.latency;
    const capIssues = this.capacityProblems();
    if (capIssues.length) throw new ConfigError('bucket capacity without a continuous per-minute bucket to size', capIssues);
    const models = new Map<string, ResolvedModel>();
    for (const p of this.profile.models) models.set(p.id, this.resolveFor(this.defaultTenant, p));
    this.models = models;
    const def = models.get(opts.model ?? this.profile.defaultModel);
    if (!def) {
      throw new ConfigError(`unknown model for profile ${this.profile.name}`, [
        { path: 'model', expected: `one of ${[...models.keys()].join(', ')}`, found: JSON.stringify(opts.model) },
      ]);
    }
    this.defaultModel = def;
    if (opts.limiterStore) {
      const bad: Issue[] = [];
      for (const m of models.values()) for (const u of unsupportedRules(m)) bad.push({ path: `limiterStore (${m.id})`, expected: 'continuous-refill buckets with integer limits', found: u });
      if (opts.maxConcurrent !== undefined || (opts.apiKeys && !Array.isArray(opts.apiKeys) && Object.values(opts.apiKeys as Record<string, TenantConfig>).some((c) => c.limits?.maxConcurrent !== undefined))) {
        bad.push({ path: 'limiterStore', expected: 'no max-concurrent limit (not shared yet)', found: 'maxConcurrent' });
      }
      if (bad.length) throw new ConfigError('limits the shared limiter store cannot enforce', bad);
      const so: ConstructorParameters<typeof SharedLimiter>[1] = { nowMs: () => this.clock.now() };
      if (opts.storeFailure !== undefined) so.failure = opts.storeFailure;
      if (opts.storeInstances !== undefined) so.instances = opts.storeInstances;
      if (opts.reservationTtlMs !== undefined) so.reservationTtlMs = opts.reservationTtlMs;
      this.shared = new SharedLimiter(opts.limiterStore, so);
    } else this.shared = undefined;
    this.epochBase = opts.epochMs ?? Date.now() - this.clock.now();
    this.idSalt = hashSeed(seed, 'ids').toString(16).padStart(8, '0');
  }

  private readonly enforcement: Enforcement;
  private readonly tokenReserve: 'sum' | 'max';
  private readonly contextWindow: number | undefined;
  private readonly latencyOpt: Partial<LatencyModel> | undefined;

  /** Capacities (rpmCapacity, tpmCapacity) that no model/tenant can apply: a capacity needs its per-minute limit as a continuous bucket. */
  private capacityProblems(): Issue[] {
    const out: Issue[] = [];
    const seen = new Set<string>();
    for (const t of [this.defaultTenant, ...this.tenantsByKey.values()]) {
      for (const p of this.profile.models) {
        for (const i of capacityIssues(this.limitValues(t, p.id), this.enforcement)) {
          const path = `${i.path} (model ${p.id}${t === this.defaultTenant ? '' : `, tenant ${t.name}`})`;
          if (!seen.has(i.path + i.found)) out.push({ ...i, path });
          seen.add(i.path + i.found);
        }
      }
    }
    return out;
  }

  /** Limit values of `model` for `tenant`: profile → options → tenant → runtime changes; Azure derives RPM as 6 per 1,000 TPM. */
  limitValues(tenant: Tenant, model: string): LimitValues {
    const v: LimitValues = { ...this.baseValues.get(model), ...this.optionValues, ...tenant.limits };
    for (const c of this.changes) {
      if (c.model !== undefined && c.model !== model) continue;
      if (c.tenant !== undefined && c.tenant !== tenant.name) continue;
      for (const k of LIMIT_VALUE_KEYS) if (c[k] !== undefined) v[k] = c[k];
    }
    if (this.dialect.name === 'azure' && v.rpm === undefined && v.tpm !== undefined) v.rpm = Math.max(1, Math.floor((v.tpm * 6) / 1000));
    return v;
  }

  private resolveFor(tenant: Tenant, p: ModelProfile): ResolvedModel {
    const v = this.limitValues(tenant, p.id);
    const rules = buildRules(tenant.scope, p.id, v, this.enforcement);
    const pick = (names: readonly RuleName[]) => {
      for (const n of names) {
        const i = rules.findIndex((r) => r.name === n);
        if (i >= 0) return i;
      }
      return -1;
    };
    let hr = pick(this.dialect.headline.requests);
    let ht = pick(this.dialect.headline.tokens);
    if (hr < 0) hr = rules.findIndex((r) => r.counts === 'requests');
    if (ht < 0) ht = rules.findIndex((r) => r.counts !== 'requests' && r.counts !== 'concurrent');
    const none = { limit: 0, windowMs: 60_000 };
    const m: ResolvedModel = {
      id: p.id,
      contextWindow: this.contextWindow ?? p.contextWindow,
      maxOutputTokens: p.maxOutputTokens,
      requests: rules[hr]?.spec ?? none,
      tokens: rules[ht]?.spec ?? none,
      keys: [rules[hr]?.key ?? `${tenant.scope}:${p.id}:-r`, rules[ht]?.key ?? `${tenant.scope}:${p.id}:-t`],
      rules,
      headline: { requests: hr, tokens: ht },
      charge: this.dialect.charge,
      reserve: this.tokenReserve,
      profile: p,
      latency: mergeLatency(this.profile.latency, p.latency, this.latencyOpt),
      tenant: tenant.name,
    };
    if (p.maxInputTokens !== undefined && this.contextWindow === undefined) m.maxInputTokens = p.maxInputTokens;
    if (this.burst) m.burst = { spec: this.burst, key: `${tenant.scope}:${p.id}:burst` };
    return m;
  }

  resolveModel(id: string): ResolvedModel | undefined {
    return this.models.get(id);
  }

  /** The tenant of an API key: undefined when keys are configured and this one is missing or unknown. */
  authenticate(key: string | undefined): Tenant | undefined {
    if (!this.authRequired) return this.defaultTenant;
    return key === undefined ? undefined : this.tenantsByKey.get(key);
  }

  tenants(): Tenant[] {
    return this.authRequired ? [...this.tenantsByKey.values()] : [this.defaultTenant];
  }

  /** `model`'s limits as `tenant` sees them (cached; rebuilt after setLimits). */
  modelFor(model: ResolvedModel, tenant: Tenant | string | undefined): ResolvedModel {
    const t = typeof tenant === 'string' ? this.tenantNamed(tenant) : tenant;
    if (!t || t === this.defaultTenant) return model;
    const k = t.name + '\0' + model.id;
    let m = this.tenantModels.get(k);
    if (!m) {
      m = this.resolveFor(t, model.profile);
      this.tenantModels.set(k, m);
    }
    return m;
  }

  private tenantNamed(name: string): Tenant | undefined {
    if (name === this.defaultTenant.name) return this.defaultTenant;
    for (const t of this.tenantsByKey.values()) if (t.name === name) return t;
    return undefined;
  }

  /**
   * Changes limits while the mock runs (a quota cut, a raise). Bucket contents are kept and
   * capped at the new limit. Applies to every model/tenant unless `model`/`tenant` narrow it.
   */
  setLimits(change: LimitChange): void {
    const issues: Issue[] = [];
    for (const k of LIMIT_VALUE_KEYS) positiveInt(issues, k, change[k]);
    if (change.model !== undefined && !this.models.has(change.model)) issues.push({ path: 'model', expected: `one of ${[...this.models.keys()].join(', ')}`, found: JSON.stringify(change.model) });
    if (change.tenant !== undefined && !this.tenantNamed(change.tenant)) issues.push({ path: 'tenant', expected: `one of ${this.tenants().map((t) => t.name).join(', ')}`, found: JSON.stringify(change.tenant) });
    if (issues.length) throw new ConfigError('invalid limit change', issues);
    this.changes.push({ ...change });
    const capIssues = this.capacityProblems();
    this.changes.pop();
    if (capIssues.length) throw new ConfigError('invalid limit change', capIssues);
    const now = this.clock.now();
    for (const m of this.models.values()) checkpoint(this.store, m, now);
    for (const m of this.tenantModels.values()) checkpoint(this.store, m, now);
    this.changes.push({ ...change });
    const models = this.models as Map<string, ResolvedModel>;
    for (const [id, old] of models) Object.assign(old, this.resolveFor(this.defaultTenant, old.profile));
    void models;
    for (const [k, m] of this.tenantModels) {
      const t = this.tenantNamed(k.slice(0, k.indexOf('\0')));
      if (t) Object.assign(m, this.resolveFor(t, m.profile));
    }
  }

  /** Runtime limit changes so far. */
  limitChanges(): readonly LimitChange[] {
    return this.changes;
  }

  /** Overload decision for the next request (seeded by its index). */
  overloadFor(index: number): OverloadDecision {
    return decideOverload(this.overload, this.settings.seed, index, this.clock.now(), this.counters.inFlight);
  }

  faultFor(index: number): Fault | undefined {
    return decideFault(this.faults, this.settings.seed, index, this.clock.now());
  }

  /** Reserves a request index (for rejections decided before admission: auth, overload). */
  nextRequestIndex(): number {
    return this.nextIndex++;
  }

  /** The tenant's spend budget is used up. */
  overBudget(tenant: Tenant): boolean {
    return tenant.budgetUsd !== undefined && (this.spent.get(tenant.name) ?? 0) >= tenant.budgetUsd;
  }

  spentUsd(tenant: string): number {
    return this.spent.get(tenant) ?? 0;
  }

  /**
   * Runs admission for one chat request and records the outcome in the counters. `tenant`
   * (default: the shared default tenant) selects whose limits apply; `index` a pre-reserved
   * request index.
   */
  admit(model: ResolvedModel, input: AdmissionInput, tenant?: Tenant | string, index?: number, slowdown = 1): ChatAdmission {
    index ??= this.nextIndex++;
    const now = this.clock.now();
    const m = this.modelFor(model, tenant);
    const d = admit(this.store, m, now, input, this.settings.admission);
    return this.admitted(model, m, d, input, index, now, slowdown);
  }

  /**
   * admit() through the shared limiter store (when `shared` is set): one atomic store call;
   * an unreachable store in 'closed' mode gives a StoreOutageAdmission (the caller answers 503).
   */
  async admitShared(model: ResolvedModel, input: AdmissionInput, tenant?: Tenant | string, index?: number, slowdown = 1): Promise<ChatAdmission | StoreOutageAdmission> {
    const shared = this.shared;
    if (!shared) return this.admit(model, input, tenant, index, slowdown);
    index ??= this.nextIndex++;
    const m = this.modelFor(model, tenant);
    const t = typeof tenant === 'string' ? this.tenantNamed(tenant) : tenant;
    const generation = this.generation;
    const a = await shared.admit(m, input, this.settings.admission, (t ?? this.defaultTenant).scope);
    if (a.kind === 'outage') return { ok: false, outage: true, index, store: a.store, error: a.error };
    const r = this.admitted(model, m, a.decision, input, index, this.clock.now(), slowdown);
    if (r.ok) {
      if (a.reservation) r.ticket.reservation = a.reservation;
      r.ticket.generation = generation;
    }
    return r;
  }

  private admitted(model: ResolvedModel, m: ResolvedModel, d: AdmissionDecision, input: AdmissionInput, index: number, now: number, slowdown: number): ChatAdmission {
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
    let timing = planTiming(m.latency, this.settings.seed, index, input.promptTokens);
    if (slowdown !== 1) timing = { ttftMs: timing.ttftMs * slowdown, interTokenMs: timing.interTokenMs * slowdown };
    const ticket: Ticket = {
      index,
      model: m,
      promptTokens: input.promptTokens,
      maxTokens: d.maxTokens,
      cost: d.cost,
      admittedAt: now,
      completionTokens,
      finishReason: completionTokens < d.maxTokens ? 'stop' : 'length',
      timing,
      limits: d.limits,
      done: false,
      generation: this.generation,
      outputCharged: 0,
    };
    if (m.tenant !== undefined) ticket.tenant = m.tenant;
    return { ok: true, index, ticket };
  }

  /** `ticket` has produced `generated` tokens so far: charges output limits in 'generated' mode (Anthropic OTPM, in real time). */
  progress(ticket: Ticket, generated: number): void {
    if (ticket.done || ticket.generation !== this.generation || ticket.model.charge !== 'generated') return;
    if (ticket.reservation) return; // shared store: generated output is charged once, at settle
    const delta = generated - (ticket.outputCharged ?? 0);
    if (delta <= 0) return;
    ticket.outputCharged = generated;
    chargeOutput(this.store, ticket.model, this.clock.now(), delta);
  }

  /**
   * The response of `ticket` ended after `completionTokens` tokens (all of them, or fewer when
   * the client went away). Refunds the unused budget when `refundUnused`; charges generated
   * output ('generated' mode); frees its concurrency slot; adds its cost to the tenant's spend. Idempotent.
   */
  finish(ticket: Ticket, completionTokens: number, aborted = false): void {
    if (ticket.done) return;
    this.progress(ticket, completionTokens);
    ticket.done = true;
    if (ticket.generation !== this.generation) return;
    const c = this.counters;
    c.completed++;
    if (aborted) c.aborted++;
    c.promptTokens += ticket.promptTokens;
    c.completionTokens += completionTokens;
    const now = this.clock.now();
    if (ticket.reservation && this.shared) {
      const unused = ticket.cost - ticket.promptTokens - completionTokens;
      if (this.settings.refundUnused && ticket.model.charge !== 'generated' && unused > 0) c.refundedTokens += unused;
      void this.shared.settle(ticket.reservation, unused, completionTokens, this.settings.refundUnused);
    } else if (this.settings.refundUnused && ticket.model.charge !== 'generated') {
      const unused = ticket.cost - ticket.promptTokens - completionTokens;
      if (unused > 0) {
        refundTokens(this.store, ticket.model, now, unused);
        c.refundedTokens += unused;
      }
    }
    releaseConcurrent(this.store, ticket.model, now);
    const p = ticket.model.profile;
    const usd = (ticket.promptTokens * p.priceInputPerMTokens + completionTokens * p.priceOutputPerMTokens) / 1e6;
    const who = ticket.tenant ?? this.defaultTenant.name;
    this.spent.set(who, (this.spent.get(who) ?? 0) + usd);
  }

  /** Counts a rejection decided outside admission (bad body, unknown model, oversized body, auth, overload, quota). */
  reject(cls: RejectionClass, model?: string): void {
    this.counters.rejected[cls]++;
    if (model && this.models.has(model)) this.modelCounters(model).rejected++;
  }

  limits(model: ResolvedModel = this.defaultModel): LimitsView {
    return limitsView(this.store, model, this.clock.now());
  }

  /** Every rule's view for `model` as `tenant` sees it. */
  ruleViews(model: ResolvedModel = this.defaultModel, tenant?: Tenant | string): Partial<Record<RuleName, BucketView>> {
    return ruleViews(this.store, this.modelFor(model, tenant), this.clock.now());
  }

  /** Unix seconds for `created`. */
  created(): number {
    return Math.floor((this.epochBase + this.clock.now()) / 1000);
  }

  /** Unix ms of a clock time (for RFC 3339 reset headers). */
  epochMsAt(t: number): number {
    return this.epochBase + t;
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
      models[id] = { admitted: pm?.admitted ?? 0, rejected: pm?.rejected ?? 0, buckets: limitsView(this.store, m, now), rules: ruleViews(this.store, m, now) };
    }
    const tenants: MockState['tenants'] = {};
    for (const t of this.tenants()) {
      const tm: Record<string, Partial<Record<RuleName, BucketView>>> = {};
      for (const m of this.models.values()) {
        const mm = this.modelFor(m, t);
        if (rulesOf(mm).some((r) => this.store.get(r.key) !== undefined)) tm[m.id] = ruleViews(this.store, mm, now);
      }
      tenants[t.name] = { scope: t.scope, spentUsd: this.spent.get(t.name) ?? 0, ...(t.budgetUsd !== undefined ? { budgetUsd: t.budgetUsd } : {}), models: tm };
    }
    return {
      now,
      profile: this.profile.name,
      dialect: this.dialect.name,
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
      tenants,
      settings: {
        refundUnused: this.settings.refundUnused,
        rejectedConsumeRequests: this.settings.admission.rejectedConsumeRequests,
        bothExhausted: this.settings.admission.bothExhausted,
        outputLength: this.settings.outputLength,
        seed: this.settings.seed,
        validateFirst: this.settings.admission.validateFirst !== false,
        enforcement: this.enforcement,
        limitChanges: this.changes.length,
      },
      ...(this.shared ? { limiterStore: this.shared.state() } : {}),
    };
  }

  /** Full buckets, zero counters and ledger, request sequence back to 0. Responses in flight still run but no longer count or refund. */
  reset(): void {
    this.generation++;
    this.store.clear();
    this.counters = new Counters();
    this.perModel.clear();
    this.spent.clear();
    this.referee.reset();
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
