/**
 * Which limits apply to one (scope, model): a list of rules, each a limit value, an algorithm
 * (core/limiter.ts), a window, what it counts, and the store key of its state. Built from the
 * model's limit values and the dialect's enforcement data (dialects/*.ts), so "Azure counts
 * requests per 10 s and TPM in fixed minutes" is data, not code.
 */
import type { BucketSpec } from './bucket.js';
import type { Algorithm } from './limiter.js';

export type RuleName = 'rpm' | 'tpm' | 'rpd' | 'tpd' | 'itpm' | 'otpm' | 'rps' | 'tps' | 'rp10s' | 'tp10s' | 'concurrent';
/** What a rule counts; decides the admission cost. */
export type Counts = 'requests' | 'tokens' | 'input_tokens' | 'output_tokens' | 'concurrent';

export interface LimitRule {
  name: RuleName;
  counts: Counts;
  spec: BucketSpec;
  key: string;
}

/** Limit values of one model (per minute unless named per day). Absent = not enforced. */
export interface LimitValues {
  rpm?: number;
  tpm?: number;
  rpd?: number;
  tpd?: number;
  /** Anthropic-style input and output token limits per minute. */
  itpm?: number;
  otpm?: number;
  /** Max requests in flight at once. */
  maxConcurrent?: number;
  /**
   * Bucket capacity (burst) of the RPM / TPM bucket when it differs from the refill: the
   * bucket holds up to this many requests / tokens and refills at rpm / tpm per minute.
   * Absent: capacity = the per-minute limit (the reference's bucket). Continuous buckets only.
   */
  rpmCapacity?: number;
  tpmCapacity?: number;
}

export const LIMIT_VALUE_KEYS = ['rpm', 'tpm', 'rpd', 'tpd', 'itpm', 'otpm', 'maxConcurrent', 'rpmCapacity', 'tpmCapacity'] as const;

/** Which per-minute limit each capacity belongs to. */
export const CAPACITY_OF = { rpmCapacity: 'rpm', tpmCapacity: 'tpm' } as const;

/** How a dialect enforces limit values (data in dialects/*.ts; options may override parts). */
export interface Enforcement {
  /** Algorithm of the per-minute request limit. */
  requests: Algorithm;
  /** Algorithm of the per-minute token limits (TPM, ITPM, OTPM). */
  tokens: Algorithm;
  /** Algorithm of per-day limits. */
  daily: Algorithm;
  /**
   * Optional sub-minute layer, on top of the minute rules:
   * '1s': RPS = RPM/60 and TPS = TPM/60 buckets (capacity L/60 over 1 s);
   * '10s': RPM/6 and TPM/6 over 10 s. 'none' (default).
   */
  subMinute: 'none' | '1s' | '10s';
  /** Requests are enforced only per 10 s (RPM/6), not per minute (Azure). */
  requestsPer10s: boolean;
}

export const DEFAULT_ENFORCEMENT: Enforcement = { requests: 'bucket', tokens: 'bucket', daily: 'bucket', subMinute: 'none', requestsPer10s: false };

const MINUTE = 60_000;
const DAY = 86_400_000;

function spec(limit: number, windowMs: number, algorithm: Algorithm, capacity?: number): BucketSpec {
  if (algorithm !== 'bucket') return { limit, windowMs, algorithm };
  return capacity === undefined || capacity === limit ? { limit, windowMs } : { limit, windowMs, capacity };
}

/**
 * Why capacities in `v` cannot apply under `e` (a capacity needs a continuous bucket per minute),
 * as configuration issues; empty when they can.
 */
export function capacityIssues(v: LimitValues, e: Enforcement, at = ''): { path: string; expected: string; found: string }[] {
  const out: { path: string; expected: string; found: string }[] = [];
  if (v.rpmCapacity !== undefined) {
    if (v.rpm === undefined) out.push({ path: `${at}rpmCapacity`, expected: 'an rpm limit for the capacity to refill at', found: 'no rpm' });
    else if (e.requestsPer10s || e.requests !== 'bucket') out.push({ path: `${at}rpmCapacity`, expected: "requests enforced per minute as a continuous bucket (enforcement.requests 'bucket')", found: e.requestsPer10s ? 'requests per 10 s' : `enforcement.requests '${e.requests}'` });
  }
  if (v.tpmCapacity !== undefined) {
    if (v.tpm === undefined) out.push({ path: `${at}tpmCapacity`, expected: 'a tpm limit for the capacity to refill at', found: 'no tpm' });
    else if (e.tokens !== 'bucket') out.push({ path: `${at}tpmCapacity`, expected: "tokens enforced as a continuous bucket (enforcement.tokens 'bucket')", found: `enforcement.tokens '${e.tokens}'` });
  }
  return out;
}

/** The rules for limit values `v` under `e`, keyed `${scope}:${model}:${rule}`. Order: requests first. */
export function buildRules(scope: string, model: string, v: LimitValues, e: Enforcement): LimitRule[] {
  const rules: LimitRule[] = [];
  const add = (name: RuleName, counts: Counts, s: BucketSpec) => rules.push({ name, counts, spec: s, key: `${scope}:${model}:${name}` });
  if (v.maxConcurrent !== undefined) add('concurrent', 'concurrent', { limit: v.maxConcurrent, windowMs: MINUTE, algorithm: 'counter' });
  if (v.rpm !== undefined) {
    if (e.requestsPer10s) add('rp10s', 'requests', spec(v.rpm / 6, 10_000, e.requests));
    else add('rpm', 'requests', spec(v.rpm, MINUTE, e.requests, v.rpmCapacity));
    if (e.subMinute === '1s') add('rps', 'requests', spec(v.rpm / 60, 1000, 'bucket'));
    else if (e.subMinute === '10s' && !e.requestsPer10s) add('rp10s', 'requests', spec(v.rpm / 6, 10_000, 'bucket'));
  }
  if (v.rpd !== undefined) add('rpd', 'requests', spec(v.rpd, DAY, e.daily));
  if (v.tpm !== undefined) {
    add('tpm', 'tokens', spec(v.tpm, MINUTE, e.tokens, v.tpmCapacity));
    if (e.subMinute === '1s') add('tps', 'tokens', spec(v.tpm / 60, 1000, 'bucket'));
    else if (e.subMinute === '10s') add('tp10s', 'tokens', spec(v.tpm / 6, 10_000, 'bucket'));
  }
  if (v.tpd !== undefined) add('tpd', 'tokens', spec(v.tpd, DAY, e.daily));
  if (v.itpm !== undefined) add('itpm', 'input_tokens', spec(v.itpm, MINUTE, e.tokens));
  if (v.otpm !== undefined) add('otpm', 'output_tokens', spec(v.otpm, MINUTE, e.tokens));
  return rules;
}

/** Human label of a rule, as OpenAI-style messages name it. */
export const RULE_LABEL: Record<RuleName, string> = {
  rpm: 'requests per min (RPM)',
  tpm: 'tokens per min (TPM)',
  rpd: 'requests per day (RPD)',
  tpd: 'tokens per day (TPD)',
  itpm: 'input tokens per min (ITPM)',
  otpm: 'output tokens per min (OTPM)',
  rps: 'requests per second (RPS)',
  tps: 'tokens per second (TPS)',
  rp10s: 'requests per 10 seconds',
  tp10s: 'tokens per 10 seconds',
  concurrent: 'concurrent requests',
};
