/**
 * The routes' logic, independent of transport: chat completions (validation → model → prompt
 * tokens → admission → JSON or SSE reply, generation paced on the core's clock), the model
 * list, and the control routes. MSW handlers and the node:http server both call these.
 */
import { SSE_DONE_FRAME } from '../../src/protocol/sse.js';
import { PROCESSING_MS_HEADER, REQUEST_ID_HEADER, type ChatCompletion, type ModelList, type Usage } from '../../src/protocol/openai.js';
import { countPromptTokens } from '../../src/tokens/count.js';
import type { AdmissionInput } from './admission.js';
import type { ChatAdmission, MockCore, Ticket } from './core.js';
import * as dialect from './dialect-openai.js';
import { completionMs, tokenDueMs, tokensDueBy } from './latency.js';
import { completionText, wordOffset } from './output.js';
import { JSON_CT, SSE_CT, type Reply, type ReplyStream } from './reply.js';
import { validateChatBody } from './validate.js';

function wire(w: dialect.WireResponse): Reply {
  return { status: w.status, headers: w.headers, body: w.body };
}

function baseHeaders(core: MockCore, index: number | undefined): Record<string, string> {
  const h: Record<string, string> = {
    'openai-organization': core.settings.org,
    'openai-version': '2020-10-01',
  };
  if (index !== undefined) h[REQUEST_ID_HEADER] = core.requestId(index);
  return h;
}

function usageOf(t: Ticket, completion: number): Usage {
  return {
    prompt_tokens: t.promptTokens,
    completion_tokens: completion,
    total_tokens: t.promptTokens + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/** UTF-8 size of `text` when it exceeds `max`, else undefined (cheap for small bodies). */
export function byteLengthOver(text: string, max: number): number | undefined {
  if (text.length <= max / 3) return undefined; // UTF-8 is at most 3 bytes per UTF-16 unit
  const n = Buffer.byteLength(text, 'utf8');
  return n > max ? n : undefined;
}

function rejection(core: MockCore, a: Extract<ChatAdmission, { ok: false }>, model: string): Reply {
  const d = a.decision;
  const h = baseHeaders(core, a.index);
  const org = core.settings.org;
  switch (d.kind) {
    case 'rate_limited':
      return wire(dialect.rateLimited(d.dimension, model, org, d.limit, d.used, d.requested, d.waitMs, d.limits, h));
    case 'request_too_large':
      return wire(dialect.requestTooLarge(model, org, d.limit, d.requested, d.limits, h));
    case 'context_exceeded':
      return wire(dialect.contextLengthExceeded(d.contextWindow, d.promptTokens, d.maxTokens, h));
    case 'max_tokens_too_large':
      return wire(dialect.badRequest(dialect.maxTokensTooLargeMessage(d.param, d.value, d.max), d.param, 'invalid_value', h));
  }
}

/**
 * POST …/chat/completions. `signal` fires when the client goes away: a waiting JSON reply or a
 * stream stops and the tokens generated so far are what the core is told. Never throws for
 * bad input.
 */
export async function chatCompletions(core: MockCore, text: string, signal?: AbortSignal): Promise<Reply> {
  const t0 = performance.now();
  const over = byteLengthOver(text, core.settings.maxBodyBytes);
  if (over !== undefined) {
    core.reject('payload_too_large');
    return wire(dialect.payloadTooLarge(over, core.settings.maxBodyBytes, baseHeaders(core, undefined)));
  }
  const v = validateChatBody(text);
  if (!v.ok) {
    core.reject('bad_request');
    return wire(dialect.badRequest(v.error.message, v.error.param, v.error.code, baseHeaders(core, undefined)));
  }
  const req = v.request;
  const modelId = req.model ?? core.defaultModel.id;
  const model = core.resolveModel(modelId);
  if (!model) {
    core.reject('not_found');
    return wire(dialect.modelNotFound(modelId, baseHeaders(core, undefined)));
  }
  const input: AdmissionInput = { promptTokens: countPromptTokens(req.messages, model.id), maxTokensParam: req.maxTokensParam, n: req.n };
  if (req.maxTokens !== undefined) input.maxTokens = req.maxTokens;
  const a = core.admit(model, input);
  if (!a.ok) return rejection(core, a, model.id);

  const t = a.ticket;
  const h = baseHeaders(core, a.index);
  dialect.rateLimitHeaders(t.limits, h);
  h[PROCESSING_MS_HEADER] = String(Math.round(completionMs(t.timing, t.completionTokens)));
  h['server-timing'] = `mock;dur=${(performance.now() - t0).toFixed(3)}`;
  return req.stream ? streamed(core, t, h, req.includeUsage, signal) : json(core, t, h, signal);
}

async function json(core: MockCore, t: Ticket, h: Record<string, string>, signal: AbortSignal | undefined): Promise<Reply> {
  const n = t.completionTokens;
  const doneAt = t.admittedAt + completionMs(t.timing, n);
  if (core.clock.now() < doneAt) {
    try {
      await core.scheduler.sleepUntil(doneAt, signal);
    } catch {
      core.finish(t, tokensDueBy(t.timing, core.clock.now() - t.admittedAt, n), true);
      return { status: 499, headers: {}, body: '' };
    }
  }
  core.finish(t, n);
  const body: ChatCompletion = {
    id: core.completionId(t.index),
    object: 'chat.completion',
    created: core.created(),
    model: t.model.id,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: completionText(wordOffset(core.settings.seed, t.index), 0, n), refusal: null },
        logprobs: null,
        finish_reason: t.finishReason,
      },
    ],
    usage: usageOf(t, n),
    system_fingerprint: null,
  };
  h['content-type'] = JSON_CT;
  return { status: 200, headers: h, body: JSON.stringify(body) };
}

