/**
 * Outcome classification: (dialect, status, provider error type/code, transport failure) →
 * Outcome. Decided per dialect on status + code first; message text is only a secondary
 * signal *within* an already-identified status/code, because the same words mean different
 * things per provider (DashScope's `insufficient_quota` is its retryable TPM throttle,
 * OpenAI's is a fatal billing stop). The one exception is Azure's 429, which carries no
 * machine-readable code (`code: "429"`): its message is the only signal there is.
 * Sources: /work/shared/reference/limits-and-mocks.md §1–5.
 */
import type { Outcome } from './record.js';

export type Dialect = 'openai' | 'azure' | 'dashscope' | 'anthropic' | 'groq';

export interface ClassifyInput {
  dialect: Dialect;
  /** HTTP status; undefined when no response arrived. */
  status?: number;
  /** Provider error `type` (OpenAI `error.type`, Anthropic `error.type`). */
  errorType?: string;
  /** Provider error `code` (OpenAI `error.code`, DashScope `code`, Anthropic `details.error_code`). */
  errorCode?: string;
  message?: string;
  transport?: 'timeout' | 'network_error';
}

export interface Classification {
  outcome: Outcome;
  /** What goes into requests.csv error_code: the provider's code, or a finer one we derive. */
  errorCode?: string;
}

type Rule = (i: ClassifyInput) => Classification | undefined;

export function classify(input: ClassifyInput): Classification {
  const code = input.errorCode ?? input.errorType;
  if (input.transport === 'timeout') return { outcome: 'timeout', errorCode: input.errorCode ?? 'timeout' };
  if (input.transport === 'network_error') return { outcome: 'network_error', errorCode: input.errorCode ?? 'network_error' };
  if (input.status === undefined) return { outcome: 'network_error', errorCode: code ?? 'network_error' };

  const specific = DIALECT_RULES[input.dialect](input);
  if (specific) return specific;
  return { outcome: byStatus(input), ...(code !== undefined ? { errorCode: code } : {}) };
}

/** Generic status mapping once no dialect rule matched. */
function byStatus(i: ClassifyInput): Outcome {
  const s = i.status as number;
  if (s >= 200 && s < 300) return i.errorType || i.errorCode ? byErrorType(i.errorType) : 'ok';
  if (s === 429) return 'rate_limited_other';
  if (s === 401 || s === 403) return 'auth_error';
  if (s === 408) return 'timeout';
  if (s === 503 || s === 529) return 'overloaded';
  if (s >= 500) return 'server_error';
  if (s >= 400) return 'bad_request';
  // 1xx/3xx reaching us means the client did not follow through: treat as a protocol failure.
  return 'server_error';
}

/** Errors inside a 200 (an SSE `error` event mid-stream): the type is all we have. */
function byErrorType(type: string | undefined): Outcome {
  if (type === 'overloaded_error') return 'overloaded';
  if (type === 'rate_limit_error') return 'rate_limited_other';
  return 'server_error';
}

function result(outcome: Outcome, errorCode: string | undefined): Classification {
  return errorCode !== undefined ? { outcome, errorCode } : { outcome };
}

const startsWith = (m: string | undefined, prefix: string) => (m ?? '').trimStart().toLowerCase().startsWith(prefix.toLowerCase());
const mentions = (m: string | undefined, re: RegExp) => re.test(m ?? '');

/** OpenAI and Groq share the body shape `{error: {message, type, code}}`. */
const openai: Rule = (i) => {
  const { status, errorType: type, errorCode: code } = i;
  if (code === 'insufficient_quota' || type === 'insufficient_quota') return result('quota_exhausted', 'insufficient_quota');
  if (status === 429) {
    // Type says which bucket. Old bodies lack a type: then the "(RPM)/(TPM)" wording of the
    // same rate_limit_exceeded message decides, never a message on its own.
    const kind = type ?? (code === 'rate_limit_exceeded' || code === undefined ? bucketFromOpenAiMessage(i.message) : undefined);
    if (kind === 'requests') return result('rate_limited_requests', code ?? 'rate_limit_exceeded');
    if (kind === 'tokens' || kind === 'tokens_usage_based') {
      // "Request too large …" is also type tokens but can never succeed: keep it distinguishable.
      if (startsWith(i.message, 'Request too large')) return result('rate_limited_tokens', 'request_too_large');
      return result('rate_limited_tokens', code ?? 'rate_limit_exceeded');
    }
    return undefined;
  }
  if (status === 400 && code === 'context_length_exceeded') return result('context_exceeded', code);
  if (status === 498 && i.dialect === 'groq') return result('overloaded', code ?? 'capacity_exceeded');
  return undefined;
};

