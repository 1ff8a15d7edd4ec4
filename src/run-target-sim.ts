/**
 * The simulated target: the mock's core in virtual time, behind the same `OpenTarget` shape
 * as a real API or the HTTP mock. Same profile, limits, latency model and seed as the
 * embedded HTTP mock would get from the scenario; time starts at 0 (the run's start) on a
 * SimClock that `drive()` pumps, so an hour of traffic takes as long as the arithmetic.
 */
import { ConfigError } from './errors.js';
import { SimDispatch } from './client/sim-dispatch.js';
import { SimClock, driveVirtual, type DriveOptions, type DriveStats } from './exec/virtual-driver.js';
import { mockOptions, type OpenTarget } from './run-target.js';
import { RefereeDispatch } from './client/referee-dispatch.js';
import type { Scenario } from './scenario/index.js';
import { MockCore } from '../mock-server/core/index.js';

export interface SimTargetOptions {
  /** Drain mode and guards of the virtual-time driver (defaults are right for runs). */
  drive?: DriveOptions;
  /** Filled with the driver's counters when given (benchmarks, tests). */
  stats?: DriveStats;
  /** Network round trip added to every answer, ms (default 1). */
  rttMs?: number;
  /** Use this clock instead of a new SimClock at 0 (it must be at the run's start). */
  clock?: SimClock;
}

export interface SimTarget extends OpenTarget {
  simulated: true;
  clock: SimClock;
  core: MockCore;
}

export function openSimTarget(scenario: Scenario, opts: SimTargetOptions = {}): SimTarget {
  const t = scenario.target;
  if (t.kind !== 'mock') {
    throw new ConfigError('simulation needs the mock as the target', [
      { path: 'target.kind', expected: '"mock" (simulation runs the mock\'s limits and latency in virtual time; a real API cannot be simulated)', found: JSON.stringify(t.kind) },
    ]);
  }
  const clock = opts.clock ?? new SimClock(0);
  // No wall clock anywhere: `created` counts from the epoch.
  const core = new MockCore({ ...mockOptions(scenario), clock, epochMs: 0 });
  const model = core.resolveModel(t.model ?? core.defaultModel.id) ?? core.defaultModel;
  const dispatch = new RefereeDispatch(new SimDispatch({ core, clock, timeoutMs: scenario.client.timeoutMs, rttMs: opts.rttMs }), core);
  return {
    dispatch,
    clock,
    startClock: () => {}, // virtual time does not pass during set-up
    core,
    model: model.id,
    dialect: 'openai',
    pricing: { inputPerMillionUsd: model.profile.priceInputPerMTokens, outputPerMillionUsd: model.profile.priceOutputPerMTokens },
    simulated: true,
    drive: <T>(work: Promise<T>) => driveVirtual(clock, work, opts.drive, opts.stats),
    mockState: () => core.state(),
    close: async () => {},
  };
}
