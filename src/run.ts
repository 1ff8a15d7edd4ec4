/**
 * Composition root: scenario → plan → executor(dispatch, recorders) → reports. The target
 * (real API, embedded HTTP mock, or simulation) comes from run-target.ts. Everything a run
 * collected reaches the disk even when it is interrupted or something fails mid-run.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from './clock.js';
import { execute, type ExecutionResult } from './exec/executor.js';
import type { RunEvent } from './exec/ports.js';
import type { AttemptRecord } from './metrics/record.js';
import { SeriesBuilder } from './metrics/series.js';
import { MetricsCollector, type Summary } from './metrics/summary.js';
import {
  evaluateThresholds,
  parseThresholds,
  ThresholdMonitor,
  thresholdPercentiles,
  thresholdsNeedGroupRows,
  type ThresholdResult,
} from './metrics/thresholds.js';
import { buildPlan } from './plan/plan.js';
import { countTokens } from './tokens/count.js';
import { leanPlan } from './capacity/lean-plan.js';
import { writeHtmlReport } from './report/html/index.js';
import { openRunReports } from './report/writers.js';
import { runFloodPhases } from './run-flood.js';
import { openTarget, sharedLimitsOf, type OpenTarget } from './run-target.js';
import { ShardRun } from './shard/run.js';
import type { ShardSpec } from './shard/spec.js';
import { createRetryPort } from './client/retry/index.js';
import { createRng } from './plan/rng.js';
import { refereeCsv, type TenantLedger } from '../mock-server/index.js';
import { ConfigError } from './errors.js';
import { resolvedForReport, type Scenario } from './scenario/index.js';

export interface RunOptions {
  /** Overrides scenario.output.dir. */
  outDir?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Aborting stops scheduling; in-flight attempts get `graceMs` to finish. */
  signal?: AbortSignal;
  graceMs?: number;
  onEvent?: (ev: RunEvent) => void;
  /** Called once when an abort-on-fail threshold fails mid-run (the run then stops). */
  onThresholdAbort?: (failed: ThresholdResult[]) => void;
  clock?: Clock;
  /** Non-fatal problems (e.g. the HTML report could not be written). Default: stderr. */
  warn?: (message: string) => void;
  /** Sees every attempt record too (e.g. the retry scorecard). */
  observer?: { record(rec: AttemptRecord): void };
  /** Seeds the retry policies' randomness (default: the scenario seed alone). */
  retrySeedKey?: string;
  /** Where relative paths in the scenario (client.module) resolve. */
  scenarioDir?: string;
  /** Run one shard of a distributed run: only this shard's share of the global schedule. */
  shard?: ShardSpec;
  /** With `shard`: wall-clock epoch ms at which every shard starts. */
  startAt?: number;
  runId?: string;
}

export interface RunResult {
  outDir: string;
  summaries: Summary[];
  execution: ExecutionResult;
  interrupted: boolean;
  simulated: boolean;
  thresholds: ThresholdResult[];
  thresholdsFailed: boolean;
  /** The abort-on-fail thresholds that stopped the run early, if any. */
  abortedBy?: ThresholdResult[];
  /** The mock's own counters at the end of the run (ground truth), when the target is the mock. */
  mockState?: unknown;
  /** The mock's referee: per tenant, what the client did (early retries, retry groups…). */
  referee?: Record<string, TenantLedger>;
}