function bucketFromOpenAiMessage(m: string | undefined): string | undefined {
  if (mentions(m, /\((RPM|RPD)\)|requests per (min|day)/i)) return 'requests';
  if (mentions(m, /\((TPM|TPD)\)|tokens(_usage_based)? per (min|day)/i)) return 'tokens';
  return undefined;
}

/**
 * Azure 429 bodies are `{error: {code: "429", message}}`: no type, so the message is the
 * only signal. "token rate limit" → TPM quota; "call rate limit" → RPM quota; "high demand"
 * is a capacity 429 (not the deployment's quota) → overloaded. Anything else → other.
 * Newer API versions may pass OpenAI-style type/code through: those win when present.
 */
const azure: Rule = (i) => {
  if (i.status === 429) {
    if (i.errorType === 'requests' || i.errorType === 'tokens') return openai(i);
    if (mentions(i.message, /token rate limit/i)) return result('rate_limited_tokens', i.errorCode ?? '429');
    if (mentions(i.message, /call rate limit|request rate limit/i)) return result('rate_limited_requests', i.errorCode ?? '429');
    if (mentions(i.message, /high demand/i)) return result('overloaded', i.errorCode ?? '429');
    return result('rate_limited_other', i.errorCode ?? '429');
  }
  if (i.status === 400 && i.errorCode === 'context_length_exceeded') return result('context_exceeded', i.errorCode);
  return undefined;
};

const DASHSCOPE_REQUESTS = new Set(['limit_requests', 'Throttling.RateQuota', 'LimitRequests']);
const DASHSCOPE_TOKENS = new Set(['insufficient_quota', 'Throttling.AllocationQuota', 'limit_tokens']);
const DASHSCOPE_BURST = new Set(['limit_burst_rate', 'Throttling.BurstRate']);
const DASHSCOPE_BILLING = new Set(['CommodityNotPurchased', 'PrepaidBillOverdue', 'Arrearage']);

/**
 * DashScope: the code decides even when a wrapper surfaced the throttle as HTTP 400.
 * `insufficient_quota` here is the TPM throttle and clears within a minute: retryable.
 */
const dashscope: Rule = (i) => {
  const code = i.errorCode ?? i.errorType;
  if (code === undefined) return undefined;
  if (DASHSCOPE_BILLING.has(code)) return result('quota_exhausted', code);
  if (DASHSCOPE_TOKENS.has(code)) {
    // Same code, but the free-trial allowance is gone for good: not a throttle.
    if (startsWith(i.message, 'Free allocated quota exceeded')) return result('quota_exhausted', code);
    return result('rate_limited_tokens', code);
  }
  if (DASHSCOPE_REQUESTS.has(code)) return result('rate_limited_requests', code);
  if (DASHSCOPE_BURST.has(code)) return result('rate_limited_other', code);
  if (i.status === 400 && /invalid_?parameter/i.test(code) && mentions(i.message, /Range of input length should be/)) {
    return result('context_exceeded', code);
  }
  return undefined;
};

/**
 * Anthropic: 429 `rate_limit_error` names the limit only in its message ("… input tokens
 * per minute" / "… output tokens …" / "… requests per minute"); the spend cap is the same
 * type with details.error_code `enforced_spend_limit_reached` (fatal).
 */
const anthropic: Rule = (i) => {
  const { status, errorType: type, errorCode: code } = i;
  if (code === 'enforced_spend_limit_reached') return result('quota_exhausted', code);
  if (status === 429 && (type === 'rate_limit_error' || type === undefined)) {
    const ec = code ?? type ?? 'rate_limit_error';
    if (mentions(i.message, /(input|output) tokens/i)) return result('rate_limited_tokens', ec);
    if (mentions(i.message, /requests/i)) return result('rate_limited_requests', ec);
    return result('rate_limited_other', ec);
  }
  if (type === 'overloaded_error') return result('overloaded', code ?? type);
  if (status === 400 && type === 'invalid_request_error' && mentions(i.message, /prompt is too long|exceed context limit|context window/i)) {
    return result('context_exceeded', code ?? type);
  }
  return undefined;
};

const DIALECT_RULES: Record<Dialect, Rule> = { openai, groq: openai, azure, dashscope, anthropic };
