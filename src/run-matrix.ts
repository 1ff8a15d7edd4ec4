/**
 * A policy matrix: the same seeded workload once per client retry policy, scored on the same
 * scorecard (src/metrics/scorecard.ts), written as policies.csv plus a ranked console table.
 * Each policy gets a fresh target (a fresh mock with full buckets, or a fresh simulated core),
 * the same plan (same seed: the same requests at the same planned times) and its own
 * subfolder of reports (requests.csv with every attempt, summary.csv).
 *
 * Simulation (`mode: sim`) runs each policy in virtual time against the mock's core; the
 * referee sees every attempt (tenant = client group, attempts grouped by request id). Live
 * runs read the HTTP mock's referee ledger (/__limitprobe/referee) after each policy.
 */
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRetryPort, describeRetrySpec, resolveRetrySpec, type RetrySpec, type SharedLimits } from './client/retry/index.js';
import { execute, type ExecutionResult } from './exec/executor.js';
import type { AttemptResult, Dispatch, PlannedRequest, RunEvent } from './exec/ports.js';
import type { AttemptRecord } from './metrics/record.js';
import { rankPolicies, ScorecardBuilder, scorecardCsv, scorecardTable, type RefereeView, type ScoreRow } from './metrics/scorecard.js';
import { MetricsCollector } from './metrics/summary.js';
import { buildPlan } from './plan/plan.js';
import { createRng } from './plan/rng.js';
import { openRunReports } from './report/writers.js';
import { openTarget, type OpenTarget } from './run-target.js';
import { leanPlan } from './capacity/lean-plan.js';
import { RealClock } from './clock.js';
import { HttpDispatch } from './client/undici-dispatch.js';
import { SimDispatch } from './client/sim-dispatch.js';
import { runRelativeClock } from './exec/run-clock.js';
import { SimClock, driveVirtual } from './exec/virtual-driver.js';
import { ConfigError } from './errors.js';
import { resolvedForReport, type Scenario } from './scenario/index.js';
import { createMockServer, getProfile, MockCore, type MockCoreOptions, type TenantLedger } from '../mock-server/index.js';

export interface MatrixEntry {
  name: string;
  retry: RetrySpec;
}

export interface MatrixOptions {
  /** Write policies.csv and one subfolder per policy here. Absent: nothing written. */
  outDir?: string;
  /** Overrides scenario.mode. */
  mode?: 'live' | 'sim';
  env?: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
  onEvent?: (policy: string, ev: RunEvent) => void;
  /** Called after each policy with its rows. */
  onPolicy?: (name: string, rows: ScoreRow[]) => void;
}

export interface MatrixResult {
  /** Per policy: a row per group and a total row. */
  rows: ScoreRow[];
  ranked: ScoreRow[];
  table: string;
  runs: { name: string; description: string; execution: ExecutionResult; wallMs: number; referee?: Record<string, TenantLedger> }[];
}

/** The limits the clients share, for pacing: the scenario's overrides over the mock profile's model. */
export function sharedLimitsOf(scenario: Scenario): SharedLimits | undefined {
  const t = scenario.target;
  if (t.kind !== 'mock') return undefined;
  let rpm = t.limits?.rpm, tpm = t.limits?.tpm;
  if (rpm === undefined || tpm === undefined) {
    try {
      const p = getProfile(t.profile);
      const m = p.models.find((x) => x.id === (t.model ?? p.defaultModel)) ?? p.models[0];
      rpm ??= m?.rpm;
      tpm ??= m?.tpm;
    } catch {
      /* unknown profile: the target reports it */
    }
  }
  return { rpm, tpm };
}

/** The scenario's matrix entries, or `[{ name: 'policy', retry: client.retry }]`. */
export function matrixOf(scenario: Scenario): MatrixEntry[] {
  const m = (scenario as { matrix?: MatrixEntry[] }).matrix;
  if (m && m.length) return m;
  return [{ name: 'policy', retry: (scenario.client as { retry?: RetrySpec }).retry ?? {} }];
}

function groupNames(scenario: Scenario): string[] {
  return scenario.groups ? scenario.groups.map((g) => g.name) : ['default'];
}

