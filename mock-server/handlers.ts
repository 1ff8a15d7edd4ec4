/**
 * MSW 2 handlers of the mock: the chat completions route (JSON and SSE), the model list, and
 * the control routes. They are plain request → Response functions over a MockCore, so they
 * serve real HTTP through createMockServer (msw's getResponse) or a user's own in-process
 * `setupServer(...createHandlers(core))`.
 *
 * One handler per route, chat first (msw tries handlers in order for every request). Paths
 * are RegExps equivalent to '*\/chat/completions' etc.: msw compiles string paths with
 * path-to-regexp on every request, RegExps are used as they are.
 */
import { http, type HttpHandler } from 'msw';
import { SSE_DONE_FRAME } from '../src/protocol/sse.js';
import { PROCESSING_MS_HEADER, REQUEST_ID_HEADER, type ChatCompletion, type ModelList, type Usage } from '../src/protocol/openai.js';
import { countPromptTokens } from '../src/tokens/count.js';
import type { ChatAdmission, MockCore, Ticket } from './core/core.js';
import * as dialect from './core/dialect-openai.js';
import { completionMs, tokenDueMs, tokensDueBy } from './core/latency.js';
import { completionText, wordOffset } from './core/output.js';
import { validateChatBody } from './core/validate.js';

/** Matches …/chat/completions (so /v1/… and DashScope's /compatible-mode/v1/… alike). */
export const CHAT_COMPLETIONS_PATH = /\/chat\/completions\/?$/;
export const MODELS_PATH = /\/models\/?$/;
export const STATE_PATH = /\/__limitprobe\/state\/?$/;
export const RESET_PATH = /\/__limitprobe\/reset\/?$/;

const JSON_CT = 'application/json';
const SSE_CT = 'text/event-stream; charset=utf-8';
const encoder = new TextEncoder();

