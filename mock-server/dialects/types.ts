/**
 * A provider's wire dialect as data: where it listens, how it enforces limit values, which
 * headers it sends, and its error bodies (small template functions). The renderers in
 * core/wire.ts turn decisions into responses using only this.
 */
import type { Enforcement, RuleName } from '../core/rules.js';

export type DialectName = 'openai' | 'groq' | 'azure' | 'dashscope' | 'anthropic';
export const DIALECT_NAMES: readonly DialectName[] = ['openai', 'groq', 'azure', 'dashscope', 'anthropic'];

export interface ErrorBody {
  status: number;
  body: unknown;
  /** Extra headers (e.g. retry-after on a capacity 429). */
  headers?: Record<string, string>;
}

/** What a 429 for a limit rule says. */
export interface RateLimitContext {
  model: string;
  org: string;
  rule: RuleName | 'burst';
  limit: number;
  used: number;
  requested: number;
  waitMs: number;
  requestId: string;
}

export interface DialectErrors {
  rateLimited(c: RateLimitContext): ErrorBody;
  requestTooLarge(c: Omit<RateLimitContext, 'used' | 'waitMs'>): ErrorBody;
  contextExceeded(c: { model: string; contextWindow: number; promptTokens: number; maxTokens?: number; maxInputTokens?: number; requestId: string }): ErrorBody;
  maxTokensTooLarge(c: { model: string; param: string; value: number; max: number; requestId: string }): ErrorBody;
  badRequest(c: { message: string; param: string | null; code: string | null; requestId: string }): ErrorBody;
  modelNotFound(c: { model: string; requestId: string }): ErrorBody;
  unauthorized(c: { presented: string | undefined; requestId: string }): ErrorBody;
  /** Spend budget used up: fatal, no retry-after. */
  quotaExceeded(c: { requestId: string }): ErrorBody;
  /** Provider-wide overload (capacity model or timeline), independent of quotas. */
  overloaded(c: { requestId: string; status?: number }): ErrorBody;
  serverError(c: { requestId: string }): ErrorBody;
  payloadTooLarge(c: { bytes: number | undefined; max: number }): ErrorBody;
  invalidUrl(c: { method: string; path: string }): ErrorBody;
}

export interface DialectSpec {
  name: DialectName;
  family: 'openai' | 'anthropic';
  /** Limits are per credential (API key) or per account (DashScope: every key of the root account shares them). */
  scope: 'credential' | 'account';
  enforcement: Enforcement;
  /** 'reserve': token limits charged prompt + max_tokens at admission; 'generated': output charged as produced. */
  charge: 'reserve' | 'generated';
  /** Rules shown by the request/token headers: the first that exists. */
  headline: { requests: readonly RuleName[]; tokens: readonly RuleName[] };
  headers: {
    /** Rate-limit header style on responses. */
    style: 'openai' | 'azure' | 'anthropic' | 'none';
    /** Also on 429s (OpenAI's chat route does; its Responses API was seen without). */
    on429: boolean;
    retryAfter: 'seconds' | 'seconds+ms' | 'none';
  };
  /** Headers that carry the API key, in order; `authorization` means `Bearer <key>`. */
  authHeaders: readonly string[];
  requestIdHeader: string;
  errors: DialectErrors;
}