/** Shows every attempt to the simulated core's referee, as the HTTP mock does (tenant = group, one retry group per request). */
class RefereeDispatch implements Dispatch {
  constructor(
    private readonly inner: Dispatch,
    private readonly core: MockCore,
  ) {}
  async send(req: PlannedRequest, attempt: number, signal: AbortSignal): Promise<AttemptResult> {
    const h = this.core.referee.arrive({ tenant: req.group, fingerprint: `r${req.requestId}`, retryCount: attempt - 1 });
    const r = await this.inner.send(req, attempt, signal);
    const fatal = r.outcome === 'quota_exhausted' || r.outcome === 'context_exceeded' || r.errorCode === 'request_too_large';
    h.answer({ status: r.status ?? 0, ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}), fatal });
    return r;
  }
  close() {
    return this.inner.close?.() ?? Promise.resolve();
  }
}

function refereeViews(ledger: Record<string, TenantLedger> | undefined): { total?: RefereeView; byGroup?: Record<string, RefereeView> } | undefined {
  if (!ledger) return undefined;
  const byGroup: Record<string, RefereeView> = {};
  const total: RefereeView = { retries: 0, earlyRetries: 0, earlyMsTotal: 0, earlyMsMax: 0 };
  for (const [tenant, l] of Object.entries(ledger)) {
    byGroup[tenant] = { retries: l.retries, earlyRetries: l.earlyRetries, earlyMsTotal: l.earlyMsTotal, earlyMsMax: l.earlyMsMax };
    total.retries += l.retries;
    total.earlyRetries += l.earlyRetries;
    total.earlyMsTotal += l.earlyMsTotal;
    total.earlyMsMax = Math.max(total.earlyMsMax, l.earlyMsMax);
  }
  return { total, byGroup };
}

/** Mock settings a scenario can set beyond the limits (the schema's `target.rejectedConsumeRequests`). */
function mockOptions(scenario: Scenario): Omit<MockCoreOptions, 'clock'> {
  const t = scenario.target;
  if (t.kind !== 'mock') throw new Error('not a mock target');
  const extra = t;
  return {
    profile: t.profile,
    model: t.model,
    rpm: t.limits?.rpm,
    tpm: t.limits?.tpm,
    contextWindow: t.limits?.contextWindow,
    latency: t.latency,
    seed: scenario.seed,
    ...(extra.rejectedConsumeRequests !== undefined ? { rejectedConsumeRequests: extra.rejectedConsumeRequests } : {}),
  };
}

/**
 * A fresh target per policy. Mock targets are built here (not by run-target.ts) so the matrix
 * can hand the mock every setting the scenario names and read its referee directly: live = the
 * HTTP mock on loopback through HttpDispatch, sim = the core in virtual time through SimDispatch.
 */
async function openMatrixTarget(scenario: Scenario, mode: 'live' | 'sim', env: MatrixOptions['env']): Promise<{ target: OpenTarget; core?: MockCore }> {
  const t = scenario.target;
  if (t.kind !== 'mock') {
    if (mode === 'sim') {
      throw new ConfigError('simulation needs the mock as the target', [{ path: 'target.kind', expected: '"mock"', found: JSON.stringify(t.kind) }]);
    }
    return { target: await openTarget(scenario, { env }) };
  }
  const mo = mockOptions(scenario);
  if (mode === 'sim') {
    const clock = new SimClock(0);
    const core = new MockCore({ ...mo, clock, epochMs: 0 });
    const model = core.resolveModel(t.model ?? core.defaultModel.id) ?? core.defaultModel;
    const dispatch = new SimDispatch({ core, clock, timeoutMs: scenario.client.timeoutMs });
    return {
      core,
      target: {
        dispatch,
        clock,
        model: model.id,
        dialect: 'openai',
        pricing: { inputPerMillionUsd: model.profile.priceInputPerMTokens, outputPerMillionUsd: model.profile.priceOutputPerMTokens },
        simulated: true,
        drive: <T>(work: Promise<T>) => driveVirtual(clock, work),
        mockState: () => core.state(),
        close: async () => {},
      },
    };
  }
  const mock = await createMockServer({ ...mo, host: '127.0.0.1', port: 0 });
  const model = mock.core.resolveModel(t.model ?? mock.core.defaultModel.id) ?? mock.core.defaultModel;
  const clock = runRelativeClock(new RealClock());
  const dispatch = new HttpDispatch({ baseUrl: `${mock.url}/v1`, dialect: 'openai', timeoutMs: scenario.client.timeoutMs, clock, connections: Math.min(scenario.maxInFlight, 1024) });
  return {
    core: mock.core,
    target: {
      dispatch,
      clock,
      model: model.id,
      dialect: 'openai',
      http: { chatUrl: `${mock.url}/v1/chat/completions`, headers: { 'content-type': 'application/json' } },
      pricing: { inputPerMillionUsd: model.profile.priceInputPerMTokens, outputPerMillionUsd: model.profile.priceOutputPerMTokens },
      simulated: false,
      drive: <T>(work: Promise<T>) => work,
      mockState: () => mock.core.state(),
      close: async () => {
        await dispatch.close().catch(() => {});
        await mock.close();
      },
    },
  };
}

