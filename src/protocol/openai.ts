/**
 * OpenAI Chat Completions wire format (also spoken by Groq, DashScope compatible mode, vLLM…):
 * request, response and chunk types, the error body, the rate-limit header names, and parsers
 * for the headers a client reads back. Types only cover the fields limitprobe sends or reads.
 */
import { parseGoDuration } from './duration.js';

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface ChatContentPartText {
  type: 'text';
  text: string;
}

export interface ChatMessageParam {
  role: ChatRole;
  content: string | ChatContentPartText[];
  name?: string;
}

export interface StreamOptions {
  include_usage?: boolean;
}

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessageParam[];
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  stream?: boolean | null;
  stream_options?: StreamOptions | null;
  n?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  user?: string;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'function_call';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details?: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

export interface ChatCompletionMessage {
  role: 'assistant';
  content: string | null;
  refusal: string | null;
}

export interface ChatCompletionChoice {
  index: number;
  message: ChatCompletionMessage;
  logprobs: null;
  finish_reason: FinishReason;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: ChatCompletionChoice[];
  usage: Usage;
  system_fingerprint?: string | null;
  service_tier?: string | null;
}

export interface ChatCompletionChunkChoice {
  index: number;
  delta: { role?: 'assistant'; content?: string | null; refusal?: string | null };
  logprobs: null;
  finish_reason: FinishReason | null;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChatCompletionChunkChoice[];
  /** `null` on every chunk when include_usage is on, except the final `choices: []` chunk. */
  usage?: Usage | null;
  system_fingerprint?: string | null;
  service_tier?: string | null;
}

export interface OpenAIError {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** Every OpenAI error response: `{"error":{"message","type","param","code"}}`. */
export interface OpenAIErrorBody {
  error: OpenAIError;
}

/** `GET /v1/models` */
export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

export interface ModelList {
  object: 'list';
  data: ModelObject[];
}

/** The six rate-limit headers OpenAI (and Groq) put on every chat response. */
export const RATE_LIMIT_HEADER = {
  limitRequests: 'x-ratelimit-limit-requests',
  limitTokens: 'x-ratelimit-limit-tokens',
  remainingRequests: 'x-ratelimit-remaining-requests',
  remainingTokens: 'x-ratelimit-remaining-tokens',
  resetRequests: 'x-ratelimit-reset-requests',
  resetTokens: 'x-ratelimit-reset-tokens',
} as const;

export const RETRY_AFTER_HEADER = 'retry-after';
export const RETRY_AFTER_MS_HEADER = 'retry-after-ms';
export const REQUEST_ID_HEADER = 'x-request-id';
export const PROCESSING_MS_HEADER = 'openai-processing-ms';

/** Stable OpenAI error codes and types the harness and the mock share. */
export const OPENAI_ERROR = {
  rateLimitCode: 'rate_limit_exceeded',
  contextLengthCode: 'context_length_exceeded',
  modelNotFoundCode: 'model_not_found',
  insufficientQuotaCode: 'insufficient_quota',
  invalidRequestType: 'invalid_request_error',
  tokensType: 'tokens',
  requestsType: 'requests',
} as const;

/** The rate-limit headers of a response, parsed (AttemptRecord.rateLimit re-exports this type). */
export interface RateLimitHeaders {
  limitRequests?: number;
  limitTokens?: number;
  remainingRequests?: number;
  remainingTokens?: number;
  /** ms until the bucket is full again (parsed from Go-style durations or RFC 3339). */
  resetRequestsMs?: number;
  resetTokensMs?: number;
}

/** Reads one header by lower-case name; undefined when absent. */
export type HeaderGetter = (name: string) => string | null | undefined;

function parseCount(v: string | null | undefined): number | undefined {
  if (v == null) return undefined;
  const t = v.trim();
  if (!/^-?\d+(\.\d+)?$/.test(t)) return undefined;
  return Number(t);
}

/**
 * A reset value: a Go duration (`6m0s`, OpenAI/Groq), or an RFC 3339 timestamp (Anthropic:
 * the instant the bucket is full) converted to ms from `nowEpochMs`, or bare seconds.
 */
export function parseResetValue(v: string | null | undefined, nowEpochMs: number = Date.now()): number | undefined {
  if (v == null) return undefined;
  const t = v.trim();
  if (t === '') return undefined;
  const d = parseGoDuration(t);
  if (d !== undefined) return d;
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  if (/^\d{4}-\d\d-\d\dT/.test(t)) {
    const at = Date.parse(t);
    if (!Number.isNaN(at)) return Math.max(0, at - nowEpochMs);
  }
  return undefined;
}

/** The `x-ratelimit-*` headers of a response; absent or unparsable headers are left out. */
export function parseRateLimitHeaders(get: HeaderGetter, nowEpochMs: number = Date.now()): RateLimitHeaders {
  const out: RateLimitHeaders = {};
  const lr = parseCount(get(RATE_LIMIT_HEADER.limitRequests));
  const lt = parseCount(get(RATE_LIMIT_HEADER.limitTokens));
  const rr = parseCount(get(RATE_LIMIT_HEADER.remainingRequests));
  const rt = parseCount(get(RATE_LIMIT_HEADER.remainingTokens));
  const sr = parseResetValue(get(RATE_LIMIT_HEADER.resetRequests), nowEpochMs);
  const st = parseResetValue(get(RATE_LIMIT_HEADER.resetTokens), nowEpochMs);
  if (lr !== undefined) out.limitRequests = lr;
  if (lt !== undefined) out.limitTokens = lt;
  if (rr !== undefined) out.remainingRequests = rr;
  if (rt !== undefined) out.remainingTokens = rt;
  if (sr !== undefined) out.resetRequestsMs = sr;
  if (st !== undefined) out.resetTokensMs = st;
  return out;
}

/**
 * The server's requested wait in ms, read as the official SDK does: `retry-after-ms` (float ms)
 * first, then `retry-after` as seconds (may be fractional) or an HTTP date. Undefined when
 * neither is present or parsable. Negative values are rejected; past dates give 0.
 */
export function parseRetryAfter(get: HeaderGetter, nowEpochMs: number = Date.now()): number | undefined {
  const ms = get(RETRY_AFTER_MS_HEADER);
  if (ms != null) {
    const t = ms.trim();
    if (t !== '') {
      const v = Number(t);
      if (Number.isFinite(v) && v >= 0) return v;
    }
  }
  const ra = get(RETRY_AFTER_HEADER);
  if (ra == null) return undefined;
  const t = ra.trim();
  if (t === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const at = Date.parse(t);
  if (!Number.isNaN(at)) return Math.max(0, at - nowEpochMs);
  return undefined;
}

/** Builds `{error:{message,type,param,code}}`. */
export function openAIErrorBody(message: string, type: string, param: string | null = null, code: string | null = null): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/** Text of a message's content (string, or the concatenated text parts). */
export function messageText(content: ChatMessageParam['content']): string {
  if (typeof content === 'string') return content;
  let s = '';
  for (const p of content) if (p && p.type === 'text') s += p.text;
  return s;
}
