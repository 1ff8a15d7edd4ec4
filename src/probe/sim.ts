/**
 * The probe in virtual time: the mock's core behind a SimDispatch on a SimClock, pumped by
 * driveVirtual, so minutes of probing take seconds. `headers: false` strips the rate-limit
 * headers and retry-after from every answer (DashScope sends none).
 */
import { SimDispatch } from '../client/sim-dispatch.js';
import type { AttemptResult, Dispatch } from '../exec/ports.js';
import { driveVirtual, SimClock } from '../exec/virtual-driver.js';
import { MockCore, type MockCoreOptions } from '../../mock-server/core/core.js';
import { check, debit, type BucketSpec, type BucketState } from '../../mock-server/core/bucket.js';
import type { Clock } from '../clock.js';
import { runProbe, type ProbeOptions, type ProbeResult } from './probe.js';

/** Wraps a Dispatch so no rate-limit headers reach the probe. */
export function withoutHeaders(d: Dispatch): Dispatch {
  return {
    async send(req, attempt, signal): Promise<AttemptResult> {
      const r = await d.send(req, attempt, signal);
      delete r.rateLimit;
      delete r.retryAfterMs;
      return r;
    },
  };
}

/**
 * A request bucket in front of a Dispatch: capacity `capacity` requests, refilled at
 * `perMinute` per minute (burst ≠ refill when capacity ≠ perMinute). Refused requests get a
 * 429 `rate_limited_requests` at once and never reach the target; admitted ones are sent.
 * Stands for a provider whose bucket size differs from its rate, until the mock has that option.
 */
export function withRequestBucket(d: Dispatch, clock: Clock, b: { capacity: number; perMinute: number }): Dispatch {
  // A bucket of capacity C refilled at R/min: limit C over a window of C/R minutes.
  const spec: BucketSpec = { limit: b.capacity, windowMs: (b.capacity / b.perMinute) * 60_000 };
  let state: BucketState | undefined;
  return {
    async send(req, attempt, signal): Promise<AttemptResult> {
      const now = clock.now();
      const dec = check(spec, state, now, 1);
      if (!dec.ok) {
        return { promptTokensEstimate: req.promptTokens, startMs: now, endMs: now, status: 429, outcome: 'rate_limited_requests', errorCode: 'rate_limit_exceeded', errorMessage: 'Rate limit reached for requests (gateway bucket)' };
      }
      state = debit(spec, state, now, 1);
      return d.send(req, attempt, signal);
    },
  };
}

export interface SimProbeOptions extends Omit<ProbeOptions, 'dispatch' | 'clock' | 'model'> {
  mock: Omit<MockCoreOptions, 'clock'>;
  model?: string;
  headers?: boolean;
  timeoutMs?: number;
  /** A request bucket with its own capacity in front of the mock (see withRequestBucket). */
  requestBucket?: { capacity: number; perMinute: number };
}

export async function probeSimulated(o: SimProbeOptions): Promise<ProbeResult & { core: MockCore }> {
  const clock = new SimClock(0);
  const core = new MockCore({ ...o.mock, clock });
  let dispatch: Dispatch = new SimDispatch({ core, clock, timeoutMs: o.timeoutMs ?? 600_000 });
  if (o.requestBucket) dispatch = withRequestBucket(dispatch, clock, o.requestBucket);
  if (o.headers === false) dispatch = withoutHeaders(dispatch);
  const { mock: _m, headers: _h, timeoutMs: _t, requestBucket: _b, ...rest } = o;
  const r = await driveVirtual(clock, runProbe({ ...rest, dispatch, clock, model: o.model ?? core.defaultModel.id }));
  return { ...r, core };
}
