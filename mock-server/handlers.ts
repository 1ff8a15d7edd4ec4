/**
 * MSW 2 handlers of the mock: chat completions (OpenAI family: JSON and SSE), Anthropic's
 * /v1/messages, the model list, and the control routes, over a MockCore. Use them in your own
 * in-process tests with `setupServer(...createHandlers(core))`, or serve them over HTTP with
 * createMockServer.
 *
 * One handler per route, chat first (msw tries handlers in order for every request). Paths
 * are RegExps (msw compiles string paths with path-to-regexp on every request, RegExps are used
 * as they are). The logic lives in core/; these wrappers only convert replies into Fetch Responses.
 */
import { http, type HttpHandler } from 'msw';
import type { MockCore } from './core/core.js';
import { anthropicMessages, chatCompletions, dashscopeNative, modelList, serverErrorReply, type RequestMeta } from './core/chat.js';
import { controlAuth, controlConfigGet, controlConfigPost, controlCounters, controlReferee, controlReset, controlState } from './core/control.js';
import type { Reply } from './core/reply.js';

/** Matches …/chat/completions (so /v1/…, DashScope's /compatible-mode/v1/… and Azure's /openai/deployments/D/… alike). */
export const CHAT_COMPLETIONS_PATH = /\/chat\/completions\/?$/;
/** Anthropic's Messages API. */
export const MESSAGES_PATH = /\/v1\/messages\/?$/;
/** DashScope's native text generation. */
export const DASHSCOPE_NATIVE_PATH = /\/api\/v1\/services\/aigc\/text-generation\/generation\/?$/;
export const MODELS_PATH = /\/models\/?$/;
export const STATE_PATH = /\/__limitprobe\/state\/?$/;
export const COUNTERS_PATH = /\/__limitprobe\/counters\/?$/;
export const RESET_PATH = /\/__limitprobe\/reset\/?$/;
export const REFEREE_PATH = /\/__limitprobe\/referee\/?$/;
export const REFEREE_CSV_PATH = /\/__limitprobe\/referee\.csv$/;
export const CONFIG_PATH = /\/__limitprobe\/config\/?$/;

const encoder = new TextEncoder();

/** A Reply as a Fetch Response (streams become a pull-driven ReadableStream; a reset becomes a network error). */
export function toResponse(r: Reply): Response {
  if ('body' in r) {
    if (r.fault === 'reset') return Response.error();
    return new Response(r.status === 499 ? null : r.body, { status: r.status, headers: r.headers });
  }
  const src = r.stream;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await src.next();
      if (chunk === undefined) {
        try {
          if (src.cut) controller.error(new TypeError('limitprobe mock: connection cut (fault)'));
          else controller.close();
        } catch {
          /* cancelled meanwhile */
        }
      } else controller.enqueue(encoder.encode(chunk));
    },
    cancel: () => src.cancel(),
  });
  return new Response(body, { status: r.status, headers: r.headers });
}

/** Runs a route; an unexpected throw becomes the dialect's 500, never a crash. */
async function guarded(core: MockCore, fn: () => Reply | Promise<Reply>): Promise<Response> {
  try {
    return toResponse(await fn());
  } catch {
    return toResponse(serverErrorReply(core));
  }
}

export function requestMeta(request: Request): RequestMeta {
  return { header: (n) => request.headers.get(n), path: new URL(request.url).pathname };
}

function control(core: MockCore, request: Request, fn: () => Reply | Promise<Reply>): Promise<Response> {
  return guarded(core, () => controlAuth(core, (n) => request.headers.get(n)) ?? fn());
}

export function createHandlers(core: MockCore): HttpHandler[] {
  return [
    http.post(CHAT_COMPLETIONS_PATH, async ({ request }) => guarded(core, async () => chatCompletions(core, await request.text(), request.signal, requestMeta(request)))),
    http.post(MESSAGES_PATH, async ({ request }) => guarded(core, async () => anthropicMessages(core, await request.text(), request.signal, requestMeta(request)))),
    http.post(DASHSCOPE_NATIVE_PATH, async ({ request }) => guarded(core, async () => dashscopeNative(core, await request.text(), request.signal, requestMeta(request)))),
    http.get(MODELS_PATH, () => guarded(core, () => modelList(core))),
    http.get(STATE_PATH, ({ request }) => control(core, request, () => controlState(core))),
    http.get(COUNTERS_PATH, ({ request }) => control(core, request, () => controlCounters(core))),
    http.post(RESET_PATH, ({ request }) => control(core, request, () => controlReset(core))),
    http.get(REFEREE_PATH, ({ request }) => control(core, request, () => controlReferee(core, false))),
    http.get(REFEREE_CSV_PATH, ({ request }) => control(core, request, () => controlReferee(core, true))),
    http.get(CONFIG_PATH, ({ request }) => control(core, request, () => controlConfigGet(core))),
    http.post(CONFIG_PATH, ({ request }) => control(core, request, async () => controlConfigPost(core, await request.text()))),
  ];
}