export async function runScenario(scenario: Scenario, opts: RunOptions = {}): Promise<RunResult> {
  const outDir = opts.outDir ?? scenario.output.dir;
  // Invalid thresholds are configuration errors: found before anything is sent.
  const thresholds = parseThresholds(scenario.thresholds);
  if (opts.shard && scenario.engine === 'autocannon') {
    throw new ConfigError('--shard: expected engine "chat" (a flood numbers its own requests and cannot be striped), found "autocannon"');
  }
  // Load the tokenizer's rank table now (0.1–1 s), not when the first request is built at t = 0.
  // A simulation never synthesises prompt text (lean plan), so it never loads the table (~40 MB).
  if (scenario.mode !== 'sim') countTokens('warm up', scenario.target.model ?? '');
  const shardRun = opts.shard ? new ShardRun({ scenario, shard: opts.shard, startAt: opts.startAt, runId: opts.runId }) : undefined;
  // Shards wait for their common start time before setting anything up.
  await shardRun?.waitForStart(opts.signal);
  const target = await openTarget(scenario, { env: opts.env, clock: opts.clock, scenarioDir: opts.scenarioDir });
  try {
    const full = buildPlan(scenario, { model: target.model });
    // In simulation nothing reads the prompt text: skip synthesising it (most of the cost).
    const lean = target.simulated ? leanPlan(full, scenario) : full;
    const plan = shardRun ? shardRun.plan(lean) : lean;
    const reports = openRunReports(outDir);
    try {
      await reports.writeResolvedScenario(resolvedForReport(scenario));
      const collector = new MetricsCollector({ pricing: target.pricing });
      for (const p of plan.phases) collector.addPhase(p.name, p.startMs, p.durationMs);
      const series = new SeriesBuilder({
        onRow: (row) => reports.writeTimeseriesRow(row),
        graceMs: scenario.client.timeoutMs + 1_000,
      });
      // Abort-on-fail thresholds are checked once per second of run time (real or virtual),
      // on a cheap snapshot, as records arrive.
      const monitor = new ThresholdMonitor(thresholds);
      const thresholdStop = new AbortController();
      const stop = opts.signal ? AbortSignal.any([opts.signal, thresholdStop.signal]) : thresholdStop.signal;
      let abortedBy: ThresholdResult[] | undefined;
      let nextCheckMs = 1_000;
      const checkThresholds = (nowMs: number) => {
        if (!monitor.active || abortedBy || nowMs < nextCheckMs) return;
        nextCheckMs = nowMs + 1_000;
        const failed = monitor.check(collector.summaries(monitor.snapshotOptions()), nowMs);
        if (failed.length === 0) return;
        abortedBy = failed;
        opts.onThresholdAbort?.(failed);
        thresholdStop.abort();
      };
      const recorder = {
        record(rec: AttemptRecord) {
          reports.recordAttempt(rec);
          collector.record(rec);
          series.record(rec);
          opts.observer?.record(rec);
          checkThresholds(rec.endMs);
        },
      };
      const groupNames = scenario.groups?.map((g) => g.name) ?? ['default'];
      const retry = createRetryPort({
        retry: scenario.client.retry,
        groupRetry: Object.fromEntries((scenario.groups ?? []).map((g) => [g.name, g.retry])),
        groups: groupNames,
        limits: sharedLimitsOf(scenario),
        rng: (g) => (opts.retrySeedKey === undefined ? createRng(scenario.seed, 'retry', g) : createRng(scenario.seed, 'retry', opts.retrySeedKey, g)),
        nowMs: 0,
      });

      let execution: ExecutionResult;
      // t = 0 is now, with set-up done (plan, report files): the first request is not born late.
      target.startClock();
      shardRun?.markStart(target.clock.now(), target.simulated);
      try {
        execution = await target.drive(
          scenario.engine === 'autocannon'
            ? runFloodPhases({ scenario, plan, http: httpOf(target), dialect: target.dialect, recorder, clock: target.clock, stop, onEvent: opts.onEvent })
            : execute({
            plan,
            dispatch: target.dispatch,
            recorder,
            clock: target.clock,
            maxInFlight: scenario.maxInFlight,
            stop,
            graceMs: opts.graceMs,
            onEvent: opts.onEvent,
            onInFlight: (ms, n) => series.sampleInFlight(ms, n),
            retry,
              }),
        );
      } finally {
        // Whatever happened, the seconds collected so far reach timeseries.csv.
        series.flush();
      }
      const { interrupted } = execution;
      // Rates are per second of phase as it ran: a phase that ends when its work is done (a
      // closed `requests` phase) lasted as long as it took, not its 10-minute ceiling.
      for (const p of execution.phases) collector.addPhase(p.name, p.startMs, p.durationMs);
      const ranMs = execution.phases.reduce((a, p) => a + p.durationMs, 0);
      collector.setTotalDuration(interrupted ? execution.endMs : Math.max(ranMs, 1));
      const summaries = collector.summaries({ interrupted, simulated: target.simulated });
      if (shardRun) await shardRun.finish(outDir, { collector, execution, simulated: target.simulated });
      await reports.writeSummary(summaries);
      const results = thresholds.length
        ? evaluateThresholds(
            thresholds,
            collector.summaries({
              interrupted,
              percentiles: thresholdPercentiles(thresholds),
              groupRows: thresholdsNeedGroupRows(thresholds) ? 'always' : 'auto',
            }),
          )
        : [];
      const mockState = target.mockState?.();
      if (mockState) await writeFile(join(outDir, 'mock-state.json'), JSON.stringify(mockState, null, 2) + '\n');
      if (results.length) {
        // abortedRun marks the threshold(s) that stopped the run, for the report's banner.
        const marked = results.map((r) => (abortedBy?.some((a) => a.expr === r.expr) ? { ...r, abortedRun: true } : r));
        await writeFile(join(outDir, 'thresholds.json'), JSON.stringify(marked, null, 2) + '\n');
      }
      const referee = target.core?.referee.ledger();
      if (referee) await writeFile(join(outDir, 'referee.csv'), refereeCsv(referee));
      await reports.close();
      await writeHtml(outDir, opts.warn ?? ((m) => process.stderr.write(`limitprobe: ${m}\n`)));
      return {
        outDir,
        summaries,
        execution,
        interrupted,
        simulated: target.simulated,
        thresholds: results,
        thresholdsFailed: results.some((r) => !r.ok),
        abortedBy,
        mockState,
        referee,
      };
    } finally {
      await reports.close();
    }
  } finally {
    await target.close();
  }
}

/** report.html from the files just written; a failure here costs the chart, never the run's data. */
async function writeHtml(outDir: string, warn: (msg: string) => void): Promise<void> {
  try {
    await writeHtmlReport(outDir);
  } catch (e) {
    warn(`could not write ${join(outDir, 'report.html')}: ${(e as Error).message}`);
  }
}

function httpOf(target: OpenTarget): NonNullable<OpenTarget['http']> {
  if (!target.http) throw new ConfigError('engine: expected "chat" in simulation mode, found "autocannon" (floods need a real HTTP target)');
  return target.http;
}
