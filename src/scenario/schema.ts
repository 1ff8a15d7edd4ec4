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

// ---------------------------------------------------------------- normalized types

export type TokenDist =
  | { dist: 'fixed'; value: number }
  | { dist: 'uniform'; min: number; max: number }
  | { dist: 'normal'; mean: number; stddev: number; min: number; max: number };

/** Open-loop arrival processes; rates in requests per second. */
export type Arrival = { type: 'constant'; rate: number } | { type: 'poisson'; rate: number };
export type ArrivalType = Arrival['type'];

export interface RequestSpec {
  promptTokens: TokenDist;
  maxTokens: TokenDist;
  stream: boolean;
  system?: string;
}

/** `request` on a phase overrides those fields of the scenario's request for that phase only. */
export type Phase = { name: string; durationMs: number; request?: Partial<RequestSpec> } & (
  | { kind: 'open'; arrival: Arrival }
  | { kind: 'closed'; concurrency: number }
);

export interface MockTarget {
  kind: 'mock';
  /** Mock profile name; checked against the known profiles by the mock, not here. */
  profile: string;
  /** Undefined: the profile's default model. */
  model?: string;
  limits?: { rpm?: number; tpm?: number; contextWindow?: number };
  latency?: { ttftMs?: number; tokensPerSecond?: number; jitter?: number };
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
  client: { timeoutMs: number };
  /** Arrivals over this many requests in flight are counted `dropped`. */
  maxInFlight: number;
  phases: Phase[];
  thresholds: string[];
  output: { dir: string };
}

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

const RATE = 'a positive number or "N/s" / "N/min"';
export const rateSchema = z
  .union(
    [
      z.number(expecting(RATE)).positive(expecting(RATE)),
      z
        .string(expecting(RATE))
        .regex(RATE_PATTERN, expecting(RATE))
        // Runs even after a regex failure, so it must not assume the pattern matched.
        .refine((s) => !RATE_PATTERN.test(s) || rateToPerSecond(s) > 0, expecting(RATE)),
    ],
    expecting(RATE),
  )
  .meta({ description: 'Requests per second, or a string such as "20/s", "1200/min".' })
  .transform(rateToPerSecond);

const TOKENS = 'a positive integer (tokens)';
const tokens = positiveInt(TOKENS);

/** `max ≥ min` on a range object; the issue points at `max`. */
function checkRange(d: { min: number; max: number }, ctx: z.RefinementCtx) {
  if (d.max < d.min) {
    ctx.addIssue({ code: 'custom', path: ['max'], input: d.max, message: `expected an integer ≥ min (${d.min})` });
  }
}

const SIZE = 'a positive integer, or { dist: uniform, min, max } / { dist: normal, mean, stddev, min, max }';
const distObject = z.discriminatedUnion(
  'dist',
  [
    strict({ dist: z.literal('fixed'), value: tokens }),
    strict({ dist: z.literal('uniform'), min: tokens, max: tokens }).superRefine(checkRange),
    strict({
      dist: z.literal('normal'),
      mean: z.number(expecting('a positive number')).positive(expecting('a positive number')),
      stddev: nonNegative('a number ≥ 0'),
      min: tokens,
      max: tokens,
    }).superRefine(checkRange),
  ],
  discriminated('an object', '"fixed", "uniform" or "normal"'),
);

export const tokenDistSchema = z
  .union([tokens, distObject], expecting(SIZE))
  .meta({ description: 'A token count, or a distribution of them (normal is clipped to [min, max]).' })
  .transform((v): TokenDist => (typeof v === 'number' ? { dist: 'fixed', value: v } : v));

const nonEmpty = (phrase: string) => z.string(expecting(phrase)).min(1, expecting(phrase));

// ---------------------------------------------------------------- target

const NO_API_KEY = 'no literal apiKey (put the key in an environment variable and name it with apiKeyEnv)';
const NO_API_KEY_DOC = 'Not allowed: put the key in an environment variable and name it with apiKeyEnv.';

