/**
 * `engine: autocannon`: raw request floods through autocannon's programmatic API, mapped into
 * our AttemptRecords so a flood lands in the same requests.csv / timeseries.csv / summary.csv
 * (via whatever Recorder the caller passes: the report writers, MetricsCollector, SeriesBuilder).
 *
 * How results map (and what autocannon cannot give):
 * - Every response becomes one record, from the instance's 'response' event (status, bytes,
 *   response time): endMs = now, startMs = endMs − responseTime. autocannon has no schedule (it
 *   is closed loop: each connection sends its next request when a response frees a pipeline
 *   slot; `overallRate` only caps requests per second per connection), so targetedStartMs =
 *   startMs: schedule lag is 0 by construction and response time equals latency.
 * - Bodies: autocannon buffers every response body and hands it, with the headers, to the
 *   request's `onResponse` hook just before the 'response' event. With `parseBodies` (default)
 *   a non-2xx body is classified per dialect exactly like the HTTP client does (so a 429 is
 *   rate_limited_requests / _tokens / _other as the provider's code says; retry-after and the
 *   x-ratelimit-* headers are kept) and a 2xx JSON body's `usage` gives prompt and completion
 *   tokens. Without it: 2xx → ok, 429 → rate_limited_other, other statuses by class.
 * - Timeouts: one `timeout` record per request autocannon gives up on (it emits one 'timeout'
 *   per pipelined request of the connection it resets); startMs = endMs − timeoutMs (autocannon
 *   re-arms the timer at each write). Connection errors: one `network_error` record per socket
 *   error (startMs = endMs: the send time is unknown). These match autocannon's own `timeouts`
 *   and `errors` counters.
 * - With `amount` and pipelining > 1, autocannon closes a connection as soon as it has *written*
 *   its share, abandoning the last pipelining − 1 requests in flight on it: those have no
 *   response and no record (autocannon does not count them either).
 * - firstByteMs, firstTokenMs: not available (no streaming, no header timing) — left empty.
 * - Request ids are assigned in completion order (autocannon does not say which request a
 *   response answers across connections).
 * - autocannon's own figures are returned beside ours, under their own names: its latency
 *   histogram has integer-ms resolution, includes non-2xx responses and, with `overallRate`, is
 *   corrected for coordinated omission with the expected interval; its percentiles are p50,
 *   p90, p97.5, p99, p99.9 (no p95 — ours, from the records, has it).
 */
import autocannon from 'autocannon';
import type { Recorder } from '../exec/ports.js';
import { classify, type Dialect } from '../metrics/classify.js';
import { OUTCOMES, type AttemptRecord, type Outcome } from '../metrics/record.js';
import { parseRateLimitHeaders, parseRetryAfter } from '../protocol/openai.js';
import { ConfigError } from '../errors.js';
import { parseErrorBody } from './undici-dispatch.js';

export interface FloodOptions {
  url: string;
  /** Default POST when there is a body, else GET. */
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  /** One fixed body … */
  body?: string;
  /** … or templated bodies: an array cycled in order, or a function of the request index (0, 1, …). */
  bodies?: readonly string[] | ((index: number) => string);
  /** Default 10. */
  connections?: number;
  /** Requests in flight per connection (HTTP/1.1 pipelining). Default 1. */
  pipelining?: number;
  /** Total requests to send; otherwise run for durationMs. */
  amount?: number;
  /** Default 10 000 ms when amount is not given. */
  durationMs?: number;
  /** Requests per second over all connections (autocannon caps each connection per second). */
  overallRate?: number;
  /** Per-request timeout, ≥ 1000 ms (autocannon's minimum is 1 s); default 10 000 ms. */
  timeoutMs?: number;
  /** Classify non-2xx bodies per dialect and read usage from 2xx bodies; default 'openai'. false: status only. */
  parseBodies?: Dialect | false;
  /** Stop after this many errors (timeouts + connection errors), as autocannon's bailout. */
  bailout?: number;
  /** Receives one AttemptRecord per response, timeout or connection error, as it happens. */
  recorder?: Recorder;
  /** Request ids start here (so several floods in one run keep ids unique). Default 0. */
  firstRequestId?: number;
  /** prompt_tokens_estimate for every record (the flood's bodies are known in advance). */
  promptTokensEstimate?: number;
  phase?: string;
  group?: string;
  /** Run-relative ms clock; default: ms since runFlood was called (performance.now based). */
  now?: () => number;
  /** Aborting stops the flood (in-flight requests are abandoned, as autocannon does). */
  signal?: AbortSignal;
}