function respond(w: dialect.WireResponse): Response {
  return new Response(w.body, { status: w.status, headers: w.headers });
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

function byteLengthOver(text: string, max: number): number | undefined {
  if (text.length <= max / 3) return undefined; // UTF-8 is at most 3 bytes per UTF-16 unit
  const n = Buffer.byteLength(text, 'utf8');
  return n > max ? n : undefined;
}

function rejection(core: MockCore, a: Extract<ChatAdmission, { ok: false }>, model: string): Response {
  const d = a.decision;
  const h = baseHeaders(core, a.index);
  const org = core.settings.org;
  switch (d.kind) {
    case 'rate_limited':
      return respond(dialect.rateLimited(d.dimension, model, org, d.limit, d.used, d.requested, d.waitMs, d.limits, h));
    case 'request_too_large':
      return respond(dialect.requestTooLarge(model, org, d.limit, d.requested, d.limits, h));
    case 'context_exceeded':
      return respond(dialect.contextLengthExceeded(d.contextWindow, d.promptTokens, d.maxTokens, h));
    case 'max_tokens_too_large':
      return respond(dialect.badRequest(dialect.maxTokensTooLargeMessage(d.param, d.value, d.max), d.param, 'invalid_value', h));
  }
}

async function chat(core: MockCore, request: Request): Promise<Response> {
  const t0 = performance.now();
  const text = await request.text();
  const over = byteLengthOver(text, core.settings.maxBodyBytes);
  if (over !== undefined) {
    core.reject('payload_too_large');
    return respond(dialect.payloadTooLarge(over, core.settings.maxBodyBytes, baseHeaders(core, undefined)));
  }
  const v = validateChatBody(text);
  if (!v.ok) {
    core.reject('bad_request');
    return respond(dialect.badRequest(v.error.message, v.error.param, v.error.code, baseHeaders(core, undefined)));
  }
  const req = v.request;
  const modelId = req.model ?? core.defaultModel.id;
  const model = core.resolveModel(modelId);
  if (!model) {
    core.reject('not_found');
    return respond(dialect.modelNotFound(modelId, baseHeaders(core, undefined)));
  }
  const promptTokens = countPromptTokens(req.messages, model.id);
  const input = { promptTokens, maxTokensParam: req.maxTokensParam, n: req.n } as Parameters<MockCore['admit']>[1];
  if (req.maxTokens !== undefined) input.maxTokens = req.maxTokens;
  const a = core.admit(model, input);
  if (!a.ok) return rejection(core, a, model.id);

  const t = a.ticket;
  const h = baseHeaders(core, a.index);
  dialect.rateLimitHeaders(t.limits, h);
  h[PROCESSING_MS_HEADER] = String(Math.round(completionMs(t.timing, t.completionTokens)));
  h['server-timing'] = `mock;dur=${(performance.now() - t0).toFixed(3)}`;
  return req.stream ? streamed(core, t, h, req.includeUsage, request.signal) : json(core, t, h, request.signal);
}

async function json(core: MockCore, t: Ticket, h: Record<string, string>, signal: AbortSignal): Promise<Response> {
  const n = t.completionTokens;
  const doneAt = t.admittedAt + completionMs(t.timing, n);
  if (core.clock.now() < doneAt) {
    try {
      await core.scheduler.sleepUntil(doneAt, signal);
    } catch {
      core.finish(t, tokensDueBy(t.timing, core.clock.now() - t.admittedAt, n), true);
      return new Response(null, { status: 499 });
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
  return new Response(JSON.stringify(body), { status: 200, headers: h });
}

function streamed(core: MockCore, t: Ticket, h: Record<string, string>, includeUsage: boolean, signal: AbortSignal): Response {
  const n = t.completionTokens;
  const per = core.settings.streamChunkTokens;
  const offset = wordOffset(core.settings.seed, t.index);
  const usageTail = includeUsage ? ',"usage":null}' : '}';
  const head = `data: {"id":${JSON.stringify(core.completionId(t.index))},"object":"chat.completion.chunk","created":${core.created()},"model":${JSON.stringify(t.model.id)},"system_fingerprint":null,"choices":[`;
  const tokenOpen = `${head}{"index":0,"delta":{"content":"`;
  const tokenClose = `"},"logprobs":null,"finish_reason":null}]${usageTail}\n\n`;
  const roleFrame = `${head}{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]${usageTail}\n\n`;
  let tail = `${head}{"index":0,"delta":{},"logprobs":null,"finish_reason":"${t.finishReason}"}]${usageTail}\n\n`;
  if (includeUsage) tail += `${head}],"usage":${JSON.stringify(usageOf(t, n))}}\n\n`;
  tail += SSE_DONE_FRAME;

  let sent = 0;
  let started = false;
  let closed = false;
  const stop = () => {
    if (closed) return;
    closed = true;
    core.finish(t, sent, true);
  };

  const body = new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      if (closed) return;
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(roleFrame));
        return;
      }
      // Wait until the next chunk (up to `per` tokens) is due, then send everything due. Loop
      // until something is sent: a pull that enqueues nothing is not called again.
      for (;;) {
        const dueAt = t.admittedAt + tokenDueMs(t.timing, Math.min(sent + per, n) - 1);
        if (core.clock.now() < dueAt) {
          try {
            await core.scheduler.sleepUntil(dueAt, signal);
          } catch {
            stop();
            try {
              controller.close();
            } catch {
              /* already cancelled */
            }
            return;
          }
          if (closed) return;
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
          s += tail;
          closed = true;
          core.finish(t, n);
          controller.enqueue(encoder.encode(s));
          controller.close();
          return;
        }
        if (s) {
          controller.enqueue(encoder.encode(s));
          return;
        }
      }
    },
    cancel: () => stop(),
  });
  h['content-type'] = SSE_CT;
  h['cache-control'] = 'no-cache';
  return new Response(body, { status: 200, headers: h });
}

function models(core: MockCore): Response {
  const created = 1_717_200_000; // fixed: model objects do not change per request
  const ordered = [core.defaultModel.profile, ...core.profile.models.filter((m) => m.id !== core.defaultModel.id)];
  const list: ModelList = {
    object: 'list',
    data: ordered.map((m) => ({ id: m.id, object: 'model', created, owned_by: m.ownedBy ?? 'limitprobe' })),
  };
  return new Response(JSON.stringify(list), { status: 200, headers: { 'content-type': JSON_CT } });
}

function stateResponse(core: MockCore): Response {
  return new Response(JSON.stringify(core.state()), { status: 200, headers: { 'content-type': JSON_CT, 'cache-control': 'no-store' } });
}

/** Runs a handler body; an unexpected throw becomes OpenAI's 500, never a crash. */
async function guarded(core: MockCore, fn: () => Response | Promise<Response>): Promise<Response> {
  try {
    return await fn();
  } catch {
    core.reject('server_error');
    return respond(dialect.serverError());
  }
}

export function createHandlers(core: MockCore): HttpHandler[] {
  return [
    http.post(CHAT_COMPLETIONS_PATH, ({ request }) => guarded(core, () => chat(core, request))),
    http.get(MODELS_PATH, () => guarded(core, () => models(core))),
    http.get(STATE_PATH, () => guarded(core, () => stateResponse(core))),
    http.post(RESET_PATH, () =>
      guarded(core, () => {
        core.reset();
        return stateResponse(core);
      }),
    ),
  ];
}
