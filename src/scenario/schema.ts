/**
 * The scenario file format: one zod schema that validates what users write (YAML/JSON),
 * normalizes it (durations → ms, rates → req/s, sizes → distributions, defaults applied) and
 * generates the JSON Schema editors use (input side). `Scenario` is what the rest of
 * limitprobe reads.
 */
import { z } from 'zod';
import { DEFAULTS, DIALECTS, defaultOutputDir, defaultPhaseName, type Dialect } from './defaults.js';
import { discriminated, expecting, forbidden, isPlainObject, nonNegative, positiveInt, strict } from './schema-kit.js';
import { DURATION_PATTERN, RATE_PATTERN, durationToMs, rateToPerSecond } from './units.js';
import { matrixEntrySchema, retrySchema, type MatrixEntryConfig, type RetryConfig } from './retry-schema.js';

// ---------------------------------------------------------------- normalized types

/**
 * A distribution of positive integers (token counts, turn counts). Samples are rounded, then
 * clipped to [min, max]: out-of-range draws pile up at the bounds.
 */
export type TokenDist =
  | { dist: 'fixed'; value: number }
  | { dist: 'uniform'; min: number; max: number }
  | { dist: 'normal'; mean: number; stddev: number; min: number; max: number }
  /** exp(N(μ, σ)), μ = ln(median), or ln(mean) − σ²/2 when `mean` is given (mean before clipping). */
  | { dist: 'lognormal'; median?: number; mean?: number; sigma: number; min: number; max: number }
  /** Uniform over `values`; `file` (and `column`) say where loadScenario read them from. */
  | { dist: 'empirical'; values: number[]; file?: string; column?: string | number };

/** A distribution of milliseconds (think time): fractional values allowed, never negative. */
export type MsDist =
  | { dist: 'fixed'; value: number }
  | { dist: 'uniform'; min: number; max: number }
  | { dist: 'normal'; mean: number; stddev: number; min: number; max: number }
  | { dist: 'exponential'; mean: number };

/**
 * A steady rate, given directly (`rate`, req/s) and/or as a token target (`tokensPerMinute`):
 * the plan turns a token target into a request rate from the request mix; with both, the lower
 * of the two request rates binds (both are ceilings, like a provider's RPM and TPM limits).
 */
export interface RateTarget {
  rate?: number;
  tokensPerMinute?: number;
}

/** `constant`: Λ⁻¹(n) exactly (evenly spaced where the rate is flat); `poisson`: a non-homogeneous Poisson process. */
export type ShapeProcess = 'constant' | 'poisson';

/** Open-loop arrival processes; rates in requests per second, durations in ms. */
export type Arrival =
  | ({ type: 'constant' } & RateTarget)
  | ({ type: 'poisson' } & RateTarget)
  | ({ type: 'gamma'; burstiness: number } & RateTarget)
  | { type: 'ramp'; from: number; to: number; process: ShapeProcess }
  | { type: 'steps'; steps: { durationMs: number; rate: number }[]; process: ShapeProcess }
  | { type: 'spike'; rate: number; spikeRate: number; spikeAtMs: number; spikeDurationMs: number; process: ShapeProcess };
export type ArrivalType = Arrival['type'];

/**
 * Multi-turn conversations: each request is one turn. Turn j's prompt is the conversation so
 * far — user messages 0..j (each of `promptTokens` size) with, between them, assistant
 * replies 0..j−1 of the size of those turns' `maxTokens` — so prompts grow with the history.
 */
export interface Conversation {
  /** Turns per conversation. */
  turns: TokenDist;
  /** Conversations in progress at once; a group's consecutive requests go to them round-robin. */
  sessions: number;
}

export interface RequestSpec {
  promptTokens: TokenDist;
  maxTokens: TokenDist;
  stream: boolean;
  system?: string;
  conversation?: Conversation;
}

/**
 * `request` on a phase overrides those fields of the scenario's request for that phase only.
 * `durationMs` is 0 when the phase is bounded by `requests` alone: the plan derives its length.
 * An open phase without `arrival` takes its load from the groups' own arrivals.
 */
export type Phase = { name: string; durationMs: number; requests?: number; request?: Partial<RequestSpec> } & (
  | { kind: 'open'; arrival?: Arrival }
  | { kind: 'closed'; concurrency: number; thinkTime?: MsDist }
);

/**
 * A client group: its own request mix, API key and (optionally) arrival process, sharing the
 * scenario's phases (timeline). See the `groups` description in the schema for the rules.
 */
export interface Group {
  name: string;
  /** Share of the phase's own load (arrival rate or workers) among the groups without an arrival of their own. */
  weight: number;
  /** The group's own open-loop process, used in every open phase it is active in. */
  arrival?: Arrival;
  /** Names of the phases the group is active in; absent: all. */
  activeIn?: string[];
  request?: Partial<RequestSpec>;
  /** http targets: env var holding this group's API key (else the target's). */
  apiKeyEnv?: string;
  /** This group's (client's) own retry policy, over client.retry. */
  retry?: RetryConfig;
}

