/**
 * OpenAI's wire dialect for the mock: the rate-limit headers every chat response carries, the
 * exact 429/400/404 bodies (reference §1, §6), and the error shape for everything else.
 * Pure: decisions in, { status, headers, body } out.
 */
import { formatGoDuration } from '../../src/protocol/duration.js';
import {
  OPENAI_ERROR,
  RATE_LIMIT_HEADER,
  RETRY_AFTER_HEADER,
  RETRY_AFTER_MS_HEADER,
  type OpenAIErrorBody,
} from '../../src/protocol/openai.js';
import type { BucketView } from './bucket.js';

export const RATE_LIMITS_URL = 'https://platform.openai.com/account/rate-limits';

export interface LimitsView {
  requests: BucketView;
  tokens: BucketView;
}

export type Dimension = 'requests' | 'tokens';

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The six `x-ratelimit-*` headers, Go-style resets. */
export function rateLimitHeaders(limits: LimitsView, into: Record<string, string> = {}): Record<string, string> {
  into[RATE_LIMIT_HEADER.limitRequests] = String(limits.requests.limit);
  into[RATE_LIMIT_HEADER.limitTokens] = String(limits.tokens.limit);
  into[RATE_LIMIT_HEADER.remainingRequests] = String(limits.requests.remaining);
  into[RATE_LIMIT_HEADER.remainingTokens] = String(limits.tokens.remaining);
  into[RATE_LIMIT_HEADER.resetRequests] = formatGoDuration(limits.requests.resetMs);
  into[RATE_LIMIT_HEADER.resetTokens] = formatGoDuration(limits.tokens.resetMs);
  return into;
}

const DIM_LABEL: Record<Dimension, string> = {
  requests: 'requests per min (RPM)',
  tokens: 'tokens per min (TPM)',
};

/** "Rate limit reached for {model} in organization {org} on tokens per min (TPM): Limit L, Used U, Requested R. Please try again in d. Visit …" */
export function rateLimitMessage(dim: Dimension, model: string, org: string, limit: number, used: number, requested: number, waitMs: number): string {
  return `Rate limit reached for ${model} in organization ${org} on ${DIM_LABEL[dim]}: Limit ${limit}, Used ${used}, Requested ${requested}. Please try again in ${formatGoDuration(waitMs)}. Visit ${RATE_LIMITS_URL} to learn more.`;
}

/** The 429 for a request larger than the whole limit: no Used, no try-again; retrying never helps. */
export function requestTooLargeMessage(dim: Dimension, model: string, org: string, limit: number, requested: number): string {
  return `Request too large for ${model} in organization ${org} on ${DIM_LABEL[dim]}: Limit ${limit}, Requested ${requested}. The input or output tokens must be reduced in order to run successfully. Visit ${RATE_LIMITS_URL} to learn more.`;
}

/** 400 context_length_exceeded, in OpenAI's two variants. */
export function contextLengthMessage(contextWindow: number, promptTokens: number, maxTokens: number | undefined): string {
  if (maxTokens === undefined) {
    return `This model's maximum context length is ${contextWindow} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`;
  }
  return `This model's maximum context length is ${contextWindow} tokens. However, you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`;
}

export function maxTokensTooLargeMessage(param: string, value: number, max: number): string {
  return `${param} is too large: ${value}. This model supports at most ${max} completion tokens, whereas you provided ${value}.`;
}

export function modelNotFoundMessage(model: string): string {
  return `The model \`${model}\` does not exist or you do not have access to it.`;
}

export function errorJson(message: string, type: string, param: string | null, code: string | null): string {
  const body: OpenAIErrorBody = { error: { message, type, param, code } };
  return JSON.stringify(body);
}

const JSON_CT = 'application/json';

export function errorResponse(status: number, message: string, type: string, param: string | null, code: string | null, headers: Record<string, string> = {}): WireResponse {
  headers['content-type'] = JSON_CT;
  return { status, headers, body: errorJson(message, type, param, code) };
}

/** A 429 for a bucket that is short now: rate-limit headers, retry-after (ceil s) and retry-after-ms. */
export function rateLimited(
  dim: Dimension,
  model: string,
  org: string,
  limit: number,
  used: number,
  requested: number,
  waitMs: number,
  limits: LimitsView,
  headers: Record<string, string> = {},
): WireResponse {
  rateLimitHeaders(limits, headers);
  const shownMs = Math.round(waitMs);
  headers[RETRY_AFTER_HEADER] = String(Math.ceil(shownMs / 1000));
  headers[RETRY_AFTER_MS_HEADER] = String(shownMs);
  return errorResponse(
    429,
    rateLimitMessage(dim, model, org, limit, used, requested, waitMs),
    dim === 'tokens' ? OPENAI_ERROR.tokensType : OPENAI_ERROR.requestsType,
    null,
    OPENAI_ERROR.rateLimitCode,
    headers,
  );
}

/** The never-succeeds 429: rate-limit headers but no retry-after. */
export function requestTooLarge(model: string, org: string, limit: number, requested: number, limits: LimitsView, headers: Record<string, string> = {}): WireResponse {
  rateLimitHeaders(limits, headers);
  return errorResponse(429, requestTooLargeMessage('tokens', model, org, limit, requested), OPENAI_ERROR.tokensType, null, OPENAI_ERROR.rateLimitCode, headers);
}

export function contextLengthExceeded(contextWindow: number, promptTokens: number, maxTokens: number | undefined, headers: Record<string, string> = {}): WireResponse {
  return errorResponse(400, contextLengthMessage(contextWindow, promptTokens, maxTokens), OPENAI_ERROR.invalidRequestType, 'messages', OPENAI_ERROR.contextLengthCode, headers);
}

export function modelNotFound(model: string, headers: Record<string, string> = {}): WireResponse {
  return errorResponse(404, modelNotFoundMessage(model), OPENAI_ERROR.invalidRequestType, null, OPENAI_ERROR.modelNotFoundCode, headers);
}

export function badRequest(message: string, param: string | null, code: string | null, headers: Record<string, string> = {}): WireResponse {
  return errorResponse(400, message, OPENAI_ERROR.invalidRequestType, param, code, headers);
}

export function payloadTooLarge(bytes: number | undefined, max: number, headers: Record<string, string> = {}): WireResponse {
  const size = bytes === undefined ? 'The request body' : `The request body (${bytes} bytes)`;
  return errorResponse(413, `${size} exceeds the maximum of ${max} bytes.`, OPENAI_ERROR.invalidRequestType, null, 'request_too_large', headers);
}

/** OpenAI's answer to an unknown route. */
export function invalidUrl(method: string, path: string, headers: Record<string, string> = {}): WireResponse {
  return errorResponse(404, `Invalid URL (${method} ${path})`, OPENAI_ERROR.invalidRequestType, null, null, headers);
}

export function serverError(headers: Record<string, string> = {}): WireResponse {
  return errorResponse(500, 'The server had an error while processing your request. Sorry about that!', 'server_error', null, null, headers);
}

/** OpenAI's message for a body that is not JSON. */
export const INVALID_JSON_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";
