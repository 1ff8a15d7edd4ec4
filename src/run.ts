/**
 * Composition root: scenario → plan → executor(dispatch, recorders) → reports. Starts the
 * embedded mock when the target is `mock`. Everything a run collected is flushed to disk even
 * when it is interrupted or the executor fails.
 */
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { RealClock, type Clock } from './clock.js';
import { HttpDispatch } from './client/undici-dispatch.js';
import { execute, type ExecutionResult } from './exec/executor.js';
import { runRelativeClock } from './exec/run-clock.js';
import type { RunEvent } from './exec/ports.js';
import type { AttemptRecord } from './metrics/record.js';
import { MetricsCollector, type Pricing, type Summary } from './metrics/summary.js';
import { SeriesBuilder } from './metrics/series.js';
import { buildPlan } from './plan/plan.js';
import { openRunReports } from './report/writers.js';
import { resolvedForReport, resolveSecrets, type Scenario } from './scenario/index.js';
import { createMockServer, type MockServer } from '../mock-server/index.js';

export interface RunOptions {
  /** Overrides scenario.output.dir. */
  outDir?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Aborting stops scheduling; in-flight attempts get `graceMs` to finish. */
  signal?: AbortSignal;
  graceMs?: number;
  onEvent?: (ev: RunEvent) => void;
  clock?: Clock;
}

export interface RunResult {
  outDir: string;
  summaries: Summary[];
  execution: ExecutionResult;
  interrupted: boolean;
  /** The mock's own counters at the end of the run (ground truth), when the target is the mock. */
  mockState?: unknown;
}

interface Target {
  baseUrl: string;
  apiKey?: string;
  dialect: Scenario extends { target: infer T } ? (T extends { dialect: infer D } ? D : never) : never;
  headers?: Record<string, string>;
  model: string;
  pricing?: Pricing;
  mock?: MockServer;
}

async function openTarget(scenario: Scenario, env: RunOptions['env']): Promise<Target> {
  const t = scenario.target;
  if (t.kind === 'http') {
    const { apiKey } = resolveSecrets(scenario, env);
    return { baseUrl: t.baseUrl, apiKey, dialect: t.dialect, headers: t.headers, model: t.model, pricing: t.pricing };
  }
  const mock = await createMockServer({
    profile: t.profile,
    model: t.model,
    rpm: t.limits?.rpm,
    tpm: t.limits?.tpm,
    contextWindow: t.limits?.contextWindow,
    latency: t.latency,
    seed: scenario.seed,
    host: '127.0.0.1',
    port: 0,
  });
  const model = mock.core.resolveModel(t.model ?? mock.core.defaultModel.id) ?? mock.core.defaultModel;
  return {
    baseUrl: `${mock.url}/v1`,
    dialect: 'openai',
    model: model.id,
    pricing: { inputPerMillionUsd: model.profile.priceInputPerMTokens, outputPerMillionUsd: model.profile.priceOutputPerMTokens },
    mock,
  };
}

export async function runScenario(scenario: Scenario, opts: RunOptions = {}): Promise<RunResult> {
  const outDir = opts.outDir ?? scenario.output.dir;
  const target = await openTarget(scenario, opts.env ?? process.env);
  try {
    const plan = buildPlan(scenario, { model: target.model });
    const reports = openRunReports(outDir);
    await reports.writeResolvedScenario(resolvedForReport(scenario));
    const collector = new MetricsCollector({ pricing: target.pricing });
    for (const p of plan.phases) collector.addPhase(p.name, p.startMs, p.durationMs);
    const series = new SeriesBuilder({
      onRow: (row) => reports.writeTimeseriesRow(row),
      graceMs: scenario.client.timeoutMs + 1_000,
    });

    const clock = runRelativeClock(opts.clock ?? new RealClock());
    const dispatch = new HttpDispatch({
      baseUrl: target.baseUrl,
      apiKey: target.apiKey,
      dialect: target.dialect,
      headers: target.headers,
      timeoutMs: scenario.client.timeoutMs,
      clock,
      connections: Math.min(scenario.maxInFlight, 1024),
    });
    const recorder = {
      record(rec: AttemptRecord) {
        reports.recordAttempt(rec);
        collector.record(rec);
        series.record(rec);
      },
    };

    let execution: ExecutionResult;
    try {
      execution = await execute({
        plan,
        dispatch,
        recorder,
        clock,
        maxInFlight: scenario.maxInFlight,
        stop: opts.signal,
        graceMs: opts.graceMs,
        onEvent: opts.onEvent,
        onInFlight: (ms, n) => series.sampleInFlight(ms, n),
      });
    } finally {
      // Whatever happened, what was collected reaches the disk.
      series.flush();
      await dispatch.close().catch(() => {});
    }
    const interrupted = execution.interrupted;
    collector.setTotalDuration(interrupted ? execution.endMs : Math.max(plan.totalDurationMs, 1));
    const summaries = collector.summaries({ interrupted, simulated: false });
    await reports.writeSummary(summaries);
    await reports.close();
    const mockState = target.mock?.core.state();
    if (mockState) await writeFile(join(outDir, 'mock-state.json'), JSON.stringify(mockState, null, 2) + '\n');
    return { outDir, summaries, execution, interrupted, mockState };
  } finally {
    await target.mock?.close();
  }
}
