/**
 * Dispatch straight into the mock's core, in process: no sockets, no JSON, no text. Each
 * attempt is admitted by the same MockCore (buckets, admission order, counters, latency
 * model, refunds) the HTTP mock runs, at the attempt's start; the AttemptResult is what
 * HttpDispatch records against the HTTP mock for the same decision, field for field:
 *
 * - status, outcome and error_code: the same `classify()` over the status, error type and
 *   code the mock's body would carry (429 `requests`/`tokens` → rate_limited_*, the
 *   never-succeeds 429 → rate_limited_tokens / request_too_large, 400 context → context_exceeded…);
 * - error_message: the mock's message text, byte for byte;
 * - retry_after_ms: what `retry-after-ms` carries (the wait rounded to whole ms);
 * - the x-ratelimit-* values: remaining as sent, resets as the Go durations carry them (whole ms);
 * - usage: prompt tokens (the planned count, which the mock's tokenizer reproduces exactly)
 *   and completion tokens from the ticket;
 * - times: JSON replies have first byte = end = admission + completion time (the mock sends
 *   headers with the finished body); SSE replies have first byte at admission (headers flush
 *   at once), first token when the first content chunk is due, end when the last is.
 *
 * Left out (no wire): bytes_in. Over the client's timeout an attempt ends as `timeout` at
 * start + timeoutMs and the core is told the client went away then (tokens generated so far),
 * as the HTTP mock is when the socket closes. Time is the run-relative clock shared with the
 * core (time 0 = run start). The network is one round trip (`rttMs`, default 1 ms) added to
 * every answer: admission happens at the attempt's start, headers, tokens and the end reach
 * the client rttMs later.
 */
import type { Clock } from '../clock.js';
import type { AttemptResult, Dispatch, PlannedRequest } from '../exec/ports.js';
import { classify } from '../metrics/classify.js';
import type { RateLimitHeaders } from '../metrics/record.js';
import { OPENAI_ERROR, parseRetryAfter } from '../protocol/openai.js';
import { completionMs, tokenDueMs, tokensDueBy, type LimitsView, type MockCore, type Ticket } from '../../mock-server/core/index.js';
import * as dialect from '../../mock-server/core/dialect-openai.js';
import { rateLimitedContext, retryAfterHeaders } from '../../mock-server/core/wire.js';

/** A clock with a callback wake-up (SimClock): the fast path. */
interface CallbackClock extends Clock {
  at(t: number, fn: () => void): () => void;
}

export interface SimDispatchOptions {
  core: MockCore;
  /** The core's clock (also the run's): time 0 is the run's start. */
  clock: Clock;
  /** The client's deadline for a whole attempt, as HttpDispatch applies it. */
  timeoutMs: number;
  /**
   * Network round trip added to every answer (ms, > 0). Default 1: about the HTTP mock's own
   * loopback overhead. It also keeps time moving: a closed loop against instant 429s would
   * otherwise send forever at one instant.
   */
  rttMs?: number;
}

/** What the x-ratelimit-* headers carry once parsed: counts as sent, resets in whole ms (Go durations are rounded to ms). */
export function rateLimitOf(l: LimitsView): RateLimitHeaders {
  return {
    limitRequests: l.requests.limit,
    limitTokens: l.tokens.limit,
    remainingRequests: l.requests.remaining,
    remainingTokens: l.tokens.remaining,
    resetRequestsMs: Math.round(l.requests.resetMs),
    resetTokensMs: Math.round(l.tokens.resetMs),
  };
}

export class SimDispatch implements Dispatch {
  private readonly core: MockCore;
  private readonly clock: Clock;
  private readonly cb: CallbackClock | undefined;
  private readonly timeoutMs: number;
  private readonly rttMs: number;
  private readonly org: string;
  /** Attempts in flight (an intrusive list: no allocation per attempt), and the signals already listened to. */
  private readonly flights = new FlightList();
  private readonly watched = new WeakSet<AbortSignal>();

  constructor(opts: SimDispatchOptions) {
    this.core = opts.core;
    this.clock = opts.clock;
    this.cb = typeof (opts.clock as Partial<CallbackClock>).at === 'function' ? (opts.clock as CallbackClock) : undefined;
    this.timeoutMs = opts.timeoutMs;
    this.rttMs = opts.rttMs ?? 1;
    if (!(this.rttMs > 0) || !Number.isFinite(this.rttMs)) throw new RangeError(`rttMs must be a finite number > 0, got ${this.rttMs}`);
    this.org = opts.core.settings.org;
  }

