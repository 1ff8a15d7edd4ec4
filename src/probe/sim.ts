/**
 * The probe in virtual time: the mock's core behind a SimDispatch on a SimClock, pumped by
 * driveVirtual, so minutes of probing take seconds. `headers: false` strips the rate-limit
 * headers and retry-after from every answer (DashScope sends none). Burst ≠ refill is the
 * mock's own `rpmCapacity` / `tpmCapacity`.
 */
import { SimDispatch } from '../client/sim-dispatch.js';
import type { AttemptResult, Dispatch } from '../exec/ports.js';
import { driveVirtual, SimClock } from '../exec/virtual-driver.js';
import { MockCore, type MockCoreOptions } from '../../mock-server/core/core.js';
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

export interface SimProbeOptions extends Omit<ProbeOptions, 'dispatch' | 'clock' | 'model'> {
  mock: Omit<MockCoreOptions, 'clock'>;
  model?: string;
  headers?: boolean;
  timeoutMs?: number;
}

export async function probeSimulated(o: SimProbeOptions): Promise<ProbeResult & { core: MockCore }> {
  const clock = new SimClock(0);
  const core = new MockCore({ ...o.mock, clock });
  let dispatch: Dispatch = new SimDispatch({ core, clock, timeoutMs: o.timeoutMs ?? 600_000 });
  if (o.headers === false) dispatch = withoutHeaders(dispatch);
  const { mock: _m, headers: _h, timeoutMs: _t, ...rest } = o;
  const r = await driveVirtual(clock, runProbe({ ...rest, dispatch, clock, model: o.model ?? core.defaultModel.id }));
  return { ...r, core };
}
