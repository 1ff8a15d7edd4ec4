/**
 * Anthropic Messages API wire types (the parts limitprobe sends, receives and mocks) and the
 * rate-limit header names.
 */
export const ANTHROPIC_VERSION = '2023-06-01';

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: { type: 'text'; text: string }[];
  stop_reason: 'end_turn' | 'max_tokens' | 'stop_sequence' | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string; details?: Record<string, unknown> };
  request_id?: string;
}

/** Stream event names in the order a message streams them (ping and error may appear anywhere). */
export const ANTHROPIC_STREAM_EVENTS = ['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'] as const;

export const ANTHROPIC_RATE_LIMIT_DIMENSIONS = ['requests', 'tokens', 'input-tokens', 'output-tokens'] as const;

/** `anthropic-ratelimit-{dimension}-{limit|remaining|reset}`. */
export function anthropicRateLimitHeader(dim: (typeof ANTHROPIC_RATE_LIMIT_DIMENSIONS)[number], part: 'limit' | 'remaining' | 'reset'): string {
  return `anthropic-ratelimit-${dim}-${part}`;
}