/**
 * SSE reply: the role chunk at once (headers flush at admission), then every token as it
 * becomes due (`streamChunkTokens` per event), the finish chunk, the usage chunk when asked,
 * and `data: [DONE]`. One wake-up per chunk; a late wake-up sends everything due in one write.
 */
function streamed(core: MockCore, t: Ticket, h: Record<string, string>, includeUsage: boolean, signal: AbortSignal | undefined): Reply {
  const n = t.completionTokens;
  const per = core.settings.streamChunkTokens;
  const offset = wordOffset(core.settings.seed, t.index);
  const usageTail = includeUsage ? ',"usage":null}' : '}';
  const head = `data: {"id":${JSON.stringify(core.completionId(t.index))},"object":"chat.completion.chunk","created":${core.created()},"model":${JSON.stringify(t.model.id)},"system_fingerprint":null,"choices":[`;
  const tokenOpen = `${head}{"index":0,"delta":{"content":"`;
  const tokenClose = `"},"logprobs":null,"finish_reason":null}]${usageTail}\n\n`;
  const roleFrame = `${head}{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]${usageTail}\n\n`;

  let sent = 0;
  let started = false;
  let closed = false;
  const stop = () => {
    if (closed) return;
    closed = true;
    core.finish(t, sent, true);
  };
  const tail = () => {
    let s = `${head}{"index":0,"delta":{},"logprobs":null,"finish_reason":"${t.finishReason}"}]${usageTail}\n\n`;
    if (includeUsage) s += `${head}],"usage":${JSON.stringify(usageOf(t, n))}}\n\n`;
    return s + SSE_DONE_FRAME;
  };

  const stream: ReplyStream = {
    async next() {
      if (closed) return undefined;
      if (!started) {
        started = true;
        return roleFrame;
      }
      for (;;) {
        const dueAt = t.admittedAt + tokenDueMs(t.timing, Math.min(sent + per, n) - 1);
        if (core.clock.now() < dueAt) {
          try {
            await core.scheduler.sleepUntil(dueAt, signal);
          } catch {
            stop();
            return undefined;
          }
          if (closed) return undefined;
        }
        // At least the chunk we waited for is due (guards float rounding in tokensDueBy).
        const due = Math.max(Math.min(sent + per, n), tokensDueBy(t.timing, core.clock.now() - t.admittedAt, n));
        let s = '';
        while (sent < due) {
          const k = Math.min(per, due - sent);
          if (k < per && due < n) break; // a partial chunk waits for its last token
          s += tokenOpen + completionText(offset, sent, k) + tokenClose;
          sent += k;
        }
        if (sent >= n) {
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

const MODELS_CREATED = 1_717_200_000; // fixed: model objects do not change per request

export function modelList(core: MockCore): Reply {
  const ordered = [core.defaultModel.profile, ...core.profile.models.filter((m) => m.id !== core.defaultModel.id)];
  const list: ModelList = {
    object: 'list',
    data: ordered.map((m) => ({ id: m.id, object: 'model', created: MODELS_CREATED, owned_by: m.ownedBy ?? 'limitprobe' })),
  };
  return { status: 200, headers: { 'content-type': JSON_CT }, body: JSON.stringify(list) };
}

export function controlState(core: MockCore): Reply {
  return { status: 200, headers: { 'content-type': JSON_CT, 'cache-control': 'no-store' }, body: JSON.stringify(core.state()) };
}

export function controlReset(core: MockCore): Reply {
  core.reset();
  return controlState(core);
}

export function serverErrorReply(core: MockCore): Reply {
  core.reject('server_error');
  return wire(dialect.serverError());
}