/** autocannon's own result figures, under its names (ms; see the module comment). */
export interface AutocannonFigures {
  requestsSent: number;
  responses: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  resets: number;
  durationS: number;
  /** Mean and stddev of autocannon's per-second request samples. */
  reqPerSMean: number;
  reqPerSStddev: number;
  latencyMs: { p50: number; p90: number; p97_5: number; p99: number; p99_9: number; mean: number; stddev: number; min: number; max: number };
  statusCodeStats: Record<string, number>;
}

export interface FloodResult {
  startMs: number;
  endMs: number;
  /** Records produced (responses + timeouts + connection errors). */
  attempts: number;
  counts: Record<Outcome, number>;
  /** Responses per HTTP status. */
  statusCounts: Record<string, number>;
  bytesIn: number;
  /** Completed attempts per second of flood (end − start), and ok ones. */
  attemptRps: number;
  okRps: number;
  autocannon: AutocannonFigures;
}

interface Pending {
  outcome: Outcome;
  errorCode?: string;
  errorMessage?: string;
  promptTokens?: number;
  completionTokens?: number;
  retryAfterMs?: number;
  rateLimit?: AttemptRecord['rateLimit'];
}

/** Without a body: 2xx ok, 429 rate_limited_other, other statuses by class (401/403 auth, 5xx …). */
function byStatusOnly(status: number): Outcome {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 429) return 'rate_limited_other';
  return classify({ dialect: 'openai', status }).outcome;
}

/** Classify one response from its status, body and headers. Exported for tests. */
export function classifyResponse(status: number, body: string, headers: Record<string, unknown> | undefined, dialect: Dialect | false): Pending {
  if (dialect === false) return { outcome: byStatusOnly(status) };
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) lower[k.toLowerCase()] = Array.isArray(v) ? String(v[0]) : String(v);
  const get = (n: string) => lower[n.toLowerCase()];
  if (status >= 200 && status < 300) {
    try {
      const j = JSON.parse(body) as { usage?: { prompt_tokens?: number; completion_tokens?: number } };
      return { outcome: 'ok', promptTokens: j?.usage?.prompt_tokens, completionTokens: j?.usage?.completion_tokens };
    } catch {
      return { outcome: 'ok' };
    }
  }
  const err = parseErrorBody(body);
  const c = classify({ dialect, status, ...err });
  const rl = parseRateLimitHeaders(get);
  return {
    outcome: c.outcome,
    errorCode: c.errorCode,
    errorMessage: err.message,
    retryAfterMs: parseRetryAfter(get),
    rateLimit: Object.keys(rl).length ? rl : undefined,
  };
}

const zeroCounts = () => Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;

