/**
 * Admission of one chat request, in OpenAI's order (validation first by default):
 *   max_tokens above the model's output cap (400) → input above the model's max input (400,
 *   DashScope) → context window (400) → request larger than a token limit (429, never
 *   succeeds) → every limit rule (RPM, TPM, RPD, TPD, ITPM, OTPM, sub-minute layers, max
 *   concurrent) → the burst guard.
 * All rules are checked before any is debited: a request is charged to all or to none.
 * Pure over a BucketStore and a time (one `transact` over all the model's keys, so a shared
 * atomic store can run the same function); the caller owns counters and the clock.
 */
import { levelAt, type BucketSpec, type BucketState, type BucketStore, type BucketView, type TakeDecision } from './bucket.js';
import { burstCeiling, burstParts, burstTake, type BurstSpec } from './burst.js';
import type { Dimension, LimitsView } from './dialect-openai.js';
import { checkAt, creditAt, debitAt, viewAt } from './limiter.js';
import type { LimitRule, RuleName } from './rules.js';

export interface AdmissionSettings {
  /** A 429'd request still takes one request from the request limits (if any is left). Default false. */
  rejectedConsumeRequests: boolean;
  /** Which limit a 429 names when a request and a token limit are both short. Default 'requests'. */
  bothExhausted: 'requests' | 'tokens' | 'longer-wait';
  /** Validation (context window, max_tokens) before the limits (default true); false: limits first, so an invalid request is still charged. */
  validateFirst?: boolean;
}

export const DEFAULT_ADMISSION: AdmissionSettings = { rejectedConsumeRequests: false, bothExhausted: 'requests' };

/** A model's effective limits and the store keys of its state. */
export interface ModelLimits {
  id: string;
  contextWindow: number;
  maxOutputTokens: number;
  /** Largest prompt accepted (DashScope's "Range of input length"). Absent: only the window applies. */
  maxInputTokens?: number;
  /** The headline request and token limits (what `limits.requests` / `limits.tokens` show). */
  requests: BucketSpec;
  tokens: BucketSpec;
  keys: readonly [requests: string, tokens: string];
  /** Every rule enforced. Absent: the two headline buckets (RPM, TPM) under `keys`. */
  rules?: readonly LimitRule[];
  /** Indexes into `rules` of the headline views. */
  headline?: { requests: number; tokens: number };
  /** 'reserve' (default): token limits cost prompt + n × max_tokens at admission; 'generated': prompt at admission, output as generated (Anthropic). */
  charge?: 'reserve' | 'generated';
  /** 'sum' (default): prompt estimate + n × max_tokens; 'max': max(prompt estimate, n × max_tokens), OpenAI's literal doc sentence. */
  reserve?: 'sum' | 'max';
  burst?: { spec: BurstSpec; key: string };
}

export interface AdmissionInput {
  promptTokens: number;
  /** max_completion_tokens ?? max_tokens as sent; undefined when the request left it out. */
  maxTokens?: number;
  maxTokensParam?: 'max_tokens' | 'max_completion_tokens';
  n?: number;
  /** What the limits charge for the prompt (e.g. chars/4, OpenAI's character-based estimate). Default: promptTokens. */
  estimateTokens?: number;
}

export type AdmissionDecision =
  | {
      kind: 'admitted';
      /** Tokens charged to the token limits at admission: prompt + n × maxTokens ('reserve'), or prompt ('generated'). */
      cost: number;
      /** The completion budget (the request's max_tokens, or what the window leaves up to the model's cap). */
      maxTokens: number;
      limits: LimitsView;
    }
  | { kind: 'max_tokens_too_large'; param: string; value: number; max: number }
  | { kind: 'context_exceeded'; contextWindow: number; promptTokens: number; maxTokens?: number; maxInputTokens?: number }
  | { kind: 'request_too_large'; dimension: 'tokens'; limit: number; requested: number; limits: LimitsView; rule?: RuleName }
  | {
      kind: 'rate_limited';
      dimension: Dimension;
      limit: number;
      used: number;
      requested: number;
      waitMs: number;
      limits: LimitsView;
      /** The rule that refused (absent only from stores built before rules existed). 'burst' = the burst guard. */
      rule?: RuleName | 'burst';
    };

export type RejectionKind = Exclude<AdmissionDecision['kind'], 'admitted'>;

const SUB_MINUTE: ReadonlySet<RuleName> = new Set(['rps', 'tps', 'rp10s', 'tp10s']);

/** The rules of `m` (the two legacy buckets when it has none). */
export function rulesOf(m: ModelLimits): readonly LimitRule[] {
  if (m.rules) return m.rules;
  return [
    { name: 'rpm', counts: 'requests', spec: m.requests, key: m.keys[0] },
    { name: 'tpm', counts: 'tokens', spec: m.tokens, key: m.keys[1] },
  ];
}

