/**
 * `client.retry`, `groups[].retry` and `matrix[].retry`: a client retry policy as data. The
 * normalized shape is client/retry's RetrySpec (a test keeps the two assignable); the preset
 * names are repeated here because scenario/ may not import client/ (a test keeps them equal).
 */
import { z } from 'zod';
import { discriminated, expecting, nonNegative, positiveInt, strict } from './schema-kit.js';

export const RETRY_PRESET_NAMES = [
  'none',
  'openai-node',
  'anthropic',
  'openai-python',
  'vercel-ai',
  'langchain',
  'naive',
  'aws-standard',
  'aws-adaptive',
  'sre',
  'cookbook',
  'no-jitter',
  'full-jitter',
  'equal-jitter',
  'decorrelated-jitter',
  'retry-after',
  'aimd',
  'adaptive',
  'pacing',
  'shared-pacing',
  'ignore-retry-after',
] as const;

const ms = (what = 'a number of ms ≥ 0') => nonNegative(what);
const posMs = z.number(expecting('a positive number of ms')).positive(expecting('a positive number of ms'));
const fraction = z.number(expecting('a number in (0, 1]')).positive(expecting('a number in (0, 1]')).max(1, expecting('a number in (0, 1]'));
const posNum = (p = 'a positive number') => z.number(expecting(p)).positive(expecting(p));

const BACKOFFS = '"none", "fixed", "exponential", "full-jitter", "equal-jitter", "decorrelated-jitter", "stainless" or "p-retry"';
const expoShape = { baseMs: posMs, capMs: posMs, factor: posNum('a factor > 0').optional() };
export const backoffSchema = z
  .discriminatedUnion(
    'type',
    [
      strict({ type: z.literal('none') }),
      strict({ type: z.literal('fixed'), delayMs: ms() }),
      strict({ type: z.literal('exponential'), ...expoShape }),
      strict({ type: z.literal('full-jitter'), ...expoShape }),
      strict({ type: z.literal('equal-jitter'), ...expoShape }),
      strict({ type: z.literal('decorrelated-jitter'), baseMs: posMs, capMs: posMs }),
      strict({ type: z.literal('stainless'), baseMs: posMs, capMs: posMs }),
      strict({ type: z.literal('p-retry'), baseMs: posMs, capMs: posMs, factor: posNum('a factor > 0') }),
    ],
    discriminated('an object such as { type: full-jitter, baseMs: 500, capMs: 20000 }', BACKOFFS),
  )
  .meta({
    description:
      'Wait before retry n (n = retries made): none; fixed delayMs; exponential min(cap, base·factor^n); full-jitter U(0, expo); equal-jitter expo/2 + U(0, expo/2); decorrelated-jitter min(cap, U(base, 3·previous)); stainless (openai-node/anthropic) min(base·2^n, cap)·(1 − 0.25U); p-retry (LangChain) min(cap, base·factor^n·U[1, 2)).',
  });