export interface MockTarget {
  kind: 'mock';
  /** Mock profile name; checked against the known profiles by the mock, not here. */
  profile: string;
  /** Undefined: the profile's default model. */
  model?: string;
  /** rpmCapacity / tpmCapacity: the bucket's size when it differs from rpm / tpm (burst ≠ refill). */
  limits?: { rpm?: number; tpm?: number; contextWindow?: number; rpmCapacity?: number; tpmCapacity?: number };
  latency?: { ttftMs?: number; tokensPerSecond?: number; jitter?: number };
  /** A 429 still costs one request of RPM (OpenAI: failed requests count toward the limit). Default false. */
  rejectedConsumeRequests?: boolean;
  /** Sub-minute enforcement on top of the per-minute limits: '1s' (RPM/60 and TPM/60 per second), '10s' (RPM/6, TPM/6 per 10 s). Default 'none'. */
  subMinute?: 'none' | '1s' | '10s';
}

export interface HttpTarget {
  kind: 'http';
  /** http(s) URL without trailing slash. */
  baseUrl: string;
  model: string;
  /** Name of the env var holding the API key; no auth header when absent. */
  apiKeyEnv?: string;
  dialect: Dialect;
  pricing?: { inputPerMillionUsd: number; outputPerMillionUsd: number };
  headers: Record<string, string>;
}

export type Target = MockTarget | HttpTarget;

export interface Scenario {
  name: string;
  description?: string;
  seed: number;
  target: Target;
  request: RequestSpec;
  client: ClientSettings;
  /** Arrivals over this many requests in flight are counted `dropped`. */
  maxInFlight: number;
  phases: Phase[];
  /** Client groups; absent: every request belongs to the one implicit group "default". */
  groups?: Group[];
  thresholds: ThresholdEntry[];
  /** `chat`: token workloads through undici (default). `autocannon`: raw request floods. */
  engine: 'chat' | 'autocannon';
  /** autocannon engine settings. */
  flood: { connections: number; pipelining: number };
  /** `live` sends for real (default); `sim` runs against the mock's core in virtual time. */
  mode: 'live' | 'sim';
  /** Client policies to compare: the same seeded workload once per entry (limitprobe run → policies.csv). */
  matrix?: MatrixEntryConfig[];
  output: { dir: string };
}

/** How requests are sent and retried. */
export interface ClientSettings {
  timeoutMs: number;
  /** http (default): limitprobe's own undici client; openai-sdk: the official openai npm package, its own retries. */
  kind?: 'http' | 'openai-sdk';
  /** A user's client module (path relative to the scenario file): it sends each request its own way. */
  module?: string;
  /** Client retry policy (every group without its own). Absent: no retries. */
  retry?: RetryConfig;
}

export type { RetryConfig, MatrixEntryConfig };

/** A threshold: an expression (see the README), optionally aborting the run when it fails. */
export type ThresholdEntry = string | { expr: string; abortOnFail?: boolean; delayAbortEvalMs?: number };

// ---------------------------------------------------------------- leaves

const DURATION = 'a positive number of seconds or "500ms" / "10s" / "2m" / "1h"';
export const durationSchema = z
  .union(
    [
      z.number(expecting(DURATION)).positive(expecting(DURATION)),
      z.string(expecting(DURATION)).regex(DURATION_PATTERN, expecting(DURATION)),
    ],
    expecting(DURATION),
  )
  .meta({ description: 'Seconds, or a string such as "500ms", "10s", "2m", "1h".' })
  .transform(durationToMs);

/** A duration that may be 0 (an offset such as a spike's start). */
const OFFSET = 'a number of seconds ≥ 0 or "500ms" / "10s" / "2m"';
const offsetSchema = z
  .union(
    [
      z.number(expecting(OFFSET)).min(0, expecting(OFFSET)),
      z.string(expecting(OFFSET)).regex(DURATION_PATTERN, expecting(OFFSET)),
    ],
    expecting(OFFSET),
  )
  .transform((v) => (v === 0 ? 0 : durationToMs(v)));

function rateUnion(phrase: string, allowZero: boolean) {
  const ok = (r: number) => (allowZero ? r >= 0 : r > 0);
  return z
    .union(
      [
        allowZero ? z.number(expecting(phrase)).min(0, expecting(phrase)) : z.number(expecting(phrase)).positive(expecting(phrase)),
        z
          .string(expecting(phrase))
          .regex(RATE_PATTERN, expecting(phrase))
          // Runs even after a regex failure, so it must not assume the pattern matched.
          .refine((s) => !RATE_PATTERN.test(s) || ok(rateToPerSecond(s)), expecting(phrase)),
      ],
      expecting(phrase),
    )
    .transform(rateToPerSecond);
}

const RATE = 'a positive number or "N/s" / "N/min"';
export const rateSchema = rateUnion(RATE, false).meta({ description: 'Requests per second, or a string such as "20/s", "1200/min".' });
const RATE0 = 'a number ≥ 0 or "N/s" / "N/min"';
const rateOrZeroSchema = rateUnion(RATE0, true).meta({ description: 'Requests per second (0 allowed), or a string such as "20/s", "1200/min".' });

const nonEmpty = (phrase: string) => z.string(expecting(phrase)).min(1, expecting(phrase));

const TOKENS = 'a positive integer (tokens)';
const tokens = positiveInt(TOKENS);
const positiveNumber = (phrase = 'a positive number') => z.number(expecting(phrase)).positive(expecting(phrase));

/** `max ≥ min` on a range object; the issue points at `max`. */
function checkRange(d: { min: number; max: number }, ctx: z.RefinementCtx, what = 'an integer') {
  if (d.max < d.min) {
    ctx.addIssue({ code: 'custom', path: ['max'], input: d.max, message: `expected ${what} ≥ min (${d.min})` });
  }
}

