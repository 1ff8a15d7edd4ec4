/**
 * An instrumented fetch: every call is one HTTP attempt, timed on the run clock and turned
 * into an AttemptResult (status, outcome class, error code, retry-after, rate-limit headers,
 * usage) when its body has been read in full. The caller (the official SDK, a user's module)
 * reads the response as usual: we read a clone. The attempt number comes from the
 * `x-stainless-retry-count` header when the client sends one (openai/anthropic SDKs), else
 * from the number of calls made for this request so far.
 */
import type { Clock } from '../clock.js';
import type { AttemptResult, PlannedRequest } from '../exec/ports.js';
import { classify, type Dialect } from '../metrics/classify.js';
import { parseRateLimitHeaders, parseRetryAfter } from '../protocol/openai.js';

export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface AttemptSink {
  (attempt: number, result: AttemptResult): void;
}

function headerOf(init: RequestInit | undefined, input: string | URL | Request, name: string): string | undefined {
  const h = init?.headers ?? (input instanceof Request ? input.headers : undefined);
  if (!h) return undefined;
  if (h instanceof Headers) return h.get(name) ?? undefined;
  if (Array.isArray(h)) return h.find(([k]) => k.toLowerCase() === name)?.[1];
  for (const [k, v] of Object.entries(h)) if (k.toLowerCase() === name) return String(v);
  return undefined;
}

/** usage from a JSON body or the last SSE chunk carrying one. */
function usageOf(text: string): { prompt?: number; completion?: number; error?: { type?: string; code?: string; message?: string } } {
  const pick = (o: unknown) => {
    const u = (o as { usage?: { prompt_tokens?: number; completion_tokens?: number } } | null)?.usage;
    return u ? { prompt: u.prompt_tokens, completion: u.completion_tokens } : undefined;
  };
  const t = text.trimStart();
  if (t.startsWith('{')) {
    try {
      const o = JSON.parse(t);
      const e = (o as { error?: { type?: string; code?: string | number; message?: string } }).error;
      if (e) return { error: { type: e.type, code: e.code === undefined || e.code === null ? undefined : String(e.code), message: e.message } };
      return pick(o) ?? {};
    } catch {
      return {};
    }
  }
  let last: ReturnType<typeof pick>;
  for (const line of text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const d = line.slice(5).trim();
    if (d === '[DONE]' || !d.includes('"usage"')) continue;
    try {
      last = pick(JSON.parse(d)) ?? last;
    } catch {
      /* partial line */
    }
  }
  return last ?? {};
}

/** A fetch that reports every attempt of `req` to `sink`. `pending` collects the body reads, so the caller can wait for every record. */
export function instrumentedFetch(opts: {
  req: PlannedRequest;
  clock: Clock;
  dialect: Dialect;
  sink: AttemptSink;
  pending: Promise<void>[];
  base?: FetchFn;
}): FetchFn {
  const { req, clock, dialect, sink, pending } = opts;
  const base = opts.base ?? globalThis.fetch;
  let calls = 0;
  return async (input, init) => {
    const rc = headerOf(init, input, 'x-stainless-retry-count');
    const attempt = rc !== undefined && /^\d+$/.test(rc) ? Number(rc) + 1 : calls + 1;
    calls++;
    const startMs = clock.now();
    const common = { promptTokensEstimate: req.promptTokens, maxTokens: req.maxTokens, stream: req.stream, startMs };
    let res: Response;
    try {
      res = await base(input, init);
    } catch (e) {
      const aborted = (e as Error)?.name === 'AbortError' || (e as Error)?.name === 'TimeoutError';
      const { outcome, errorCode } = classify({ dialect, transport: (e as Error)?.name === 'TimeoutError' ? 'timeout' : 'network_error' });
      sink(attempt, { ...common, endMs: clock.now(), outcome, errorCode: aborted ? (e as Error).name : errorCode, errorMessage: String((e as Error)?.message ?? e) });
      throw e;
    }
    const firstByteMs = clock.now();
    const get = (n: string) => res.headers.get(n) ?? undefined;
    const retryAfterMs = parseRetryAfter(get);
    const rateLimit = parseRateLimitHeaders(get);
    const copy = res.clone();
    pending.push(
      copy.text().then(
        (text) => {
          const u = usageOf(text);
          const c = res.status >= 400 || u.error ? classify({ dialect, status: res.status, errorType: u.error?.type, errorCode: u.error?.code, message: u.error?.message }) : { outcome: 'ok' as const, errorCode: undefined };
          const r: AttemptResult = { ...common, firstByteMs, endMs: clock.now(), status: res.status, outcome: c.outcome, rateLimit, bytesIn: Buffer.byteLength(text) };
          if (c.errorCode !== undefined) r.errorCode = c.errorCode;
          if (u.error?.message !== undefined) r.errorMessage = u.error.message;
          if (retryAfterMs !== undefined && res.status >= 400) r.retryAfterMs = retryAfterMs;
          if (u.prompt !== undefined) r.promptTokens = u.prompt;
          if (u.completion !== undefined) r.completionTokens = u.completion;
          sink(attempt, r);
        },
        (e: unknown) => sink(attempt, { ...common, firstByteMs, endMs: clock.now(), status: res.status, outcome: 'network_error', errorCode: 'E_BODY', errorMessage: String((e as Error)?.message ?? e) }),
      ),
    );
    return res;
  };
}