const EMPTY: BucketView = { limit: 0, remaining: 0, resetMs: 0 };

function views(m: ModelLimits, rules: readonly LimitRule[], states: readonly (BucketState | undefined)[], now: number): LimitsView {
  const h = m.headline ?? { requests: 0, tokens: 1 };
  const r = rules[h.requests];
  const t = rules[h.tokens];
  return {
    requests: r ? viewAt(r.spec, states[h.requests], now) : EMPTY,
    tokens: t ? viewAt(t.spec, states[h.tokens], now) : EMPTY,
  };
}

/** What each rule costs at admission, and what is checked (an OTPM rule only needs room for one token). */
export function costs(m: ModelLimits, rule: LimitRule, prompt: number, reserve: number): { check: number; debit: number } {
  let c: number;
  switch (rule.counts) {
    case 'requests':
    case 'concurrent':
      c = 1;
      break;
    case 'tokens':
      c = m.charge === 'generated' ? prompt : m.reserve === 'max' ? Math.max(prompt, reserve) : prompt + reserve;
      break;
    case 'input_tokens':
      c = prompt;
      break;
    case 'output_tokens':
      if (m.charge === 'generated') return { check: Math.min(1, rule.spec.limit), debit: 0 };
      c = reserve;
      break;
  }
  // A sub-minute layer never makes a request impossible: it needs a full bucket at most.
  if (SUB_MINUTE.has(rule.name) && c > rule.spec.limit) c = rule.spec.limit;
  return { check: c, debit: c };
}

export function validate(m: ModelLimits, input: AdmissionInput): AdmissionDecision | number {
  const prompt = input.promptTokens;
  const asked = input.maxTokens;
  if (asked !== undefined && asked > m.maxOutputTokens) {
    return { kind: 'max_tokens_too_large', param: input.maxTokensParam ?? 'max_tokens', value: asked, max: m.maxOutputTokens };
  }
  if (m.maxInputTokens !== undefined && prompt > m.maxInputTokens) {
    return { kind: 'context_exceeded', contextWindow: m.contextWindow, promptTokens: prompt, maxInputTokens: m.maxInputTokens };
  }
  if (asked === undefined) {
    if (prompt >= m.contextWindow) return { kind: 'context_exceeded', contextWindow: m.contextWindow, promptTokens: prompt };
    return Math.min(m.maxOutputTokens, m.contextWindow - prompt);
  }
  if (prompt + asked > m.contextWindow) return { kind: 'context_exceeded', contextWindow: m.contextWindow, promptTokens: prompt, maxTokens: asked };
  return asked;
}

export function dimensionOf(rule: LimitRule): Dimension {
  return rule.counts === 'requests' || rule.counts === 'concurrent' ? 'requests' : 'tokens';
}