const DIST_NAMES = '"fixed", "uniform", "normal", "lognormal" or "empirical"';

const lognormalObject = strict({
  dist: z.literal('lognormal'),
  median: positiveNumber().optional().meta({ description: 'exp(μ): half the draws are below it. Give median or mean.' }),
  mean: positiveNumber().optional().meta({ description: 'Mean before clipping: μ = ln(mean) − σ²/2. Give median or mean.' }),
  sigma: nonNegative('a number ≥ 0').meta({ description: 'σ of the underlying normal (log space); 0.5–1 is typical of prompt lengths.' }),
  min: tokens,
  max: tokens,
})
  .superRefine((d, ctx) => {
    checkRange(d, ctx);
    if ((d.median === undefined) === (d.mean === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'expected exactly one of median or mean', params: { found: d.median === undefined ? 'neither' : 'both' } });
    }
  })
  .meta({ description: 'Log-normal, rounded and clipped to [min, max]: the long-tailed shape of real prompt lengths.' });

const empiricalObject = strict({
  dist: z.literal('empirical'),
  file: nonEmpty('a file path (relative to the scenario file)')
    .optional()
    .meta({ description: 'File of lengths relative to the scenario file: one integer per line (.txt), or a column of a .csv. Read when the scenario is loaded.' }),
  column: z
    .union([nonEmpty('a CSV header name'), positiveInt('a 1-based column number')], expecting('a CSV header name or a 1-based column number'))
    .optional()
    .meta({ description: 'CSV files: the header name or 1-based number of the column of lengths (default: the first).' }),
  values: z
    .array(tokens, expecting('a list of positive integers'))
    .min(1, expecting('at least one length'))
    .optional()
    .meta({ description: 'The lengths themselves (inline, or filled in from `file` when the scenario is loaded).' }),
})
  .superRefine((d, ctx) => {
    if (d.values !== undefined) return;
    if (d.file === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'expected file or values', params: { found: 'neither' } });
    } else {
      ctx.addIssue({
        code: 'custom',
        path: ['file'],
        message: 'expected lengths read from this file (loadScenario reads it; parseScenario reads no files: give values inline)',
        params: { found: `${JSON.stringify(d.file)} (not read)` },
      });
    }
  })
  .meta({ description: 'Sampled uniformly from a list of observed lengths (e.g. from production logs).' });

const SIZE = `a positive integer, or an object with dist ${DIST_NAMES}`;
const distObject = z.discriminatedUnion(
  'dist',
  [
    strict({ dist: z.literal('fixed'), value: tokens }),
    strict({ dist: z.literal('uniform'), min: tokens, max: tokens }).superRefine((d, ctx) => checkRange(d, ctx)),
    strict({
      dist: z.literal('normal'),
      mean: positiveNumber(),
      stddev: nonNegative('a number ≥ 0'),
      min: tokens,
      max: tokens,
    }).superRefine((d, ctx) => checkRange(d, ctx)),
    lognormalObject,
    empiricalObject,
  ],
  discriminated('an object', DIST_NAMES),
);

function normalizeDist(v: number | z.output<typeof distObject>): TokenDist {
  if (typeof v === 'number') return { dist: 'fixed', value: v };
  if (v.dist === 'lognormal') {
    const { median, mean, ...rest } = v;
    return median !== undefined ? { ...rest, median } : { ...rest, mean: mean! };
  }
  if (v.dist === 'empirical') {
    const out: TokenDist = { dist: 'empirical', values: v.values! };
    if (v.file !== undefined) out.file = v.file;
    if (v.column !== undefined) out.column = v.column;
    return out;
  }
  return v;
}

export const tokenDistSchema = z
  .union([tokens, distObject], expecting(SIZE))
  .meta({
    description:
      'A token count, or a distribution of them: uniform, normal and lognormal are rounded and clipped to [min, max]; empirical samples a list of lengths (inline or from a file).',
  })
  .transform(normalizeDist);

const countDistSchema = z
  .union([positiveInt('a positive integer (turns)'), distObject], expecting(`a positive integer, or an object with dist ${DIST_NAMES}`))
  .meta({ description: 'A count, or a distribution of counts (same forms as token sizes).' })
  .transform(normalizeDist);

const MS = 'a number of ms ≥ 0';
const THINK = 'a number of milliseconds ≥ 0, a duration string such as "250ms" / "1.5s", or { dist: uniform | normal | exponential, … } in ms';
const msNumber = nonNegative(MS);
const msDistObject = z.discriminatedUnion(
  'dist',
  [
    strict({ dist: z.literal('fixed'), value: msNumber }),
    strict({ dist: z.literal('uniform'), min: msNumber, max: msNumber }).superRefine((d, ctx) => checkRange(d, ctx, 'a number')),
    strict({ dist: z.literal('normal'), mean: msNumber, stddev: msNumber, min: msNumber, max: msNumber }).superRefine((d, ctx) => checkRange(d, ctx, 'a number')),
    strict({ dist: z.literal('exponential'), mean: positiveNumber('a positive number of ms') }),
  ],
  discriminated('an object', '"fixed", "uniform", "normal" or "exponential"'),
);
const thinkTimeSchema = z
  .union(
    [
      msNumber,
      z.string(expecting(THINK)).regex(DURATION_PATTERN, expecting(THINK)),
      msDistObject,
    ],
    expecting(THINK),
  )
  .meta({
    description:
      'Closed loop: how long each worker pauses after a response before its next request. A bare number is MILLISECONDS (unlike `duration`); or "250ms" / "1.5s"; or a distribution in ms: { dist: uniform, min: 100, max: 500 }, { dist: normal, mean, stddev, min, max }, { dist: exponential, mean }.',
  })
  .transform((v): MsDist => (typeof v === 'number' ? { dist: 'fixed', value: v } : typeof v === 'string' ? { dist: 'fixed', value: durationToMs(v) } : v));

