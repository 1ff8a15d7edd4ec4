/**
 * Dispatch over HTTP with undici's `request` on a keep-alive pool (measured ~6× faster than
 * global fetch here). Handles OpenAI-compatible JSON and SSE streaming and turns every
 * response — success, 429, 5xx, timeout, reset — into an AttemptResult. Never throws for a
 * failure of the target.
 */
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import type { AttemptResult, Dispatch, PlannedRequest } from '../exec/ports.js';
import type { Outcome } from '../metrics/record.js';
import { classify, type Dialect } from '../metrics/classify.js';
import { parseRateLimitHeaders, parseRetryAfter } from '../protocol/openai.js';
import { SseParser } from '../protocol/sse.js';
import { countTokens } from '../tokens/count.js';
import { authHeaders, chatPath } from './endpoint.js';

export interface HttpDispatchOptions {
  /** OpenAI-compatible base URL including the version path, e.g. http://127.0.0.1:8080/v1 */
  baseUrl: string;
  apiKey?: string;
  /** Client groups with their own key (each group is its own tenant); others use apiKey. */
  groupApiKeys?: Record<string, string>;
  dialect: Dialect;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Run-relative clock used for every timestamp. */
  clock: Clock;
  /** Socket pool size; defaults to 256. */
  connections?: number;
}

interface Timing {
  startMs: number;
  firstByteMs?: number;
  firstTokenMs?: number;
}

type Headers = Record<string, string | string[] | undefined>;

function headerGetter(h: Headers): (name: string) => string | undefined {
  return (name) => {
    const v = h[name];
    return Array.isArray(v) ? v[0] : v;
  };
}

export class HttpDispatch implements Dispatch {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private readonly groupHeaders = new Map<string, Record<string, string>>();

