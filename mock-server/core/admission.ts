/**
 * Admission of one chat request, in OpenAI's order:
 *   max_tokens above the model's output cap (400) → context window (400) →
 *   request larger than the TPM limit (429, never succeeds) → RPM bucket (cost 1) →
 *   TPM bucket (cost prompt + n × max_tokens).
 * Both buckets are checked before either is debited: a request is charged to both or to
 * neither. Pure over a BucketStore and a time; the caller owns counters and the clock.
 */
import { check, credit, debit, levelAt, viewOf, type BucketSpec, type BucketState, type BucketStore } from './bucket.js';
import type { Dimension, LimitsView } from './dialect-openai.js';

export interface AdmissionSettings {
  /** A 429'd request still takes one request from the RPM bucket (if any is left). Default false. */
  rejectedConsumeRequests: boolean;
  /** Which limit a 429 names when both RPM and TPM are short. Default 'requests'. */
  bothExhausted: 'requests' | 'tokens' | 'longer-wait';
}

export const DEFAULT_ADMISSION: AdmissionSettings = { rejectedConsumeRequests: false, bothExhausted: 'requests' };

/** A model's effective limits and the store keys of its two buckets. */
export interface ModelLimits {
  id: string;
  contextWindow: number;
  maxOutputTokens: number;
  requests: BucketSpec;
  tokens: BucketSpec;
  keys: readonly [requests: string, tokens: string];
}

export interface AdmissionInput {
  promptTokens: number;
  /** max_completion_tokens ?? max_tokens as sent; undefined when the request left it out. */
  maxTokens?: number;
  maxTokensParam?: 'max_tokens' | 'max_completion_tokens';
  n?: number;
}

export type AdmissionDecision =
  | {
      kind: 'admitted';
      /** Tokens charged to TPM: prompt + n × maxTokens. */
      cost: number;
      /** The completion budget (the request's max_tokens, or what the window leaves up to the model's cap). */
      maxTokens: number;
      limits: LimitsView;
    }
  | { kind: 'max_tokens_too_large'; param: string; value: number; max: number }
  | { kind: 'context_exceeded'; contextWindow: number; promptTokens: number; maxTokens?: number }
  | { kind: 'request_too_large'; dimension: 'tokens'; limit: number; requested: number; limits: LimitsView }
  | { kind: 'rate_limited'; dimension: Dimension; limit: number; used: number; requested: number; waitMs: number; limits: LimitsView };

export type RejectionKind = Exclude<AdmissionDecision['kind'], 'admitted'>;

function views(m: ModelLimits, r: BucketState | undefined, t: BucketState | undefined, now: number): LimitsView {
  return { requests: viewOf(m.requests, levelAt(m.requests, r, now)), tokens: viewOf(m.tokens, levelAt(m.tokens, t, now)) };
}

export function admit(store: BucketStore, m: ModelLimits, now: number, input: AdmissionInput, settings: AdmissionSettings = DEFAULT_ADMISSION): AdmissionDecision {
  const prompt = input.promptTokens;
  const n = input.n ?? 1;
  const asked = input.maxTokens;
  if (asked !== undefined && asked > m.maxOutputTokens) {
    return { kind: 'max_tokens_too_large', param: input.maxTokensParam ?? 'max_tokens', value: asked, max: m.maxOutputTokens };
  }
  let maxTokens: number;
  if (asked === undefined) {
    if (prompt >= m.contextWindow) return { kind: 'context_exceeded', contextWindow: m.contextWindow, promptTokens: prompt };
    maxTokens = Math.min(m.maxOutputTokens, m.contextWindow - prompt);
  } else {
    if (prompt + asked > m.contextWindow) return { kind: 'context_exceeded', contextWindow: m.contextWindow, promptTokens: prompt, maxTokens: asked };
    maxTokens = asked;
  }
  const cost = prompt + n * maxTokens;

  return store.transact<AdmissionDecision>(m.keys, ([rs, ts]) => {
    const rc = check(m.requests, rs, now, 1);
    const tc = check(m.tokens, ts, now, cost);
    if (rc.ok && tc.ok) {
      const r2 = debit(m.requests, rs, now, 1);
      const t2 = debit(m.tokens, ts, now, cost);
      return {
        states: [r2, t2],
        result: { kind: 'admitted', cost, maxTokens, limits: views(m, r2, t2, now) },
      };
    }
    // Rejected: nothing is charged unless the setting says a 429 still costs a request.
    let r2 = rs;
    if (settings.rejectedConsumeRequests) {
      const lvl = levelAt(m.requests, rs, now);
      if (lvl > 0) r2 = debit(m.requests, rs, now, Math.min(1, lvl));
    }
    const limits = views(m, r2, ts, now);
    let result: AdmissionDecision;
    if (!tc.ok && tc.never) {
      result = { kind: 'request_too_large', dimension: 'tokens', limit: m.tokens.limit, requested: cost, limits };
    } else {
      let dim: Dimension;
      if (!rc.ok && !tc.ok) {
        dim =
          settings.bothExhausted === 'longer-wait' ? (tc.waitMs > rc.waitMs ? 'tokens' : 'requests') : settings.bothExhausted;
      } else dim = rc.ok ? 'tokens' : 'requests';
      const d = dim === 'requests' ? rc : tc;
      if (d.ok) throw new Error('unreachable: chosen dimension admitted');
      result = {
        kind: 'rate_limited',
        dimension: dim,
        limit: dim === 'requests' ? m.requests.limit : m.tokens.limit,
        used: d.used,
        requested: dim === 'requests' ? 1 : cost,
        waitMs: d.waitMs,
        limits,
      };
    }
    return { states: [r2, ts], result };
  });
}

/** Returns `amount` tokens to the model's TPM bucket (the unused part of a reservation). */
export function refundTokens(store: BucketStore, m: ModelLimits, now: number, amount: number): void {
  if (amount <= 0) return;
  store.transact([m.keys[1]], ([ts]) => ({ states: [credit(m.tokens, ts, now, amount)], result: undefined }));
}

export function limitsView(store: BucketStore, m: ModelLimits, now: number): LimitsView {
  return views(m, store.get(m.keys[0]), store.get(m.keys[1]), now);
}