const ENV_NAME = 'an environment variable name such as OPENAI_API_KEY';
const envNameSchema = z.string(expecting(ENV_NAME)).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, expecting(ENV_NAME));

// ---------------------------------------------------------------- target

const NO_API_KEY = 'no literal apiKey (put the key in an environment variable and name it with apiKeyEnv)';
const NO_API_KEY_DOC = 'Not allowed: put the key in an environment variable and name it with apiKeyEnv.';

const mockTarget = strict({
  kind: z.literal('mock'),
  profile: nonEmpty('a profile name').default(DEFAULTS.mockProfile),
  model: nonEmpty('a model name').optional(),
  limits: strict({
    rpm: positiveInt().optional(),
    tpm: positiveInt().optional(),
    contextWindow: positiveInt().optional(),
    rpmCapacity: positiveInt().optional().meta({ description: 'Size of the request bucket when it differs from rpm (burst ≠ refill): holds this many requests, refills at rpm per minute. Default: rpm.' }),
    tpmCapacity: positiveInt().optional().meta({ description: 'Size of the token bucket when it differs from tpm (burst ≠ refill). Default: tpm.' }),
  }).optional(),
  latency: strict({
    ttftMs: nonNegative('a number of ms ≥ 0').optional(),
    tokensPerSecond: z.number(expecting('a positive number')).positive(expecting('a positive number')).optional(),
    jitter: nonNegative('a number in [0, 1]', 1).optional(),
  }).optional(),
  rejectedConsumeRequests: z
    .boolean(expecting('true or false'))
    .optional()
    .meta({ description: 'A 429 still costs one request of RPM (OpenAI: failed requests count toward your limit), so retry storms eat capacity. Default false.' }),
  subMinute: z
    .enum(['none', '1s', '10s'], expecting('one of none, 1s, 10s'))
    .optional()
    .meta({ description: "Sub-minute enforcement on top of the per-minute limits (providers enforce shorter windows than a minute): '1s' adds RPM/60 and TPM/60 buckets over 1 s, '10s' RPM/6 and TPM/6 over 10 s. Default: the dialect's (none for openai)." }),
  apiKey: forbidden(NO_API_KEY, NO_API_KEY_DOC),
});

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const httpTarget = strict({
  kind: z.literal('http'),
  baseUrl: z
    .url({ protocol: /^https?$/, ...expecting('an http(s) URL such as https://api.openai.com/v1') })
    .transform((u) => u.replace(/\/+$/, '')),
  model: nonEmpty('a model name'),
  apiKeyEnv: envNameSchema.optional(),
  apiKey: forbidden(NO_API_KEY, NO_API_KEY_DOC),
  dialect: z.enum(DIALECTS, expecting(`one of ${DIALECTS.join(', ')}`)).default(DEFAULTS.dialect),
  pricing: strict({
    inputPerMillionUsd: nonNegative('a price in USD ≥ 0'),
    outputPerMillionUsd: nonNegative('a price in USD ≥ 0'),
  }).optional(),
  headers: z
    .record(
      z.string().regex(HEADER_NAME, expecting('an HTTP header name')),
      z.string(expecting('a string (quote numbers in YAML)')),
    )
    .default({}),
});

const targetSchema = z.discriminatedUnion('kind', [mockTarget, httpTarget], discriminated('an object such as { kind: mock }', '"mock" or "http"'));

// ---------------------------------------------------------------- arrivals

const rateTargetShape = {
  rate: rateSchema.optional(),
  tokensPerMinute: positiveNumber('a positive number (tokens per minute)')
    .optional()
    .meta({
      description:
        'Token-targeted load: the request rate is derived from the request mix, rate = tokensPerMinute / (60 × E[prompt tokens + max_tokens]) (providers charge prompt + max_tokens at admission). With `rate` as well, the lower of the two binds.',
    }),
};

function checkRateTarget(a: RateTarget, ctx: z.RefinementCtx) {
  if (a.rate === undefined && a.tokensPerMinute === undefined) {
    ctx.addIssue({ code: 'custom', path: [], message: 'expected rate or tokensPerMinute (or both: the lower binds)', params: { found: 'neither' } });
  }
}

const PROCESS = '"constant" or "poisson"';
const processSchema = z
  .enum(['constant', 'poisson'], expecting(PROCESS))
  .default('constant')
  .meta({
    description:
      'constant: arrival n at Λ⁻¹(n), where Λ is the cumulative intensity (evenly spaced where the rate is flat); poisson: a non-homogeneous Poisson process with this intensity (time rescaling).',
  });

