/**
 * Runs a plan: phases in sequence, open loop (arrivals at absolute planned times) or closed
 * loop (N workers back to back). It only schedules and records; sending is the Dispatch's job.
 *
 * Open loop never waits for responses before sending the next request, so a slow or
 * rejecting target cannot slow the offered load (no coordinated omission): response time is
 * measured from the planned start. Over `maxInFlight` an arrival is recorded as `dropped`.
 */
import { setMaxListeners } from 'node:events';
import type { Clock } from '../clock.js';
import { InFlight } from './in-flight.js';
import type { AttemptResult, Dispatch, ExecPhase, ExecPlan, PlannedRequest, Recorder, RetryPort, RunEvent } from './ports.js';
import type { AttemptRecord } from '../metrics/record.js';

export interface ExecutorOptions {
  plan: ExecPlan;
  dispatch: Dispatch;
  recorder: Recorder;
  /** Run-relative clock: now() is ms since run start. */
  clock: Clock;
  maxInFlight: number;
  /** Aborting stops scheduling; in-flight attempts get `graceMs` to finish, then are aborted. */
  stop?: AbortSignal;
  graceMs?: number;
  onEvent?: (ev: RunEvent) => void;
  /** Called whenever the in-flight count changes (for the per-second in-flight series). */
  onInFlight?: (atMs: number, n: number) => void;
  /**
   * Client retries and pacing. Each retry is a new attempt of the same request (same
   * requestId, attempt + 1), recorded as it finishes, its targetedStartMs the time the policy
   * scheduled it and firstTargetedStartMs the request's first planned send. A request holds
   * its in-flight slot from its first send to its last answer, retry and pacing waits included
   * (a retrying client still occupies a connection/worker). Waits sleep on the run clock.
   */
  retry?: RetryPort;
}

export interface ExecutionResult {
  interrupted: boolean;
  requests: number;
  attempts: number;
  dropped: number;
  peakInFlight: number;
  endMs: number;
  /**
   * The phases as they ran: start (shifted by earlier phases that ended when done) and duration
   * (planned, except a phase that ends when its work is done: how long it took).
   */
  phases: { name: string; startMs: number; durationMs: number }[];
}

/** Yield to I/O after this many back-to-back dispatches when behind schedule. */
const YIELD_EVERY = 32;

const yieldToIo = () => new Promise<void>((r) => setImmediate(r));

