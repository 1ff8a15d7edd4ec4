/**
 * Validation of a Messages API body (POST /v1/messages) with Anthropic's wording. Never
 * throws. Produces the same request shape as the OpenAI validator so admission is shared;
 * `system` counts as a leading system message.
 */
import type { ChatRole } from '../../src/protocol/openai.js';
import type { ValidationResult } from './validate.js';

const fail = (message: string): ValidationResult => ({ ok: false, error: { message, param: null, code: null } });

function textOf(content: unknown, path: string): string | { error: string } {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return { error: `${path}: Input should be a valid string or list of content blocks` };
  let s = '';
  for (let i = 0; i < content.length; i++) {
    const b = content[i] as { type?: unknown; text?: unknown } | null;
    if (b === null || typeof b !== 'object') return { error: `${path}.${i}: Input should be a valid dictionary or object` };
    if (b.type === 'text' && typeof b.text === 'string') s += (s ? '\n' : '') + b.text;
    else if (b.type === 'text') return { error: `${path}.${i}.text: Field required` };
    else if (typeof b.type !== 'string') return { error: `${path}.${i}.type: Field required` };
    // Other block types (image, tool_result…) carry no text the mock counts.
  }
  return s;
}

export function validateAnthropicBody(text: string): ValidationResult {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return fail('There was an issue with your request body: invalid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return fail('Input should be a valid dictionary or object');
  const b = body as Record<string, unknown>;
  if (b.model === undefined || b.model === null) return fail('model: Field required');
  if (typeof b.model !== 'string' || b.model === '') return fail('model: Input should be a valid string');
  const mt = b.max_tokens;
  if (mt === undefined || mt === null) return fail('max_tokens: Field required');
  if (typeof mt !== 'number' || !Number.isInteger(mt)) return fail('max_tokens: Input should be a valid integer');
  if (mt < 1) return fail('max_tokens: Input should be greater than or equal to 1');
  const msgs = b.messages;
  if (msgs === undefined || msgs === null) return fail('messages: Field required');
  if (!Array.isArray(msgs)) return fail('messages: Input should be a valid list');
  if (msgs.length === 0) return fail('messages: at least one message is required');
  const out: { role: ChatRole; content: string }[] = [];
  if (b.system !== undefined && b.system !== null) {
    const s = textOf(b.system, 'system');
    if (typeof s !== 'string') return fail(s.error);
    out.push({ role: 'system', content: s });
  }
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i] as { role?: unknown; content?: unknown } | null;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) return fail(`messages.${i}: Input should be a valid dictionary or object`);
    if (m.role !== 'user' && m.role !== 'assistant') return fail(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    if (m.content === undefined) return fail(`messages.${i}.content: Field required`);
    const t = textOf(m.content, `messages.${i}.content`);
    if (typeof t !== 'string') return fail(t.error);
    out.push({ role: m.role, content: t });
  }
  const stream = b.stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') return fail('stream: Input should be a valid boolean');
  return { ok: true, request: { model: b.model, messages: out, maxTokens: mt, maxTokensParam: 'max_tokens', stream: stream === true, includeUsage: false, n: 1 } };
}
