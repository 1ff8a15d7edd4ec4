/**
 * One simulated run: scenario → plan → executor on the simulated target → summaries, with or
 * without the report files. With `outDir` it writes exactly what `runScenario` writes (same
 * writers, same order of operations), so it is also the reference for `run --sim` until
 * run.ts takes the simulated target (see docs/simulation.md "Wiring"). Without `outDir` it
 * keeps only the summaries: what a capacity sweep needs for each point it tries.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execute, type ExecutionResult } from '../exec/executor.js';
import type { RunEvent } from '../exec/ports.js';
import type { DriveOptions, DriveStats } from '../exec/virtual-driver.js';
import type { AttemptRecord } from '../metrics/record.js';
import { SeriesBuilder } from '../metrics/series.js';
import { MetricsCollector, type Summary, type SummaryOptions } from '../metrics/summary.js';
import { buildPlan, type Plan } from '../plan/plan.js';
import { openRunReports } from '../report/writers.js';
import { openSimTarget } from '../run-target-sim.js';
import { resolvedForReport, type Scenario } from '../scenario/index.js';
import type { MockState } from '../../mock-server/core/index.js';
import { leanPlan } from './lean-plan.js';

export interface SimRunOptions {
  /** Write requests.csv, timeseries.csv, summary.csv, scenario.resolved.json and mock-state.json here. */
  outDir?: string;
  /** Extra summary options (percentiles for SLOs, group rows). */
  summary?: Pick<SummaryOptions, 'percentiles' | 'groupRows'>;
  drive?: DriveOptions;
  /** Draw request sizes without synthesising prompt text (default true; the simulation never reads it). */
  lean?: boolean;
  /** false: record nothing (no summaries): measures the engine alone (benchmarks). Default true. */
  collect?: boolean;
  signal?: AbortSignal;
  onEvent?: (ev: RunEvent) => void;
}

export interface SimRunResult {
  summaries: Summary[];
  execution: ExecutionResult;
  mockState: MockState;
  /** Wall-clock ms the run took, and the driver's counters. */
  wallMs: number;
  stats: DriveStats;
  plan: Plan;
}

export async function runSimulated(scenario: Scenario, opts: SimRunOptions = {}): Promise<SimRunResult> {
  const wall0 = performance.now();
  const stats: DriveStats = { steps: 0, macrotasks: 0 };
  const target = openSimTarget(scenario, { drive: opts.drive, stats });
  try {
    const full = buildPlan(scenario, { model: target.model });
    const plan = opts.lean === false ? full : leanPlan(full, scenario);
    const reports = opts.outDir === undefined ? undefined : openRunReports(opts.outDir);
    try {
      await reports?.writeResolvedScenario(resolvedForReport(scenario));
      const collector = new MetricsCollector({ pricing: target.pricing });
      for (const p of plan.phases) collector.addPhase(p.name, p.startMs, p.durationMs);
      const series = reports
        ? new SeriesBuilder({ onRow: (row) => reports.writeTimeseriesRow(row), graceMs: scenario.client.timeoutMs + 1_000 })
        : undefined;
      const recorder = {
        record(rec: AttemptRecord) {
          reports?.recordAttempt(rec);
          collector.record(rec);
          series?.record(rec);
        },
      };
      const noop = { record(_rec: AttemptRecord) {} };
      let execution: ExecutionResult;
      try {
        execution = await target.drive(
          execute({
            plan,
            dispatch: target.dispatch,
            recorder: opts.collect === false && !reports ? noop : recorder,
            clock: target.clock,
            maxInFlight: scenario.maxInFlight,
            stop: opts.signal,
            onEvent: opts.onEvent,
            onInFlight: series ? (ms, n) => series.sampleInFlight(ms, n) : undefined,
          }),
        );
      } finally {
        series?.flush();
      }
      collector.setTotalDuration(execution.interrupted ? execution.endMs : Math.max(plan.totalDurationMs, 1));
      const summaries = collector.summaries({ ...opts.summary, interrupted: execution.interrupted, simulated: true });
      const mockState = target.core.state();
      if (reports) {
        await reports.writeSummary(summaries);
        await writeFile(join(opts.outDir!, 'mock-state.json'), JSON.stringify(mockState, null, 2) + '\n');
      }
      return { summaries, execution, mockState, wallMs: performance.now() - wall0, stats, plan };
    } finally {
      await reports?.close();
    }
  } finally {
    await target.close();
  }
}
