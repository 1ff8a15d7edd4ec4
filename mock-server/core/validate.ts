/**
 * Validation of a chat request body, with OpenAI's wording for each problem. Never throws:
 * anything a client can send maps to a result or a 400.
 */
import { messageText, type ChatRole } from '../../src/protocol/openai.js';
import { INVALID_JSON_MESSAGE } from './dialect-openai.js';

export interface ValidChatRequest {
  /** Absent when the request named none: the mock then serves its default model (lenient, unlike OpenAI). */
  model?: string;
  messages: { role: ChatRole; content: string }[];
  /** max_completion_tokens ?? max_tokens, when given. */
  maxTokens?: number;
  /** Which parameter carried it (for error messages). */
  maxTokensParam: 'max_tokens' | 'max_completion_tokens';
  stream: boolean;
  includeUsage: boolean;
  n: number;
}

export interface ValidationError {
  message: string;
  param: string | null;
  code: string | null;
}

export type ValidationResult = { ok: true; request: ValidChatRequest } | { ok: false; error: ValidationError };

const ROLES: ReadonlySet<string> = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a decimal';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'boolean') return 'a boolean';
  if (typeof v === 'object') return 'an object';
  return typeof v;
}

const fail = (message: string, param: string | null, code: string | null): ValidationResult => ({ ok: false, error: { message, param, code } });

const invalidType = (param: string, expected: string, v: unknown) =>
  fail(`Invalid type for '${param}': expected ${expected}, but got ${typeName(v)} instead.`, param, 'invalid_type');

function optionalInt(body: Record<string, unknown>, key: string, min: number): ValidationResult | number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) return invalidType(key, 'an integer', v);
  if (v < min) return fail(`Invalid '${key}': integer below minimum value. Expected a value >= ${min}, but got ${v} instead.`, key, 'integer_below_min_value');
  return v;
}

export function validateChatBody(text: string): ValidationResult {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return fail(INVALID_JSON_MESSAGE, null, null);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return invalidType('body', 'an object', body);
  }
  const b = body as Record<string, unknown>;

  const model = b.model;
  if (model === '') return fail('you must provide a model parameter', null, null);
  if (model !== undefined && model !== null && typeof model !== 'string') return invalidType('model', 'a string', model);

  const messages = b.messages;
  if (messages === undefined || messages === null) return fail("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (!Array.isArray(messages)) return invalidType('messages', 'an array', messages);
  if (messages.length === 0) {
    return fail("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages', 'empty_array');
  }
  const out: ValidChatRequest['messages'] = new Array(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as unknown;
    const p = `messages[${i}]`;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) return invalidType(p, 'an object', m);
    const { role, content } = m as Record<string, unknown>;
    if (role === undefined) return fail(`Missing required parameter: '${p}.role'.`, `${p}.role`, 'missing_required_parameter');
    if (typeof role !== 'string') return invalidType(`${p}.role`, 'a string', role);
    if (!ROLES.has(role)) {
      return fail(
        `Invalid value: '${role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
        `${p}.role`,
        'invalid_value',
      );
    }
    let text: string;
    if (typeof content === 'string') text = content;
    else if (Array.isArray(content)) {
      for (let k = 0; k < content.length; k++) {
        const part = content[k] as unknown;
        if (part === null || typeof part !== 'object' || (part as { type?: unknown }).type !== 'text' || typeof (part as { text?: unknown }).text !== 'string') {
          return fail(`Invalid content part at '${p}.content[${k}]': expected a text part ({"type":"text","text":"…"}).`, `${p}.content[${k}]`, 'invalid_value');
        }
      }
      text = messageText(content as { type: 'text'; text: string }[]);
    } else if ((content === undefined || content === null) && role === 'assistant') text = '';
    else if (content === undefined) return fail(`Missing required parameter: '${p}.content'.`, `${p}.content`, 'missing_required_parameter');
    else return invalidType(`${p}.content`, 'one of a string or array of objects', content);
    out[i] = { role: role as ChatRole, content: text };
  }

  const mct = optionalInt(b, 'max_completion_tokens', 1);
  if (typeof mct === 'object') return mct;
  const mt = optionalInt(b, 'max_tokens', 1);
  if (typeof mt === 'object') return mt;
  const n = optionalInt(b, 'n', 1);
  if (typeof n === 'object') return n;
  if (n !== undefined && n > 1) return fail('limitprobe mock: n > 1 is not supported; send n = 1 or leave it out.', 'n', 'unsupported_value');

  const stream = b.stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') return invalidType('stream', 'a boolean', stream);
  const so = b.stream_options;
  let includeUsage = false;
  if (so !== undefined && so !== null) {
    if (typeof so !== 'object' || Array.isArray(so)) return invalidType('stream_options', 'an object', so);
    if (stream !== true) {
      return fail("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options', 'invalid_value');
    }
    const iu = (so as Record<string, unknown>).include_usage;
    if (iu !== undefined && iu !== null && typeof iu !== 'boolean') return invalidType('stream_options.include_usage', 'a boolean', iu);
    includeUsage = iu === true;
  }

  const request: ValidChatRequest = {
    messages: out,
    maxTokensParam: mct !== undefined ? 'max_completion_tokens' : 'max_tokens',
    stream: stream === true,
    includeUsage,
    n: n ?? 1,
  };
  if (typeof model === 'string') request.model = model;
  const maxTokens = mct ?? mt;
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  return { ok: true, request };
}