const ARRIVAL_TYPES = '"constant", "poisson", "gamma", "ramp", "steps" or "spike"';
const arrivalSchema = z
  .discriminatedUnion(
    'type',
    [
      strict({ type: z.literal('constant'), ...rateTargetShape })
        .superRefine(checkRateTarget)
        .meta({ description: 'Evenly spaced at 1/rate, the first at the phase start.' }),
      strict({ type: z.literal('poisson'), ...rateTargetShape })
        .superRefine(checkRateTarget)
        .meta({ description: 'Poisson process: independent exponential gaps, mean 1/rate.' }),
      strict({
        type: z.literal('gamma'),
        ...rateTargetShape,
        burstiness: positiveNumber('a positive number (1 = Poisson, < 1 burstier, > 1 smoother)').meta({
          description: 'Shape k of the gamma-distributed gaps (mean 1/rate, coefficient of variation 1/√k): 1 = Poisson, < 1 burstier, > 1 smoother (as vLLM bench --burstiness).',
        }),
      })
        .superRefine(checkRateTarget)
        .meta({ description: 'Renewal process with Gamma(k, 1/(k·rate)) gaps.' }),
      strict({
        type: z.literal('ramp'),
        from: rateOrZeroSchema.meta({ description: 'Rate at the phase start (req/s, or "N/min").' }),
        to: rateOrZeroSchema.meta({ description: 'Rate at the phase end.' }),
        process: processSchema,
      })
        .superRefine((a, ctx) => {
          if (a.from === 0 && a.to === 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'expected a rate > 0 at one end of the ramp', params: { found: '0 at both ends' } });
        })
        .meta({ description: 'Rate changing linearly from `from` to `to` over the phase duration.' }),
      strict({
        type: z.literal('steps'),
        steps: z
          .array(strict({ duration: durationSchema, rate: rateOrZeroSchema }), expecting('a list of { duration, rate }'))
          .min(1, expecting('at least one step'))
          .meta({ description: 'Rates held for their durations, in order. The phase lasts their sum unless it gives a duration: then later steps are cut, or the last rate holds to the end.' }),
        process: processSchema,
      }).meta({ description: 'Piecewise-constant rate.' }),
      strict({
        type: z.literal('spike'),
        rate: rateOrZeroSchema.meta({ description: 'Base rate outside the spike.' }),
        spikeRate: rateSchema.meta({ description: 'Rate during the spike.' }),
        spikeAt: offsetSchema.meta({ description: 'When the spike starts, from the phase start ("10s").' }),
        spikeDuration: durationSchema.meta({ description: 'How long the spike lasts.' }),
        process: processSchema,
      }).meta({ description: 'Base rate with one spike: [spikeAt, spikeAt + spikeDuration) at spikeRate.' }),
    ],
    discriminated('an object such as { type: constant, rate: 10 }', ARRIVAL_TYPES),
  )
  .transform((a): Arrival => {
    switch (a.type) {
      case 'steps':
        return { type: 'steps', steps: a.steps.map((s) => ({ durationMs: s.duration, rate: s.rate })), process: a.process };
      case 'spike':
        return { type: 'spike', rate: a.rate, spikeRate: a.spikeRate, spikeAtMs: a.spikeAt, spikeDurationMs: a.spikeDuration, process: a.process };
      case 'ramp':
        return a;
      default:
        return dropUndefined(a) as Arrival;
    }
  });

// ---------------------------------------------------------------- requests

const conversationSchema = strict({
  turns: countDistSchema.meta({ description: 'Turns per conversation: a number or a distribution ({ dist: uniform, min: 2, max: 8 }).' }),
  sessions: positiveInt('a positive integer (conversations in progress at once)')
    .default(1)
    .meta({ description: 'Conversations in progress at once: consecutive requests go to them round-robin (1: one conversation after another).' }),
}).meta({
  description:
    "Multi-turn: each request is one turn. Turn j's prompt is the history — user messages 0..j (each of promptTokens size) with assistant replies of turn i's maxTokens size between them — so prompts grow turn by turn; the system prompt comes first and is not counted in promptTokens.",
});

const requestFields = {
  promptTokens: tokenDistSchema,
  maxTokens: tokenDistSchema,
  stream: z.boolean(expecting('true or false')),
  system: nonEmpty('system prompt text'),
  conversation: conversationSchema,
};

const phaseRequestSchema = strict({
  promptTokens: requestFields.promptTokens.optional(),
  maxTokens: requestFields.maxTokens.optional(),
  stream: requestFields.stream.optional(),
  system: requestFields.system.optional(),
  conversation: requestFields.conversation.optional(),
}).meta({ description: "Overrides of the scenario's request fields." });

// ---------------------------------------------------------------- phases

const has = (o: object, k: string) => (o as Record<string, unknown>)[k] !== undefined;

