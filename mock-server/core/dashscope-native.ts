/**
 * DashScope's native text-generation API (POST /api/v1/services/aigc/text-generation/generation),
 * JSON only: the body shape `{model, input: {messages | prompt}, parameters: {max_tokens,
 * result_format}}`, the answer `{output: {choices: [...]}, usage: {input_tokens, output_tokens,
 * total_tokens}, request_id}`, and native error codes (`Throttling.RateQuota`,
 * `Throttling.AllocationQuota`, `Throttling.BurstRate`, `InvalidParameter`, `InvalidApiKey`).
 * Admission is shared with compatible mode (same account limits); errors are translated from
 * the compatible-mode bodies.
 */
import type { ChatRole } from '../../src/protocol/openai.js';
import type { Reply } from './reply.js';
import type { ValidationResult } from './validate.js';

const fail = (message: string): ValidationResult => ({ ok: false, error: { message, param: null, code: 'InvalidParameter' } });

export function validateNativeBody(text: string): ValidationResult {
  let b: unknown;
  try {
    b = JSON.parse(text);
  } catch {
    return fail('Request body is not valid JSON.');
  }
  if (b === null || typeof b !== 'object' || Array.isArray(b)) return fail('Request body must be a JSON object.');
  const body = b as { model?: unknown; input?: { messages?: unknown; prompt?: unknown }; parameters?: { max_tokens?: unknown; incremental_output?: unknown } };
  if (typeof body.model !== 'string' || !body.model) return fail('Model not specified');
  const input = body.input;
  if (input === null || typeof input !== 'object') return fail('Input should be a valid dictionary');
  const messages: { role: ChatRole; content: string }[] = [];
  if (Array.isArray(input.messages)) {
    for (const m of input.messages as unknown[]) {
      const mm = m as { role?: unknown; content?: unknown } | null;
      if (!mm || typeof mm !== 'object' || typeof mm.role !== 'string' || !['system', 'user', 'assistant'].includes(mm.role)) return fail('Role must be in [user, assistant, system]');
      if (typeof mm.content !== 'string') return fail('Content must be a string');
      messages.push({ role: mm.role as ChatRole, content: mm.content });
    }
  } else if (typeof input.prompt === 'string') messages.push({ role: 'user', content: input.prompt });
  if (messages.length === 0) return fail('Either prompt or messages must be present');
  const mt = body.parameters?.max_tokens;
  if (mt !== undefined && (typeof mt !== 'number' || !Number.isInteger(mt) || mt < 1)) return fail('max_tokens should be a positive integer');
  const r: ValidationResult = { ok: true, request: { model: body.model, messages, maxTokensParam: 'max_tokens', stream: false, includeUsage: false, n: 1 } };
  if (typeof mt === 'number') r.request.maxTokens = mt;
  return r;
}

const NATIVE_CODE: Record<string, string> = {
  limit_requests: 'Throttling.RateQuota',
  insufficient_quota: 'Throttling.AllocationQuota',
  limit_burst_rate: 'Throttling.BurstRate',
  invalid_parameter_error: 'InvalidParameter',
  invalid_api_key: 'InvalidApiKey',
  model_not_found: 'ModelNotFound',
  Arrearage: 'Arrearage',
};
const NATIVE_MESSAGE: Record<string, string> = {
  'Throttling.RateQuota': 'Requests rate limit exceeded, please try again later.',
  'Throttling.AllocationQuota': 'Allocated quota exceeded, please increase your quota limit.',
  InvalidApiKey: 'Invalid API-key provided.',
};

/** A compatible-mode error reply in native shape ({code, message, request_id}). */
export function toNativeError(r: Reply & { body: string }, requestId: string): Reply {
  let code = r.status >= 500 ? 'InternalError' : 'InvalidParameter';
  let message = '';
  try {
    const j = JSON.parse(r.body) as { error?: { code?: string | null; message?: string } };
    if (j.error?.code && NATIVE_CODE[j.error.code]) code = NATIVE_CODE[j.error.code]!;
    message = j.error?.message ?? '';
  } catch {
    /* keep defaults */
  }
  message = NATIVE_MESSAGE[code] ?? message;
  return { status: r.status, headers: r.headers, body: JSON.stringify({ code, message, request_id: requestId }) };
}

export function nativeSuccess(text: string, finish: 'stop' | 'length', input: number, output: number, requestId: string): string {
  return JSON.stringify({
    output: { choices: [{ finish_reason: finish, message: { role: 'assistant', content: text } }] },
    usage: { input_tokens: input, output_tokens: output, total_tokens: input + output },
    request_id: requestId,
  });
}
