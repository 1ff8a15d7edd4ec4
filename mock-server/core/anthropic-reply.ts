/**
 * Anthropic Messages replies: the JSON message, and the SSE stream in Anthropic's event order
 * (message_start → content_block_start → ping → content_block_delta* → content_block_stop →
 * message_delta (cumulative output_tokens) → message_stop). Output tokens are reported to the
 * core as they are sent (OTPM is charged as generated). Faults: stall, cut, malformed line, and
 * `event: error` (overloaded_error) mid-stream.
 */
import type { AnthropicMessage } from '../../src/protocol/anthropic.js';
import { awaitCompletion, jsonWithFault } from './chat.js';
import type { MockCore, Ticket } from './core.js';
import { completionText, wordOffset } from './output.js';
import { nextDue, stallFor } from './pacing.js';
import { JSON_CT, SSE_CT, type Reply, type ReplyStream } from './reply.js';

export function messageId(core: MockCore, index: number): string {
  return 'msg_' + core.completionId(index).slice('chatcmpl-'.length);
}

const stopReason = (t: Ticket) => (t.finishReason === 'length' ? 'max_tokens' : 'end_turn');
const ev = (name: string, data: string) => `event: ${name}\ndata: ${data}\n\n`;

export async function anthropicJson(core: MockCore, t: Ticket, h: Record<string, string>, signal: AbortSignal | undefined): Promise<Reply> {
  const n = t.completionTokens;
  if (!(await awaitCompletion(core, t, signal))) return { status: 499, headers: {}, body: '' };
  const body: AnthropicMessage = {
    id: messageId(core, t.index),
    type: 'message',
    role: 'assistant',
    model: t.model.id,
    content: [{ type: 'text', text: completionText(wordOffset(core.settings.seed, t.index), 0, n) }],
    stop_reason: stopReason(t),
    stop_sequence: null,
    usage: { input_tokens: t.promptTokens, output_tokens: n, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
  h['content-type'] = JSON_CT;
  return jsonWithFault(core, t, { status: 200, headers: h, body: JSON.stringify(body) }, signal);
}

export const ANTHROPIC_OVERLOADED_EVENT = ev('error', '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}');

export function anthropicStream(core: MockCore, t: Ticket, h: Record<string, string>, signal: AbortSignal | undefined): Reply {
  const n = t.completionTokens;
  const per = core.settings.streamChunkTokens;
  const offset = wordOffset(core.settings.seed, t.index);
  const fault = t.fault;
  const faultAt = fault && fault.kind !== 'stall' ? Math.min(n, fault.afterTokens ?? Math.floor(n / 2)) : -1;
  let faultDone = faultAt < 0;
  const start =
    ev(
      'message_start',
      JSON.stringify({
        type: 'message_start',
        message: {
          id: messageId(core, t.index),
          type: 'message',
          role: 'assistant',
          model: t.model.id,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: t.promptTokens, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        },
      }),
    ) +
    ev('content_block_start', '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}') +
    ev('ping', '{"type": "ping"}');
  const deltaOpen = 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":';
  let sent = 0;
  let started = false;
  let stalled = false;
  let closed = false;
  const stop = () => {
    if (closed) return;
    closed = true;
    core.finish(t, sent, true);
  };
  const tail = () =>
    ev('content_block_stop', '{"type":"content_block_stop","index":0}') +
    ev('message_delta', JSON.stringify({ type: 'message_delta', delta: { stop_reason: stopReason(t), stop_sequence: null }, usage: { output_tokens: n } })) +
    ev('message_stop', '{"type":"message_stop"}');

  const stream: ReplyStream = {
    async next() {
      if (closed) return undefined;
      if (!started) {
        started = true;
        return start;
      }
      if (fault?.kind === 'stall' && !stalled) {
        stalled = true;
        if (!(await stallFor(core, fault.ms, signal))) {
          stop();
          return undefined;
        }
      }
      for (;;) {
        if (!faultDone && sent >= faultAt && fault) {
          faultDone = true;
          if (fault.kind === 'malformed-sse') return 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\n\n';
          stop();
          if (fault.kind === 'cut') {
            stream.cut = true;
            return undefined;
          }
          return ANTHROPIC_OVERLOADED_EVENT;
        }
        const dueNow = await nextDue(core, t, sent, per, signal);
        if (dueNow === undefined) {
          stop();
          return undefined;
        }
        if (closed) return undefined;
        let due = dueNow;
        if (!faultDone && due > faultAt && sent < faultAt) due = faultAt;
        let s = '';
        while (sent < due) {
          const k = Math.min(per, due - sent);
          if (k < per && due < n && due !== faultAt) break;
          s += deltaOpen + JSON.stringify(completionText(offset, sent, k)) + '}}\n\n';
          sent += k;
        }
        core.progress(t, sent);
        if (sent >= n && faultDone) {
          closed = true;
          core.finish(t, n);
          return s + tail();
        }
        if (s) return s;
      }
    },
    cancel: stop,
  };
  h['content-type'] = SSE_CT;
  h['cache-control'] = 'no-cache';
  return { status: 200, headers: h, stream };
}
