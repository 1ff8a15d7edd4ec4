/**
 * MSW 2 handlers of the mock: the chat completions route (JSON and SSE), the model list, and
 * the control routes, over a MockCore. Use them in your own in-process tests with
 * `setupServer(...createHandlers(core))`, or serve them over HTTP with createMockServer.
 *
 * One handler per route, chat first (msw tries handlers in order for every request). Paths
 * are RegExps equivalent to '*\/chat/completions' etc.: msw compiles string paths with
 * path-to-regexp on every request, RegExps are used as they are. The logic lives in
 * core/chat.ts; these wrappers only convert its replies into Fetch Responses.
 */
import { http, type HttpHandler } from 'msw';
import type { MockCore } from './core/core.js';
import { chatCompletions, controlReset, controlState, modelList, serverErrorReply } from './core/chat.js';
import type { Reply } from './core/reply.js';

/** Matches …/chat/completions (so /v1/… and DashScope's /compatible-mode/v1/… alike). */
export const CHAT_COMPLETIONS_PATH = /\/chat\/completions\/?$/;
export const MODELS_PATH = /\/models\/?$/;
export const STATE_PATH = /\/__limitprobe\/state\/?$/;
export const RESET_PATH = /\/__limitprobe\/reset\/?$/;

const encoder = new TextEncoder();

/** A Reply as a Fetch Response (streams become a pull-driven ReadableStream). */
export function toResponse(r: Reply): Response {
  if ('body' in r) return new Response(r.status === 499 ? null : r.body, { status: r.status, headers: r.headers });
  const src = r.stream;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await src.next();
      if (chunk === undefined) {
        try {
          controller.close();
        } catch {
          /* cancelled meanwhile */
        }
      } else controller.enqueue(encoder.encode(chunk));
    },
    cancel: () => src.cancel(),
  });
  return new Response(body, { status: r.status, headers: r.headers });
}

/** Runs a route; an unexpected throw becomes OpenAI's 500, never a crash. */
async function guarded(core: MockCore, fn: () => Reply | Promise<Reply>): Promise<Response> {
  try {
    return toResponse(await fn());
  } catch {
    return toResponse(serverErrorReply(core));
  }
}

export function createHandlers(core: MockCore): HttpHandler[] {
  return [
    http.post(CHAT_COMPLETIONS_PATH, async ({ request }) => guarded(core, async () => chatCompletions(core, await request.text(), request.signal))),
    http.get(MODELS_PATH, () => guarded(core, () => modelList(core))),
    http.get(STATE_PATH, () => guarded(core, () => controlState(core))),
    http.post(RESET_PATH, () => guarded(core, () => controlReset(core))),
  ];
}