const phaseSchema = strict({
  name: nonEmpty('a phase name').optional(),
  duration: durationSchema
    .optional()
    .meta({ description: 'Seconds, or "500ms", "10s", "2m", "1h". May be left out when `requests` is given (or the arrival is `steps`).' }),
  requests: positiveInt('a positive integer (requests)')
    .optional()
    .meta({
      description:
        'Stop after this many requests. Open loop: after this many arrivals; alone (no duration) the phase lasts until the arrival after the last (N/rate for constant). Closed loop: after this many are sent; alone, the phase ends when they are done (at most 10 minutes).',
    }),
  request: phaseRequestSchema.optional(),
  arrival: arrivalSchema.optional().meta({ description: 'Open loop: requests arrive on this schedule whatever the responses.' }),
  concurrency: positiveInt('a positive integer (workers)')
    .optional()
    .meta({ description: 'Closed loop: this many workers, each sending its next request when its last one finished (and its think time passed).' }),
  thinkTime: thinkTimeSchema.optional(),
})
  // zod cannot say these in JSON Schema; meta keys are copied in, so say them there.
  .meta({
    not: { required: ['arrival', 'concurrency'] },
    anyOf: [{ required: ['duration'] }, { required: ['requests'] }, { required: ['arrival'], properties: { arrival: { required: ['type'], properties: { type: { const: 'steps' } } } } }],
    description:
      'A stretch of the run: open loop (`arrival`), closed loop (`concurrency`), or — with `groups` — neither, the groups bringing their own arrivals.',
  })
  .superRefine(
    (p, ctx) => {
      if (has(p, 'arrival') && has(p, 'concurrency')) {
        ctx.addIssue({ code: 'custom', message: 'expected exactly one of arrival (open loop) or concurrency (closed loop)', params: { found: 'both' } });
      }
      const steps = isPlainObject(p.arrival) && p.arrival.type === 'steps';
      if (!has(p, 'duration') && !has(p, 'requests') && !steps) {
        ctx.addIssue({ code: 'custom', message: 'expected a duration or a number of requests', params: { found: 'neither' } });
      }
      if (has(p, 'thinkTime') && !has(p, 'concurrency')) {
        ctx.addIssue({
          code: 'custom',
          path: ['thinkTime'],
          message: 'expected thinkTime only on a closed-loop phase (concurrency): open-loop arrivals never wait for responses',
          params: { found: 'a phase without concurrency' },
        });
      }
    },
    // Run even when a field failed, so a file's problems are all reported in one go.
    { when: (payload) => isPlainObject(payload.value) },
  )
  .superRefine((p, ctx) => checkShapeFitsPhase(p.arrival, p.duration, ['arrival'], ctx));

/** A ramp needs the phase's duration; a spike must fit in it. */
function checkShapeFitsPhase(a: Arrival | undefined, durationMs: number | undefined, at: PropertyKey[], ctx: z.RefinementCtx, pathPrefix: PropertyKey[] = []) {
  if (a?.type === 'ramp' && durationMs === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: [...pathPrefix, 'duration'],
      message: 'expected a duration (a ramp goes from → to over the phase duration)',
      params: { found: 'nothing' },
    });
  }
  if (a?.type === 'spike' && durationMs !== undefined && a.spikeAtMs + a.spikeDurationMs > durationMs) {
    ctx.addIssue({
      code: 'custom',
      path: [...at, 'spikeDuration'],
      message: `expected the spike to end within the phase (spikeAt + spikeDuration ≤ ${durationMs} ms)`,
      params: { found: `it ends at ${a.spikeAtMs + a.spikeDurationMs} ms` },
    });
  }
}

function checkUniqueNames(items: unknown[], ctx: z.RefinementCtx, defaultName: (i: number) => string | undefined, what: string, of: string) {
  const seen = new Map<string, number>();
  items.forEach((p, i) => {
    const name = isPlainObject(p) && typeof p.name === 'string' ? p.name : defaultName(i);
    if (name === undefined) return;
    const first = seen.get(name);
    if (first === undefined) seen.set(name, i);
    else {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'name'],
        message: `expected a unique ${what} name`,
        params: { found: `"${name}", already the name of ${of}[${first}]` },
      });
    }
  });
}

// ---------------------------------------------------------------- groups

const NAME = 'a name of letters, digits, ".", "_" or "-"';
const groupSchema = strict({
  name: z.string(expecting(NAME)).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, expecting(NAME)).meta({ description: 'Names the group in reports (the group column).' }),
  weight: positiveNumber()
    .default(1)
    .meta({ description: "Share of each phase's own load (its arrival rate, or its workers) among the active groups without an arrival of their own. Default 1." }),
  arrival: arrivalSchema
    .optional()
    .meta({ description: 'The group\'s own open-loop process, run in full in every open phase it is active in (the phase\'s own arrival is then not shared with it).' }),
  activeIn: z
    .array(nonEmpty('a phase name'), expecting('a list of phase names'))
    .min(1, expecting('at least one phase name'))
    .optional()
    .meta({ description: 'Names of the phases this group sends in (default: all).' }),
  request: phaseRequestSchema.optional().meta({ description: "This group's request fields: over the scenario's and the phase's." }),
  apiKeyEnv: envNameSchema
    .optional()
    .meta({ description: "http targets: the environment variable holding this group's own API key (default: target.apiKeyEnv)." }),
  retry: retrySchema.optional().meta({ description: "This client's own retry policy (over client.retry)." }),
}).meta({
  description:
    'A client group (tenant). Groups share the phases (the timeline). In an open phase, each active group runs its own `arrival` if it has one; the others split the phase\'s arrival by weight (as shares of requests). In a closed phase the workers are split by weight. Requests are tagged with the group, reported per group and in total. Noisy neighbour: phases: [{ duration: 60s }] and groups polite-1..3 with arrival { type: poisson, rate: 2 } and greedy with arrival { type: constant, rate: 40 }.',
});

// ---------------------------------------------------------------- root