  send(req: PlannedRequest, _attempt: number, signal: AbortSignal): Promise<AttemptResult> {
    const core = this.core;
    const startMs = this.clock.now();
    const model = core.resolveModel(req.model);
    if (!model) {
      core.reject('not_found', req.model);
      return this.later(this.error(req, startMs, 404, OPENAI_ERROR.invalidRequestType, OPENAI_ERROR.modelNotFoundCode, dialect.modelNotFoundMessage(req.model), {}));
    }
    if (signal.aborted) {
      return Promise.resolve({
        promptTokensEstimate: req.promptTokens,
        maxTokens: req.maxTokens,
        stream: req.stream,
        startMs,
        endMs: startMs,
        outcome: 'network_error',
        errorCode: 'AbortError',
        errorMessage: 'aborted before sending',
      });
    }
    const a = core.admit(model, { promptTokens: req.promptTokens, maxTokens: req.maxTokens, maxTokensParam: 'max_tokens' });
    if (!a.ok) return this.later(this.rejection(req, startMs, a.decision, model.id));
    return this.respond(req, startMs, a.ticket, signal);
  }

  private rejection(req: PlannedRequest, startMs: number, d: Extract<ReturnType<MockCore['admit']>, { ok: false }>['decision'], model: string): AttemptResult {
    switch (d.kind) {
      case 'rate_limited': {
        const c = rateLimitedContext(d, model, this.org, '');
        const D = this.core.dialect;
        if (D.family !== 'openai') {
          // Simulation speaks the OpenAI wire (see run-target-sim.ts).
          const r = this.error(req, startMs, 429, d.dimension === 'tokens' ? OPENAI_ERROR.tokensType : OPENAI_ERROR.requestsType, OPENAI_ERROR.rateLimitCode, dialect.rateLimitMessage(d.dimension, model, this.org, c.limit, c.used, c.requested, c.waitMs), rateLimitOf(d.limits));
          r.retryAfterMs = Math.round(c.waitMs);
          return r;
        }
        // Rendered as the HTTP mock renders it (same rule, message and advice), read back as a client reads the wire.
        const e = D.errors.rateLimited(c).body as { error: { message: string; type: string; code: string } };
        const r = this.error(req, startMs, 429, e.error.type, e.error.code, e.error.message, rateLimitOf(d.limits));
        const h = retryAfterHeaders(D, c.waitMs, {});
        const ra = parseRetryAfter((n) => h[n]);
        if (ra !== undefined) r.retryAfterMs = ra;
        return r;
      }
      case 'request_too_large':
        return this.error(
          req,
          startMs,
          429,
          OPENAI_ERROR.tokensType,
          OPENAI_ERROR.rateLimitCode,
          dialect.requestTooLargeMessage('tokens', model, this.org, d.limit, d.requested),
          rateLimitOf(d.limits),
        );
      case 'context_exceeded':
        return this.error(
          req,
          startMs,
          400,
          OPENAI_ERROR.invalidRequestType,
          OPENAI_ERROR.contextLengthCode,
          dialect.contextLengthMessage(d.contextWindow, d.promptTokens, d.maxTokens),
          {},
        );
      case 'max_tokens_too_large':
        return this.error(req, startMs, 400, OPENAI_ERROR.invalidRequestType, 'invalid_value', dialect.maxTokensTooLargeMessage(d.param, d.value, d.max), {});
    }
  }

  /** Resolves with `r` at its endMs (one round trip after the start). */
  private later(r: AttemptResult): Promise<AttemptResult> {
    return new Promise<AttemptResult>((resolve) => {
      const fire = () => resolve(r);
      if (this.cb) this.cb.at(r.endMs, fire);
      else void this.clock.sleepUntil(r.endMs).then(fire);
    });
  }

  /** An error response: its headers and body arrive one round trip after the start. */
  private error(req: PlannedRequest, startMs: number, status: number, errorType: string, errorCode: string, message: string, rateLimit: RateLimitHeaders): AttemptResult {
    const c = classify({ dialect: 'openai', status, errorType, errorCode, message });
    const r: AttemptResult = {
      promptTokensEstimate: req.promptTokens,
      maxTokens: req.maxTokens,
      stream: req.stream,
      startMs,
      firstByteMs: startMs + this.rttMs,
      status,
      rateLimit,
      endMs: startMs + this.rttMs,
      outcome: c.outcome,
      errorMessage: message,
    };
    if (c.errorCode !== undefined) r.errorCode = c.errorCode;
    return r;
  }