export function runFlood(opts: FloodOptions): Promise<FloodResult> {
  const t0 = performance.now();
  const now = opts.now ?? (() => performance.now() - t0);
  const startMs = now();
  const timeoutMs = opts.timeoutMs ?? 10_000;
  if (!(timeoutMs >= 1000)) {
    return Promise.reject(new ConfigError('invalid flood options', [{ path: 'timeoutMs', expected: 'at least 1000 ms (autocannon cannot time out sooner)', found: String(timeoutMs) }]));
  }
  const dialect = opts.parseBodies === undefined ? 'openai' : opts.parseBodies;
  const phase = opts.phase ?? 'flood';
  const group = opts.group ?? 'default';
  const counts = zeroCounts();
  const statusCounts: Record<string, number> = {};
  let attempts = 0;
  let bytesIn = 0;
  let pending: Pending | undefined;

  const emit = (rec: Omit<AttemptRecord, 'requestId' | 'attempt' | 'group' | 'phase' | 'promptTokensEstimate'>) => {
    attempts++;
    counts[rec.outcome]++;
    opts.recorder?.record({ requestId: (opts.firstRequestId ?? 0) + attempts - 1, attempt: 1, group, phase, promptTokensEstimate: opts.promptTokensEstimate ?? 0, ...rec });
  };

  const bodies = opts.bodies;
  let index = 0;
  const bodyAt = bodies === undefined ? undefined : typeof bodies === 'function' ? bodies : (i: number) => bodies[i % bodies.length]!;
  const hasBody = opts.body !== undefined || bodies !== undefined;
  const connections = Math.max(1, Math.min(opts.connections ?? 10, opts.amount ?? Infinity));

  const request: autocannon.Request = {
    onResponse: (status, body, _ctx, headers) => {
      pending = classifyResponse(status, body, headers as Record<string, unknown>, dialect);
    },
  };
  if (bodyAt) request.setupRequest = (req) => ({ ...req, body: bodyAt(index++) });

  return new Promise<FloodResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url: opts.url,
        method: opts.method ?? (hasBody ? 'POST' : 'GET'),
        headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        body: opts.body,
        requests: [request],
        connections,
        pipelining: opts.pipelining ?? 1,
        ...(opts.amount !== undefined ? { amount: opts.amount } : { duration: (opts.durationMs ?? 10_000) / 1000 }),
        ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
        ...(opts.bailout ? { bailout: opts.bailout } : {}),
        timeout: timeoutMs / 1000,
        setupClient: (c) => {
          // 'timeout' and 'connError' exist on autocannon's client but not in its type definitions.
          const client = c as unknown as NodeJS.EventEmitter;
          client.on('timeout', () => {
            const end = now();
            emit({ targetedStartMs: end - timeoutMs, startMs: end - timeoutMs, endMs: end, outcome: 'timeout', errorCode: 'timeout' });
          });
          client.on('connError', (err: NodeJS.ErrnoException) => {
            const end = now();
            emit({ targetedStartMs: end, startMs: end, endMs: end, outcome: 'network_error', errorCode: err?.code ?? 'network_error', errorMessage: err?.message });
          });
        },
      },
      (err, result) => {
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        const endMs = now();
        const secs = Math.max(endMs - startMs, 1) / 1000;
        const l = result.latency;
        resolve({
          startMs,
          endMs,
          attempts,
          counts,
          statusCounts,
          bytesIn,
          attemptRps: attempts / secs,
          okRps: counts.ok / secs,
          autocannon: {
            requestsSent: result.requests.sent,
            responses: (l as autocannon.Histogram & { totalCount?: number }).totalCount ?? 0,
            errors: result.errors,
            timeouts: result.timeouts,
            non2xx: result.non2xx,
            resets: result.resets,
            durationS: result.duration,
            reqPerSMean: result.requests.mean,
            reqPerSStddev: result.requests.stddev,
            latencyMs: { p50: l.p50, p90: l.p90, p97_5: l.p97_5, p99: l.p99, p99_9: l.p99_9, mean: l.mean, stddev: l.stddev, min: l.min, max: l.max },
            statusCodeStats: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, (v as { count: number }).count])),
          },
        });
      },
    );
    const onAbort = () => instance.stop();
    if (opts.signal?.aborted) instance.stop();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });

    instance.on('response', (_client, statusCode, resBytes, responseTime) => {
      const end = now();
      const p = pending ?? { outcome: byStatusOnly(statusCode) };
      pending = undefined;
      statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
      bytesIn += resBytes;
      emit({ targetedStartMs: end - responseTime, startMs: end - responseTime, endMs: end, status: statusCode, bytesIn: resBytes, ...p });
    });
  });
}