  constructor(private readonly opts: HttpDispatchOptions) {
    const url = new URL(opts.baseUrl);
    this.pool = new Pool(url.origin, {
      connections: opts.connections ?? 256,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      // Our own deadline (timeoutMs) covers the whole attempt; undici's would race it.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    this.path = chatPath(url, opts.dialect);
    this.headers = {
      'content-type': 'application/json',
      ...authHeaders(opts.dialect, opts.apiKey),
      ...opts.headers,
    };
    for (const [group, key] of Object.entries(opts.groupApiKeys ?? {})) {
      this.groupHeaders.set(group, { ...this.headers, ...authHeaders(opts.dialect, key) });
    }
  }

  async send(req: PlannedRequest, attempt: number, signal: AbortSignal): Promise<AttemptResult> {
    const { clock } = this.opts;
    const body = JSON.stringify({
      model: req.model,
      messages: req.messages,
      max_tokens: req.maxTokens,
      stream: req.stream,
      ...(req.stream ? { stream_options: { include_usage: true } } : {}),
    });
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new TimeoutSignal()), this.opts.timeoutMs);
    const onOuterAbort = () => deadline.abort(signal.reason);
    if (signal.aborted) onOuterAbort();
    else signal.addEventListener('abort', onOuterAbort, { once: true });

    const timing: Timing = { startMs: clock.now() };
    const base = { promptTokensEstimate: req.promptTokens, maxTokens: req.maxTokens, stream: req.stream };
    try {
      const res = await this.pool.request({
        path: this.path,
        method: 'POST',
        // The retry count header the official SDKs send: lets a referee group our retries too.
        headers: attempt > 1 ? { ...(this.groupHeaders.get(req.group) ?? this.headers), 'x-stainless-retry-count': String(attempt - 1) } : (this.groupHeaders.get(req.group) ?? this.headers),
        body,
        signal: deadline.signal,
      });
      timing.firstByteMs = clock.now();
      const get = headerGetter(res.headers as Headers);
      const rateLimit = parseRateLimitHeaders(get);
      const common = { ...base, ...timing, status: res.statusCode, rateLimit };
      if (res.statusCode >= 400) {
        const text = await res.body.text();
        const err = parseErrorBody(text);
        const { outcome, errorCode } = classify({ dialect: this.opts.dialect, status: res.statusCode, ...err });
        return {
          ...common,
          endMs: clock.now(),
          outcome,
          errorCode,
          errorMessage: err.message,
          retryAfterMs: parseRetryAfter(get),
          bytesIn: Buffer.byteLength(text),
        };
      }
      const isSse = req.stream && String(get('content-type') ?? '').includes('text/event-stream');
      const read = isSse ? await readSse(res.body, clock, timing, req.model) : await readJson(res.body, req.model);
      return {
        ...common,
        ...timing,
        endMs: clock.now(),
        outcome: read.outcome,
        errorCode: read.errorCode,
        errorMessage: read.errorMessage,
        promptTokens: read.promptTokens,
        completionTokens: read.completionTokens,
        bytesIn: read.bytes,
      };
    } catch (e) {
      const timedOut = deadline.signal.reason instanceof TimeoutSignal;
      const transport = timedOut ? 'timeout' : 'network_error';
      const { outcome } = classify({ dialect: this.opts.dialect, transport });
      return {
        ...base,
        ...timing,
        endMs: clock.now(),
        outcome,
        errorCode: timedOut ? 'E_TIMEOUT' : errorCodeOf(e),
        errorMessage: timedOut ? `no complete response within ${this.opts.timeoutMs} ms` : String((e as Error)?.message ?? e),
      };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onOuterAbort);
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

class TimeoutSignal extends Error {
  constructor() {
    super('attempt timed out');
  }
}

function errorCodeOf(e: unknown): string {
  const err = e as { code?: string; cause?: { code?: string }; name?: string };
  return err?.code ?? err?.cause?.code ?? err?.name ?? 'E_NETWORK';
}

interface ParsedError {
  errorType?: string;
  errorCode?: string;
  message?: string;
}

/** OpenAI `{error:{type,code,message}}`, Anthropic `{type:'error',error:{type,message}}`, DashScope `{code,message}`. */
export function parseErrorBody(text: string): ParsedError {
  try {
    const j = JSON.parse(text) as Record<string, any>;
    const e = j?.error && typeof j.error === 'object' ? j.error : j;
    const code = e?.code ?? e?.details?.error_code;
    return {
      errorType: typeof e?.type === 'string' ? e.type : undefined,
      errorCode: code === undefined || code === null ? undefined : String(code),
      message: typeof e?.message === 'string' ? e.message : undefined,
    };
  } catch {
    return { message: text.slice(0, 500) || undefined };
  }
}

interface ReadResult {
  outcome: Outcome;
  errorCode?: string;
  errorMessage?: string;
  promptTokens?: number;
  completionTokens?: number;
  bytes: number;
}

async function readJson(body: Dispatcher.ResponseData['body'], model: string): Promise<ReadResult> {
  const text = await body.text();
  const bytes = Buffer.byteLength(text);
  try {
    const j = JSON.parse(text) as { usage?: { prompt_tokens?: number; completion_tokens?: number }; choices?: { message?: { content?: string } }[] };
    const content = j.choices?.[0]?.message?.content ?? '';
    return {
      outcome: 'ok',
      promptTokens: j.usage?.prompt_tokens,
      completionTokens: j.usage?.completion_tokens ?? (content ? countTokens(content, model) : undefined),
      bytes,
    };
  } catch {
    return { outcome: 'server_error', errorCode: 'E_BAD_JSON', errorMessage: 'response body is not JSON', bytes };
  }
}

/**
 * Reads an OpenAI SSE stream. The first token is the first chunk with non-empty content;
 * completion tokens come from the final usage chunk, or (if the server sent none) from our
 * tokenizer over the received text — counted by tokens, never by chunks.
 */
async function readSse(body: Dispatcher.ResponseData['body'], clock: Clock, timing: Timing, model: string): Promise<ReadResult> {
  const parser = new SseParser();
  let bytes = 0;
  let text = '';
  let usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
  let done = false;
  for await (const chunk of body) {
    bytes += (chunk as Buffer).length;
    for (const ev of parser.feed(chunk as Buffer)) {
      if (ev.data === '[DONE]') {
        done = true;
        continue;
      }
      let j: any;
      try {
        j = JSON.parse(ev.data);
      } catch {
        return { outcome: 'server_error', errorCode: 'E_BAD_SSE', errorMessage: 'malformed SSE data line', bytes };
      }
      if (j?.error) {
        const err = parseErrorBody(ev.data);
        return { outcome: 'server_error', errorCode: err.errorCode ?? 'E_STREAM_ERROR', errorMessage: err.message, bytes };
      }
      const delta: string | undefined = j?.choices?.[0]?.delta?.content;
      if (delta) {
        if (timing.firstTokenMs === undefined) timing.firstTokenMs = clock.now();
        text += delta;
      }
      if (j?.usage) usage = j.usage;
    }
  }
  const completionTokens = usage?.completion_tokens ?? (text ? countTokens(text, model) : 0);
  if (!done) {
    return { outcome: 'network_error', errorCode: 'E_STREAM_CUT', errorMessage: 'stream ended before [DONE]', promptTokens: usage?.prompt_tokens, completionTokens, bytes };
  }
  return { outcome: 'ok', promptTokens: usage?.prompt_tokens, completionTokens, bytes };
}