/** Runs the scenario once per matrix entry and scores each run. */
export async function runMatrix(scenario: Scenario, entries: readonly MatrixEntry[] = matrixOf(scenario), opts: MatrixOptions = {}): Promise<MatrixResult> {
  const mode = opts.mode ?? scenario.mode;
  const limits = sharedLimitsOf(scenario);
  const groups = groupNames(scenario);
  const rows: ScoreRow[] = [];
  const runs: MatrixResult['runs'] = [];
  if (opts.outDir) mkdirSync(opts.outDir, { recursive: true });
  for (const entry of entries) {
    if (opts.signal?.aborted) break;
    const wall0 = performance.now();
    const { target, core } = await openMatrixTarget(scenario, mode, opts.env);
    const sim = mode === 'sim';
    try {
      const full = buildPlan(scenario, { model: target.model });
      const plan = sim ? leanPlan(full, scenario) : full;
      const reports = opts.outDir ? openRunReports(join(opts.outDir, entry.name)) : undefined;
      try {
        await reports?.writeResolvedScenario({ ...(resolvedForReport(scenario) as object), client: { ...scenario.client, retry: entry.retry } });
        const collector = new MetricsCollector({ pricing: target.pricing });
        for (const p of plan.phases) collector.addPhase(p.name, p.startMs, p.durationMs);
        const card = new ScorecardBuilder({ limits });
        const recorder = {
          record(rec: AttemptRecord) {
            reports?.recordAttempt(rec);
            collector.record(rec);
            card.record(rec);
          },
        };
        const retry = createRetryPort({
          retry: entry.retry,
          groups,
          limits,
          rng: (g) => createRng(scenario.seed, 'retry', entry.name, g),
          nowMs: 0,
        });
        const dispatch = sim && core ? new RefereeDispatch(target.dispatch, core) : target.dispatch;
        const execution = await target.drive(
          execute({
            plan,
            dispatch,
            recorder,
            clock: target.clock,
            maxInFlight: scenario.maxInFlight,
            stop: opts.signal,
            onEvent: opts.onEvent ? (ev) => opts.onEvent!(entry.name, ev) : undefined,
            retry,
          }),
        );
        collector.setTotalDuration(Math.max(execution.endMs, 1));
        await reports?.writeSummary(collector.summaries({ interrupted: execution.interrupted, simulated: target.simulated }));
        const referee = core?.referee.ledger();
        const these = card.rows(entry.name, refereeViews(referee));
        rows.push(...these);
        opts.onPolicy?.(entry.name, these);
        runs.push({ name: entry.name, description: describeRetrySpec(resolveRetrySpec(entry.retry)), execution, wallMs: performance.now() - wall0, referee });
      } finally {
        await reports?.close();
      }
    } finally {
      await target.close();
    }
  }
  const ranked = rankPolicies(rows);
  const table = scorecardTable(rows);
  if (opts.outDir) await writeFile(join(opts.outDir, 'policies.csv'), scorecardCsv(rows));
  return { rows, ranked, table, runs };
}
