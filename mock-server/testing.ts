/**
 * Helpers for driving the mock in process without sockets (msw `getResponse` over the same
 * handlers createMockServer serves): handy in your own tests and used by limitprobe's.
 */
import { getResponse } from 'msw';
import { SseParser, type SseEvent } from '../src/protocol/sse.js';
import type { MockCore } from './core/core.js';
import { createHandlers } from './handlers.js';

export interface InProcessMock {
  /** Any request; rejects with a TypeError on an injected connection reset (like fetch does). */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** POST a JSON body (objects are serialized; strings sent as they are). */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
}

export function inProcess(core: MockCore, origin = 'http://mock.local'): InProcessMock {
  const handlers = createHandlers(core);
  const request = async (path: string, init: RequestInit = {}) => {
    const res = await getResponse(handlers, new Request(origin + path, init));
    if (!res) throw new Error(`limitprobe mock: no handler for ${init.method ?? 'GET'} ${path}`);
    if (res.type === 'error') throw new TypeError('fetch failed (connection reset by the mock)');
    return res;
  };
  return {
    request,
    post: (path, body, headers = {}) =>
      request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
    get: (path, headers = {}) => request(path, { headers }),
  };
}

/** Reads an SSE body to its end; `error` is set when the stream broke off (a "cut" fault). */
export async function readSse(res: Response): Promise<{ events: SseEvent[]; error?: unknown; raw: string }> {
  const p = new SseParser();
  const events: SseEvent[] = [];
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let raw = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      raw += dec.decode(value, { stream: true });
      events.push(...p.feed(value));
    }
  } catch (error) {
    return { events, error, raw };
  }
  events.push(...p.end());
  return { events, raw };
}