export function admit(store: BucketStore, m: ModelLimits, now: number, input: AdmissionInput, settings: AdmissionSettings = DEFAULT_ADMISSION): AdmissionDecision {
  const prompt = input.promptTokens;
  const est = input.estimateTokens ?? prompt;
  const n = input.n ?? 1;
  const validateFirst = settings.validateFirst !== false;
  let invalid: AdmissionDecision | undefined;
  let maxTokens: number;
  const v = validate(m, input);
  if (typeof v === 'number') maxTokens = v;
  else {
    if (validateFirst) return v;
    invalid = v;
    maxTokens = input.maxTokens ?? Math.max(0, Math.min(m.maxOutputTokens, m.contextWindow - prompt));
  }
  const reserve = n * maxTokens;
  const rules = rulesOf(m);
  const keys = m.burst ? [...rules.map((r) => r.key), m.burst.key] : rules.map((r) => r.key);

  const decision = store.transact<AdmissionDecision>(keys, (states) => {
    const fails: { i: number; d: Extract<TakeDecision, { ok: false }> }[] = [];
    const cs = rules.map((r) => costs(m, r, est, reserve));
    for (let i = 0; i < rules.length; i++) {
      const d = checkAt(rules[i]!.spec, states[i], now, cs[i]!.check);
      if (!d.ok) fails.push({ i, d });
    }
    const out = states.slice();
    if (fails.length === 0) {
      let burstFail: { count: number; ceiling: number; waitMs: number } | undefined;
      if (m.burst) {
        const bi = rules.length;
        const b = burstTake(m.burst.spec, states[bi], now);
        if (b.ok) out[bi] = b.state;
        else {
          const p = burstParts(m.burst.spec, states[bi], now);
          burstFail = { count: p.count, ceiling: Math.floor(burstCeiling(m.burst.spec, p.trailing)), waitMs: b.waitMs };
        }
      }
      if (!burstFail) {
        for (let i = 0; i < rules.length; i++) if (cs[i]!.debit > 0) out[i] = debitAt(rules[i]!.spec, states[i], now, cs[i]!.debit);
        const cost = m.charge === 'generated' ? est : m.reserve === 'max' ? Math.max(est, reserve) : est + reserve;
        return { states: out, result: { kind: 'admitted', cost, maxTokens, limits: views(m, rules, out, now) } };
      }
      return {
        states: out,
        result: { kind: 'rate_limited', dimension: 'requests', rule: 'burst', limit: burstFail.ceiling, used: burstFail.count, requested: 1, waitMs: burstFail.waitMs, limits: views(m, rules, out, now) },
      };
    }
    // Rejected: nothing is charged unless the setting says a 429 still costs a request.
    if (settings.rejectedConsumeRequests) {
      for (let i = 0; i < rules.length; i++) {
        const r = rules[i]!;
        if (r.counts !== 'requests') continue;
        const d = checkAt(r.spec, states[i], now, 1);
        if (d.ok) out[i] = debitAt(r.spec, states[i], now, 1);
        else if (d.level > 0 && (r.spec.algorithm ?? 'bucket') === 'bucket') out[i] = debitAt(r.spec, states[i], now, d.level);
      }
    }
    const limits = views(m, rules, out, now);
    const never = fails.find((f) => f.d.never && dimensionOf(rules[f.i]!) === 'tokens');
    if (never) {
      const r = rules[never.i]!;
      return { states: out, result: { kind: 'request_too_large', dimension: 'tokens', limit: r.spec.capacity ?? r.spec.limit, requested: cs[never.i]!.check, limits, rule: r.name } };
    }
    let pick = fails[0]!;
    if (fails.length > 1) {
      if (settings.bothExhausted === 'longer-wait') pick = fails.reduce((a, b) => (b.d.waitMs > a.d.waitMs ? b : a));
      else pick = fails.find((f) => dimensionOf(rules[f.i]!) === settings.bothExhausted) ?? pick;
    }
    const r = rules[pick.i]!;
    return {
      states: out,
      result: { kind: 'rate_limited', dimension: dimensionOf(r), rule: r.name, limit: r.spec.limit, used: pick.d.used, requested: cs[pick.i]!.check, waitMs: pick.d.waitMs, limits },
    };
  });
  if (invalid && decision.kind === 'admitted') return invalid;
  return decision;
}

/** Returns `amount` unused reserved tokens to the model's token limits. */
export function refundTokens(store: BucketStore, m: ModelLimits, now: number, amount: number): void {
  if (amount <= 0) return;
  const rules = rulesOf(m).filter((r) => r.counts === 'tokens' || (r.counts === 'output_tokens' && m.charge !== 'generated'));
  applyAll(store, rules, (r, s) => creditAt(r.spec, s, now, SUB_MINUTE.has(r.name) ? Math.min(amount, r.spec.limit) : amount));
}

/** Charges `amount` generated output tokens ('generated' mode: OTPM and token limits, as they are produced). */
export function chargeOutput(store: BucketStore, m: ModelLimits, now: number, amount: number): void {
  if (amount <= 0) return;
  const rules = rulesOf(m).filter((r) => r.counts === 'tokens' || r.counts === 'output_tokens');
  applyAll(store, rules, (r, s) => debitAt(r.spec, s, now, amount));
}

/** Releases one in-flight slot (max concurrent requests). */
export function releaseConcurrent(store: BucketStore, m: ModelLimits, now: number): void {
  const rules = rulesOf(m).filter((r) => r.counts === 'concurrent');
  applyAll(store, rules, (r, s) => creditAt(r.spec, s, now, 1));
}

function applyAll(store: BucketStore, rules: readonly LimitRule[], f: (r: LimitRule, s: BucketState | undefined) => BucketState | undefined): void {
  if (rules.length === 0) return;
  store.transact(
    rules.map((r) => r.key),
    (states) => ({ states: states.map((s, i) => f(rules[i]!, s)), result: undefined }),
  );
}

/** Materializes every bucket's content at `now` under its current spec (before a limit change, so refill up to now uses the old rate). */
export function checkpoint(store: BucketStore, m: ModelLimits, now: number): void {
  const rules = rulesOf(m).filter((r) => (r.spec.algorithm ?? 'bucket') === 'bucket');
  applyAll(store, rules, (r, s) => (s === undefined ? undefined : { level: levelAt(r.spec, s, now), at: now }));
}

export function limitsView(store: BucketStore, m: ModelLimits, now: number): LimitsView {
  const rules = rulesOf(m);
  return views(m, rules, rules.map((r) => store.get(r.key)), now);
}

/** Every rule's view, by rule name. */
export function ruleViews(store: BucketStore, m: ModelLimits, now: number): Partial<Record<RuleName, BucketView>> {
  const out: Partial<Record<RuleName, BucketView>> = {};
  for (const r of rulesOf(m)) out[r.name] = viewAt(r.spec, store.get(r.key), now);
  return out;
}