  private respond(req: PlannedRequest, startMs: number, t: Ticket, signal: AbortSignal): Promise<AttemptResult> {
    if (!this.watched.has(signal)) {
      // The executor hands every attempt the same signal: one listener for all of them.
      this.watched.add(signal);
      signal.addEventListener('abort', () => this.flights.abortAll(signal), { once: true });
    }
    const n = t.completionTokens;
    const doneAt = t.admittedAt + completionMs(t.timing, n) + this.rttMs;
    const deadline = startMs + this.timeoutMs;
    return new Promise<AttemptResult>((resolve) => {
      const f = new Flight(this, req, startMs, t, signal, doneAt > deadline, resolve);
      this.flights.push(f);
      const endAt = f.timedOut ? deadline : doneAt;
      if (this.cb) f.cancel = this.cb.at(endAt, f.fire);
      else {
        const ac = new AbortController();
        f.cancel = () => ac.abort();
        this.clock.sleepUntil(endAt, ac.signal).then(f.fire, noop);
      }
    });
  }

  /** The attempt `f` ends now: completed, timed out, or aborted by the run. */
  finish(f: Flight, aborted: boolean): void {
    this.flights.remove(f);
    f.cancel();
    const core = this.core;
    const { req, ticket: t } = f;
    const n = t.completionTokens;
    const now = this.clock.now();
    const r: AttemptResult = {
      promptTokensEstimate: req.promptTokens,
      maxTokens: req.maxTokens,
      stream: req.stream,
      startMs: f.startMs,
      endMs: now,
      outcome: 'ok',
    };
    const rtt = this.rttMs;
    if (req.stream && f.startMs + rtt <= now) {
      r.firstByteMs = f.startMs + rtt;
      if (n > 0) {
        const firstToken = t.admittedAt + tokenDueMs(t.timing, Math.min(core.settings.streamChunkTokens, n) - 1) + rtt;
        if (firstToken <= now) r.firstTokenMs = firstToken;
      }
    }
    if (aborted || f.timedOut) {
      core.finish(t, tokensDueBy(t.timing, Math.max(0, now - t.admittedAt - rtt / 2), n), true);
      if (aborted) {
        r.outcome = 'network_error';
        r.errorCode = 'AbortError';
        r.errorMessage = 'aborted';
      } else {
        r.outcome = 'timeout';
        r.errorCode = 'E_TIMEOUT';
        r.errorMessage = `no complete response within ${this.timeoutMs} ms`;
      }
    } else {
      core.finish(t, n);
      if (!req.stream) r.firstByteMs = now;
      r.status = 200;
      r.rateLimit = rateLimitOf(t.limits);
      r.promptTokens = t.promptTokens;
      r.completionTokens = n;
    }
    f.resolve(r);
  }
}

/** One admitted attempt waiting for its end (a node of FlightList). */
class Flight {
  prev: Flight | undefined;
  next: Flight | undefined;
  cancel: () => void = noop;
  readonly fire = () => this.owner.finish(this, false);

  constructor(
    private readonly owner: SimDispatch,
    readonly req: PlannedRequest,
    readonly startMs: number,
    readonly ticket: Ticket,
    readonly signal: AbortSignal,
    readonly timedOut: boolean,
    readonly resolve: (r: AttemptResult) => void,
  ) {}

  abort(): void {
    this.owner.finish(this, true);
  }
}

class FlightList {
  private head: Flight | undefined;

  push(f: Flight): void {
    f.next = this.head;
    if (this.head) this.head.prev = f;
    this.head = f;
  }

  remove(f: Flight): void {
    if (f.prev) f.prev.next = f.next;
    else if (this.head === f) this.head = f.next;
    if (f.next) f.next.prev = f.prev;
    f.prev = f.next = undefined;
  }

  /** Ends every attempt in flight under `signal`, oldest first (deterministic order). */
  abortAll(signal: AbortSignal): void {
    const list: Flight[] = [];
    for (let f = this.head; f; f = f.next) if (f.signal === signal) list.push(f);
    for (let i = list.length - 1; i >= 0; i--) list[i]!.abort();
  }
}

const noop = () => {};