const scenarioShape = {
  $schema: z.string().optional().meta({ description: 'Path or URL of this JSON Schema (for editors); ignored.' }),
  name: z
    .string(expecting('a name of letters, digits, ".", "_" or "-" (it names the report folder)'))
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, expecting('a name of letters, digits, ".", "_" or "-" (it names the report folder)')),
  description: z.string(expecting('text')).optional(),
  seed: z
    .int(expecting('an integer ≥ 0'))
    .min(0, expecting('an integer ≥ 0'))
    .default(DEFAULTS.seed),
  target: targetSchema,
  request: strict({
    promptTokens: requestFields.promptTokens,
    maxTokens: requestFields.maxTokens,
    stream: requestFields.stream.default(DEFAULTS.stream),
    system: requestFields.system.optional(),
    conversation: requestFields.conversation.optional(),
  }),
  client: strict({
    timeoutMs: positiveInt('a positive integer (ms)').default(DEFAULTS.timeoutMs),
    kind: z
      .enum(['http', 'openai-sdk'], expecting('"http" or "openai-sdk"'))
      .optional()
      .meta({ description: "http (default): limitprobe's undici client. openai-sdk: the official openai npm package with its own retry logic (each attempt observed through its fetch hook)." }),
    module: nonEmpty('a path to a JS/TS module (relative to the scenario file)')
      .optional()
      .meta({ description: 'Your own client: a module whose default export sends one request (see docs/retry.md). .js/.mjs with node; .ts under tsx or vitest.' }),
    retry: retrySchema.optional(),
  }).prefault({}),
  maxInFlight: positiveInt()
    .default(DEFAULTS.maxInFlight)
    .meta({ description: 'Open-loop arrivals while this many requests are in flight are counted `dropped`, not sent.' }),
  phases: z
    .array(phaseSchema, expecting('a list of phases'))
    .min(1, expecting('at least one phase'))
    .superRefine((ps, ctx) => checkUniqueNames(ps, ctx, defaultPhaseName, 'phase', 'phases'), { when: (payload) => Array.isArray(payload.value) }),
  groups: z
    .array(groupSchema, expecting('a list of groups'))
    .min(1, expecting('at least one group'))
    .superRefine((gs, ctx) => checkUniqueNames(gs, ctx, () => undefined, 'group', 'groups'), { when: (payload) => Array.isArray(payload.value) })
    .optional()
    .meta({ description: 'Client groups sending at once (each its own request mix, API key, arrival). Absent: one group, "default".' }),
  thresholds: z
    .array(
      z.union(
        [
          z.string(expecting('a threshold expression such as "p95(response_time_ms) < 2000"')),
          strict({
            expr: nonEmpty('a threshold expression'),
            abortOnFail: z.boolean(expecting('true or false')).optional(),
            delayAbortEvalMs: nonNegative('a number of ms ≥ 0').optional(),
          }),
        ],
        expecting('a threshold expression (string) or { expr, abortOnFail, delayAbortEvalMs }'),
      ),
      expecting('a list of threshold expressions'),
    )
    .default([])
    .meta({ description: 'Pass/fail criteria, e.g. "p95(response_time_ms) < 2000", "rate(rate_limited) < 0.05", "phase=steady: count(server_error) == 0"; append " !abort" to stop the run when one fails. A failure exits 99.' }),
  engine: z
    .enum(['chat', 'autocannon'], expecting('"chat" or "autocannon"'))
    .default('chat')
    .meta({ description: 'chat: token workloads through undici (streaming, TTFT). autocannon: raw request floods (fixed connections, optional pipelining), same reports.' }),
  flood: strict({
    connections: positiveInt('a positive integer (connections)').default(64),
    pipelining: positiveInt('a positive integer (requests in flight per connection)').default(1),
  })
    .prefault({})
    .meta({ description: 'autocannon engine: connections (a concurrency phase sets them instead) and HTTP pipelining.' }),
  mode: z
    .enum(['live', 'sim'], expecting('"live" or "sim"'))
    .default('live')
    .meta({ description: "live: send for real. sim: run against the mock's core in virtual time (mock targets only): an hour in about a second, deterministic." }),
  matrix: z
    .array(matrixEntrySchema, expecting('a list of policies (preset names or { name, retry })'))
    .min(1, expecting('at least one policy'))
    .superRefine((ms, ctx) => checkUniqueNames(ms, ctx, (i) => (typeof ms[i] === 'string' ? (ms[i] as unknown as string) : undefined), 'policy', 'matrix'), { when: (payload) => Array.isArray(payload.value) })
    .optional()
    .meta({ description: 'Client policies to compare: `limitprobe run` runs the same seeded workload once per entry and writes policies.csv and a ranked table. Entries: a preset name, or { name, retry }.' }),
  output: strict({ dir: nonEmpty('a directory path').optional() }).optional(),
};

type Parsed = z.output<z.ZodObject<typeof scenarioShape>>;

const phaseNameOf = (p: unknown, i: number) => (isPlainObject(p) && typeof p.name === 'string' ? p.name : defaultPhaseName(i));

/** Whether a group sends in the phase with this name. */
export function groupActiveIn(g: { activeIn?: string[] }, phaseName: string): boolean {
  return g.activeIn === undefined || g.activeIn.includes(phaseName);
}

/** A problem found by a check across fields: path, the "expected …" message and what was found. */
export interface CrossProblem {
  path: PropertyKey[];
  message: string;
  found: string;
}

/**
 * Phases with neither arrival nor concurrency. Defensive (works on raw input), because zod
 * skips even `when` checks after some failures: parseScenario also runs it on the raw input,
 * so this problem is reported with all the others in one go.
 */