const mockTarget = strict({
  kind: z.literal('mock'),
  profile: nonEmpty('a profile name').default(DEFAULTS.mockProfile),
  model: nonEmpty('a model name').optional(),
  limits: strict({ rpm: positiveInt().optional(), tpm: positiveInt().optional(), contextWindow: positiveInt().optional() }).optional(),
  latency: strict({
    ttftMs: nonNegative('a number of ms ≥ 0').optional(),
    tokensPerSecond: z.number(expecting('a positive number')).positive(expecting('a positive number')).optional(),
    jitter: nonNegative('a number in [0, 1]', 1).optional(),
  }).optional(),
  apiKey: forbidden(NO_API_KEY, NO_API_KEY_DOC),
});

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const httpTarget = strict({
  kind: z.literal('http'),
  baseUrl: z
    .url({ protocol: /^https?$/, ...expecting('an http(s) URL such as https://api.openai.com/v1') })
    .transform((u) => u.replace(/\/+$/, '')),
  model: nonEmpty('a model name'),
  apiKeyEnv: z
    .string(expecting('an environment variable name such as OPENAI_API_KEY'))
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, expecting('an environment variable name such as OPENAI_API_KEY'))
    .optional(),
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

// ---------------------------------------------------------------- phases

const arrivalSchema = z.discriminatedUnion(
  'type',
  [strict({ type: z.literal('constant'), rate: rateSchema }), strict({ type: z.literal('poisson'), rate: rateSchema })],
  discriminated('an object such as { type: constant, rate: 10 }', '"constant" or "poisson"'),
);

const phaseRequestSchema = strict({
  promptTokens: tokenDistSchema.optional(),
  maxTokens: tokenDistSchema.optional(),
  stream: z.boolean(expecting('true or false')).optional(),
  system: nonEmpty('system prompt text').optional(),
}).meta({ description: "Overrides of the scenario's request fields for this phase only." });

const phaseSchema = strict({
  name: nonEmpty('a phase name').optional(),
  duration: durationSchema,
  request: phaseRequestSchema.optional(),
  arrival: arrivalSchema.optional(),
  concurrency: positiveInt('a positive integer (workers)')
    .optional()
    .meta({ description: 'Closed loop: this many workers, each sending back to back.' }),
})
  // zod cannot say "exactly one of" in JSON Schema; meta keys are copied in, so say it there.
  .meta({ oneOf: [{ required: ['arrival'] }, { required: ['concurrency'] }] })
  .superRefine(
  (p, ctx) => {
    const has = (k: string) => (p as Record<string, unknown>)[k] !== undefined;
    if (has('arrival') === has('concurrency')) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected exactly one of arrival (open loop) or concurrency (closed loop)',
        params: { found: has('arrival') ? 'both' : 'neither' },
      });
    }
  },
  // Run even when a field failed, so a file's problems are all reported in one go.
  { when: (payload) => isPlainObject(payload.value) },
);

function checkUniqueNames(phases: { name?: unknown }[], ctx: z.RefinementCtx) {
  const seen = new Map<string, number>();
  phases.forEach((p, i) => {
    const name = isPlainObject(p) && typeof p.name === 'string' ? p.name : defaultPhaseName(i);
    const first = seen.get(name);
    if (first === undefined) seen.set(name, i);
    else {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'name'],
        message: 'expected a unique phase name',
        params: { found: `"${name}", already the name of phases[${first}]` },
      });
    }
  });
}

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
    promptTokens: tokenDistSchema,
    maxTokens: tokenDistSchema,
    stream: z.boolean(expecting('true or false')).default(DEFAULTS.stream),
    system: nonEmpty('system prompt text').optional(),
  }),
  client: strict({ timeoutMs: positiveInt('a positive integer (ms)').default(DEFAULTS.timeoutMs) }).prefault({}),
  maxInFlight: positiveInt()
    .default(DEFAULTS.maxInFlight)
    .meta({ description: 'Open-loop arrivals while this many requests are in flight are counted `dropped`, not sent.' }),
  phases: z
    .array(phaseSchema, expecting('a list of phases'))
    .min(1, expecting('at least one phase'))
    .superRefine(checkUniqueNames, { when: (payload) => Array.isArray(payload.value) }),
  thresholds: z.array(z.string(expecting('a threshold expression (string)')), expecting('a list of strings')).default([]),
  output: strict({ dir: nonEmpty('a directory path').optional() }).optional(),
};

type Parsed = z.output<z.ZodObject<typeof scenarioShape>>;

function normalizePhase(p: Parsed['phases'][number], i: number): Phase {
  const name = p.name ?? defaultPhaseName(i);
  const base = p.request === undefined ? { name, durationMs: p.duration } : { name, durationMs: p.duration, request: dropUndefined(p.request) };
  if (p.arrival) return { ...base, kind: 'open', arrival: p.arrival };
  return { ...base, kind: 'closed', concurrency: p.concurrency! };
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
    request: s.request,
    client: s.client,
    maxInFlight: s.maxInFlight,
    phases: s.phases.map(normalizePhase),
    thresholds: s.thresholds,
    output: { dir: s.output?.dir ?? defaultOutputDir(s.name) },
  };
  if (s.description !== undefined) out.description = s.description;
  return out;
}

export const scenarioSchema = strict(scenarioShape)
  .meta({ title: 'limitprobe scenario', description: 'A load-test scenario for an LLM chat API.' })
  .transform(normalize);

/** What users write (YAML/JSON), as a type. */
export type ScenarioInput = z.input<typeof scenarioSchema>;