export async function execute(opts: ExecutorOptions): Promise<ExecutionResult> {
  const { plan, dispatch, recorder, clock, stop } = opts;
  const inFlight = new InFlight(opts.maxInFlight);
  const abortRequests = new AbortController();
  // Every in-flight attempt listens to this one signal: thousands of listeners are expected.
  setMaxListeners(0, abortRequests.signal);
  // Sleeps (arrivals, think time, retry waits) listen to the stop signal: many at once is normal.
  if (stop) setMaxListeners(0, stop);
  let nextId = 0;
  let attempts = 0;
  let dropped = 0;
  const pending = new Set<Promise<void>>();

  // Waits between attempts end when the run stops (scheduling) or is aborted (grace over).
  const stopOrAbort = stop ? AbortSignal.any([stop, abortRequests.signal]) : abortRequests.signal;

  const record = (req: PlannedRequest, attempt: number, res: AttemptResult, targetedStartMs = req.targetedStartMs) => {
    const rec: AttemptRecord = {
      requestId: req.requestId,
      attempt,
      group: req.group,
      phase: req.phase,
      targetedStartMs,
      ...(attempt > 1 ? { firstTargetedStartMs: req.targetedStartMs } : {}),
      ...res,
    };
    recorder.record(rec);
    opts.onEvent?.({ type: 'attempt', record: rec });
  };

  const sendOnce = (req: PlannedRequest, attempt: number, targetedStartMs: number): Promise<AttemptResult> => {
    attempts++;
    return dispatch.send(req, attempt, abortRequests.signal).then(
      (res) => {
        record(req, attempt, res, targetedStartMs);
        return res;
      },
      // A Dispatch must not throw for target failures; if it does anyway, keep the data.
      (err: unknown) => {
        const res = dispatchFailed(req, err, clock.now());
        record(req, attempt, res, targetedStartMs);
        return res;
      },
    );
  };

  /** One request through the retry port: gate, send, decide, sleep, again. */
  const sendWithRetries = async (req: PlannedRequest, port: RetryPort): Promise<void> => {
    let targeted = req.targetedStartMs;
    for (let attempt = 1; ; attempt++) {
      const gate = port.beforeSend(req, attempt, clock.now());
      if (gate.kind === 'reject') {
        record(req, attempt, {
          endMs: clock.now(),
          outcome: 'dropped',
          errorCode: gate.reason,
          promptTokensEstimate: req.promptTokens,
          maxTokens: req.maxTokens,
          stream: req.stream,
        }, targeted);
        return;
      }
      if (gate.atMs > clock.now()) {
        // A pacing wait: the attempt is now planned for then (schedule lag stays the client's own).
        if (attempt > 1) targeted = gate.atMs;
        try {
          await clock.sleepUntil(gate.atMs, stopOrAbort);
        } catch {
          return; // the run stopped while this request waited
        }
      }
      const res = await sendOnce(req, attempt, targeted);
      const verdict = port.afterAttempt(req, attempt, res, clock.now());
      if (!verdict.retry || stop?.aborted || abortRequests.signal.aborted) return;
      targeted = verdict.atMs;
      try {
        await clock.sleepUntil(verdict.atMs, stopOrAbort);
      } catch {
        return;
      }
    }
  };

  /** A client with its own retry logic: each attempt it reports is recorded; a retry's planned start is its actual start (its schedule is the client's secret). */
  const sendOwn = (req: PlannedRequest, own: NonNullable<Dispatch['sendWithOwnRetries']>): Promise<void> =>
    own
      .call(dispatch, req, abortRequests.signal, (attempt, res) => {
        attempts++;
        record(req, attempt, res, attempt === 1 ? req.targetedStartMs : (res.startMs ?? res.endMs));
      })
      .catch((err: unknown) => {
        attempts++;
        record(req, 1, dispatchFailed(req, err, clock.now()));
      });

  const sendTracked = (req: PlannedRequest): Promise<void> => {
    opts.onInFlight?.(clock.now(), inFlight.size);
    const work = dispatch.sendWithOwnRetries
      ? sendOwn(req, dispatch.sendWithOwnRetries)
      : opts.retry
        ? sendWithRetries(req, opts.retry)
        : sendOnce(req, 1, req.targetedStartMs).then(() => undefined);
    const p = work.finally(() => {
      inFlight.release();
      pending.delete(p);
      opts.onInFlight?.(clock.now(), inFlight.size);
    });
    pending.add(p);
    return p;
  };

  const recordDropped = (req: PlannedRequest) => {
    dropped++;
    record(req, 1, {
      endMs: req.targetedStartMs,
      outcome: 'dropped',
      promptTokensEstimate: req.promptTokens,
      maxTokens: req.maxTokens,
      stream: req.stream,
    });
  };

  // Phases that end when their work is done (closed loop, `requests` only) move every later
  // phase by the difference between the actual and the planned end.
  let shiftMs = 0;

  const runOpen = async (phase: ExecPhase) => {
    let burst = 0;
    const slots: Iterable<{ atMs: number; group?: number; seq?: number }> = phase.slots
      ? phase.slots()
      : (function* () {
          for (const atMs of phase.arrivals!()) yield { atMs };
        })();
    for (const slot of slots) {
      const t = slot.atMs + shiftMs;
      if (stop?.aborted) return;
      // Build the request before waiting for its time: it is a pure function of (id, phase,
      // planned time, slot), so the wait absorbs its cost (synthesising an exact-N-token prompt
      // runs the tokenizer: 30–60 µs for 32 tokens, ~0.5 ms for 1,000) instead of every send
      // being late by it. The id is taken only once the request is sent (or dropped).
      const req = slot.group === undefined ? plan.makeRequest(nextId, phase, t) : plan.makeRequest(nextId, phase, t, { group: slot.group, seq: slot.seq! });
      if (clock.now() < t) {
        burst = 0;
        try {
          await clock.sleepUntil(t, stop);
        } catch {
          return; // stopped while sleeping
        }
      } else if (++burst % YIELD_EVERY === 0) {
        await yieldToIo();
      }
      nextId++;
      if (inFlight.tryAcquire()) void sendTracked(req);
      else recordDropped(req);
    }
  };

  const runClosed = async (phase: ExecPhase) => {
    const end = phase.startMs + shiftMs + phase.durationMs;
    let issued = 0;
    const more = () => !stop?.aborted && clock.now() < end && (phase.maxRequests === undefined || issued < phase.maxRequests);
    const worker = async (group: number | undefined, seqOf: () => number) => {
      while (more()) {
        if (!inFlight.tryAcquire()) return; // maxInFlight below concurrency caps the workers
        issued++;
        const now = clock.now();
        const req = group === undefined ? plan.makeRequest(nextId++, phase, now) : plan.makeRequest(nextId++, phase, now, { group, seq: seqOf() });
        await sendTracked(req);
        const pause = phase.thinkTimeMs?.(req.requestId) ?? 0;
        if (pause > 0 && more()) {
          try {
            await clock.sleepUntil(Math.min(clock.now() + pause, end), stop);
          } catch {
            return;
          }
        }
      }
    };
    const workers: Promise<void>[] = [];
    if (phase.groups?.some((g) => g.concurrency)) {
      for (const g of phase.groups) {
        let seq = 0;
        for (let i = 0; i < (g.concurrency ?? 0); i++) workers.push(worker(g.group, () => seq++));
      }
    } else {
      for (let i = 0; i < (phase.concurrency ?? 1); i++) workers.push(worker(undefined, () => 0));
    }
    await Promise.all(workers);
    if (phase.endsWhenDone) shiftMs += clock.now() - end;
  };

  const ran: ExecutionResult['phases'] = [];
  for (const phase of plan.phases) {
    if (stop?.aborted) break;
    const startMs = phase.startMs + shiftMs;
    try {
      await clock.sleepUntil(startMs, stop);
    } catch {
      break;
    }
    opts.onEvent?.({ type: 'phase-start', phase: phase.name, atMs: clock.now() });
    if (phase.kind === 'open') await runOpen(phase);
    else await runClosed(phase);
    ran.push({ name: phase.name, startMs, durationMs: phase.endsWhenDone ? Math.max(0, clock.now() - startMs) : phase.durationMs });
    opts.onEvent?.({ type: 'phase-end', phase: phase.name, atMs: clock.now() });
  }

  const interrupted = stop?.aborted ?? false;
  if (interrupted && pending.size > 0) {
    const grace = opts.graceMs ?? 5_000;
    const timer = setTimeout(() => abortRequests.abort(new Error('interrupted')), grace);
    await Promise.allSettled([...pending]);
    clearTimeout(timer);
  } else {
    await Promise.allSettled([...pending]);
  }
  return {
    interrupted,
    requests: nextId,
    attempts,
    dropped,
    peakInFlight: inFlight.maxSeen,
    endMs: clock.now(),
    phases: ran,
  };
}

/** A Dispatch must not throw for target failures; if one does anyway, the attempt is still data. */
function dispatchFailed(req: PlannedRequest, err: unknown, endMs: number): AttemptResult {
  return {
    endMs,
    outcome: 'network_error',
    errorCode: 'E_DISPATCH',
    errorMessage: String((err as Error)?.message ?? err),
    promptTokensEstimate: req.promptTokens,
    maxTokens: req.maxTokens,
  };
}