export function phaseLoadProblems(s: unknown): CrossProblem[] {
  if (!isPlainObject(s) || !Array.isArray(s.phases)) return [];
  const out: CrossProblem[] = [];
  const groups = Array.isArray(s.groups) ? s.groups.filter(isPlainObject) : undefined;
  s.phases.forEach((p, i) => {
    if (!isPlainObject(p) || has(p, 'arrival') || has(p, 'concurrency')) return;
    if (!groups) {
      out.push({ path: ['phases', i], message: 'expected exactly one of arrival (open loop) or concurrency (closed loop)', found: 'neither' });
      return;
    }
    const name = phaseNameOf(p, i);
    const without = groups.filter((g) => groupActiveIn(g as { activeIn?: string[] }, name) && !has(g, 'arrival')).map((g) => String(g.name));
    if (without.length > 0) {
      out.push({
        path: ['phases', i],
        message: 'expected arrival or concurrency (or every group active in the phase to have an arrival of its own)',
        found: `neither, and group(s) ${without.map((n) => `"${n}"`).join(', ')} have no arrival of their own`,
      });
    }
  });
  return out;
}

/** Checks that need the whole, valid scenario. */
function checkGroups(s: Parsed, ctx: z.RefinementCtx) {
  if (!s.groups) return;
  const names = s.phases.map((p, i) => p.name ?? defaultPhaseName(i));
  s.groups.forEach((g, gi) => {
    g.activeIn?.forEach((n, j) => {
      if (!names.includes(n)) {
        ctx.addIssue({ code: 'custom', path: ['groups', gi, 'activeIn', j], message: `expected a phase name (one of ${names.join(', ')})`, params: { found: JSON.stringify(n) } });
      }
    });
    if (g.apiKeyEnv !== undefined && s.target.kind !== 'http') {
      ctx.addIssue({ code: 'custom', path: ['groups', gi, 'apiKeyEnv'], message: 'expected an http target (the mock takes no keys)', params: { found: `target kind "${s.target.kind}"` } });
    }
    if (g.arrival === undefined) return;
    s.phases.forEach((p, i) => {
      if (p.concurrency !== undefined || !groupActiveIn(g, names[i]!)) return;
      checkShapeFitsPhase(g.arrival, p.duration ?? stepsDurationMs(p.arrival), ['groups', gi, 'arrival'], ctx, ['phases', i]);
    });
  });
}

function stepsDurationMs(a: Arrival | undefined): number | undefined {
  return a?.type === 'steps' ? a.steps.reduce((sum, s) => sum + s.durationMs, 0) : undefined;
}

function normalizePhase(p: Parsed['phases'][number], i: number): Phase {
  const name = p.name ?? defaultPhaseName(i);
  const durationMs = p.duration ?? stepsDurationMs(p.arrival) ?? 0;
  const base: { name: string; durationMs: number; requests?: number; request?: Partial<RequestSpec> } = { name, durationMs };
  if (p.requests !== undefined) base.requests = p.requests;
  if (p.request !== undefined) base.request = dropUndefined(p.request);
  if (p.concurrency !== undefined) {
    return p.thinkTime === undefined ? { ...base, kind: 'closed', concurrency: p.concurrency } : { ...base, kind: 'closed', concurrency: p.concurrency, thinkTime: p.thinkTime };
  }
  return p.arrival === undefined ? { ...base, kind: 'open' } : { ...base, kind: 'open', arrival: p.arrival };
}

function normalizeGroup(g: NonNullable<Parsed['groups']>[number]): Group {
  const out: Group = { name: g.name, weight: g.weight };
  if (g.arrival !== undefined) out.arrival = g.arrival;
  if (g.activeIn !== undefined) out.activeIn = g.activeIn;
  if (g.request !== undefined) out.request = dropUndefined(g.request);
  if (g.apiKeyEnv !== undefined) out.apiKeyEnv = g.apiKeyEnv;
  if (g.retry !== undefined) out.retry = g.retry;
  return out;
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function normalizeTarget(t: Parsed['target']): Target {
  const { apiKey: _never, ...rest } = t;
  return rest;
}

function normalize(s: Parsed): Scenario {
  const out: Scenario = {
    name: s.name,
    seed: s.seed,
    target: normalizeTarget(s.target),
    request: dropUndefined(s.request) as RequestSpec,
    client: dropUndefined(s.client) as ClientSettings,
    maxInFlight: s.maxInFlight,
    phases: s.phases.map(normalizePhase),
    thresholds: s.thresholds.map((t) => (typeof t === 'string' ? t : (dropUndefined(t) as ThresholdEntry))),
    engine: s.engine,
    flood: s.flood,
    mode: s.mode,
    output: { dir: s.output?.dir ?? defaultOutputDir(s.name) },
  };
  if (s.groups !== undefined) out.groups = s.groups.map(normalizeGroup);
  if (s.matrix !== undefined) out.matrix = s.matrix;
  if (s.description !== undefined) out.description = s.description;
  return out;
}

export const scenarioSchema = strict(scenarioShape)
  .meta({ title: 'limitprobe scenario', description: 'A load-test scenario for an LLM chat API.' })
  .superRefine((s, ctx) => {
    for (const p of phaseLoadProblems(s)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message, params: { found: p.found } });
  })
  .superRefine(checkGroups)
  .transform(normalize);

/** What users write (YAML/JSON), as a type. */
export type ScenarioInput = z.input<typeof scenarioSchema>;