export const retrySchema = strict({
  preset: z
    .enum(RETRY_PRESET_NAMES, expecting(`one of ${RETRY_PRESET_NAMES.join(', ')}`))
    .optional()
    .meta({ description: 'Start from what a client does by default (openai-node, anthropic, openai-python, vercel-ai, langchain, naive, aws-standard, aws-adaptive, sre, cookbook) or a shootout arm; the fields below override it. See docs/retry.md.' }),
  maxAttempts: positiveInt('a positive integer (attempts, the first included)').optional(),
  backoff: backoffSchema.optional(),
  retryAfter: strict({
    honor: z.boolean(expecting('true or false')),
    capMs: ms().optional().meta({ description: 'Advice longer than this is not obeyed as is (openai-node: 60000).' }),
    beyondCap: z.enum(['backoff', 'fail', 'cap'], expecting('"backoff", "fail" or "cap"')).optional().meta({ description: 'Over the cap: the computed backoff (an early retry), give up, or wait capMs.' }),
    combine: z.enum(['advice', 'max'], expecting('"advice" or "max"')).optional().meta({ description: 'advice: wait what the server says; max: max(advice, backoff) (AWS).' }),
    useResetHeaders: z.boolean(expecting('true or false')).optional().meta({ description: 'Without retry-after, wait x-ratelimit-reset-requests/-tokens (the limit the 429 names).' }),
    spreadMs: ms().optional().meta({ description: 'Add U(0, spreadMs) to the advice, so clients told the same time do not return in step.' }),
    shorterThanBackoff: z.boolean(expecting('true or false')).optional().meta({ description: 'Vercel AI SDK: obey advice above the cap when it is shorter than the backoff.' }),
  })
    .optional()
    .meta({ description: "The server's advice: retry-after-ms, else retry-after (seconds or HTTP date), else optionally x-ratelimit-reset-*." }),
  retryOn: z
    .enum(['outcome', 'status-408-409-429-5xx', 'not-4xx', '429-only'], expecting('"outcome", "status-408-409-429-5xx", "not-4xx" or "429-only"'))
    .optional()
    .meta({ description: 'What is retried. outcome (default): rate limits, overload, 5xx, timeouts, network errors. quota_exhausted and context_exceeded are never retried.' }),
  pacing: strict({
    rpm: posNum().optional(),
    tpm: posNum().optional(),
    headroom: fraction.optional().meta({ description: 'Fraction of the target limits used when rpm/tpm are derived (default 0.9), split equally among the groups.' }),
    burstSeconds: posNum().optional().meta({ description: 'Bucket capacity in seconds of refill (default 60: a minute’s burst, as the cookbook).' }),
    refund: z.boolean(expecting('true or false')).optional().meta({ description: 'Give back the unused max_tokens when a response reports usage (default true).' }),
    pauseAfter429Ms: ms().optional().meta({ description: 'Send nothing for this long after a 429 (cookbook: 15000).' }),
  })
    .optional()
    .meta({ description: 'Client-side RPM+TPM token buckets reserving prompt + max_tokens before each send (OpenAI cookbook).' }),
  adaptive: z
    .discriminatedUnion(
      'type',
      [
        strict({
          type: z.literal('aimd'),
          unit: z.enum(['requests', 'tokens'], expecting('"requests" or "tokens"')).optional(),
          increasePerSec: posNum().optional(),
          decrease: fraction.optional(),
          minRate: posNum().optional(),
          initialRate: posNum().optional(),
        }),
        strict({ type: z.literal('cubic'), beta: fraction.optional(), scaleConstant: posNum().optional(), minFillRate: posNum().optional() }),
      ],
      discriminated('an object such as { type: cubic }', '"aimd" or "cubic"'),
    )
    .optional()
    .meta({ description: 'A send-rate controller learning the limit from 429s: aimd, or cubic (AWS SDK adaptive mode).' }),
  budget: strict({
    ratio: nonNegative('a number ≥ 0').optional().meta({ description: 'SRE: retry only while retries / first attempts ≤ ratio (0.1).' }),
    quota: strict({ initial: positiveInt(), cost: positiveInt(), timeoutCost: positiveInt(), noRetryIncrement: nonNegative('a number ≥ 0') })
      .optional()
      .meta({ description: 'AWS retry quota: initial 500, cost 5, timeoutCost 10, noRetryIncrement 1.' }),
  }).optional(),
  throttle: strict({ k: posNum('a number > 0 (K)'), windowMs: posMs })
    .optional()
    .meta({ description: 'SRE client-side adaptive throttling: reject locally with P = max(0, (requests − K·accepts)/(requests + 1)).' }),
}).meta({ description: 'A client retry policy: a preset and/or its parts. Each client group runs its own instance.' });

export type RetryConfig = z.output<typeof retrySchema>;

const MATRIX_NAME = 'a name of letters, digits, ".", "_" or "-"';
export const matrixEntrySchema = z
  .union(
    [
      z.enum(RETRY_PRESET_NAMES, expecting(`a preset name (${RETRY_PRESET_NAMES.join(', ')}) or { name, retry }`)),
      strict({
        name: z.string(expecting(MATRIX_NAME)).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, expecting(MATRIX_NAME)),
        retry: retrySchema,
      }),
    ],
    expecting('a preset name or { name, retry }'),
  )
  .transform((e): { name: string; retry: RetryConfig } => (typeof e === 'string' ? { name: e, retry: { preset: e } } : e));

export type MatrixEntryConfig = z.output<typeof matrixEntrySchema>;
