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
import { mkdirSync, mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeRetrySpec, resolveRetrySpec, type RetrySpec } from './client/retry/index.js';
import type { ExecutionResult } from './exec/executor.js';
import type { RunEvent } from './exec/ports.js';
import { rankPolicies, ScorecardBuilder, scorecardCsv, scorecardTable, type RefereeView, type ScorecardLimits, type ScoreRow } from './metrics/scorecard.js';
import { writeHtmlReport } from './report/html/index.js';
import { runScenario } from './run.js';
import { sharedLimitsOf } from './run-target.js';
import type { Scenario } from './scenario/index.js';
import type { TenantLedger } from '../mock-server/index.js';

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

export { sharedLimitsOf };

/** The key's limits and how much a bucket banks (per-second enforcement banks one second), for the makespan bound. */
function scorecardLimitsOf(scenario: Scenario): ScorecardLimits | undefined {
  const l = sharedLimitsOf(scenario);
  if (!l || scenario.target.kind !== 'mock') return l;
  const sub = scenario.target.subMinute;
  return sub === '1s' ? { ...l, bankSeconds: 1 } : sub === '10s' ? { ...l, bankSeconds: 10 } : l;
}

/** The scenario's matrix entries, or `[{ name: 'policy', retry: client.retry }]`. */
export function matrixOf(scenario: Scenario): MatrixEntry[] {
  const m = (scenario as { matrix?: MatrixEntry[] }).matrix;
  if (m && m.length) return m;
  return [{ name: 'policy', retry: (scenario.client as { retry?: RetrySpec }).retry ?? {} }];
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
/** Runs the scenario once per matrix entry and scores each run. */
export async function runMatrix(scenario: Scenario, entries: readonly MatrixEntry[] = matrixOf(scenario), opts: MatrixOptions = {}): Promise<MatrixResult> {
  const mode = opts.mode ?? scenario.mode;
  const limits = scorecardLimitsOf(scenario);
  const rows: ScoreRow[] = [];
  const runs: MatrixResult['runs'] = [];
  if (opts.outDir) mkdirSync(opts.outDir, { recursive: true });
  for (const entry of entries) {
    if (opts.signal?.aborted) break;
    const wall0 = performance.now();
    // The same seeded workload, once per policy, through the one run pipeline.
    const card = new ScorecardBuilder({ limits });
    const res = await runScenario(
      { ...scenario, mode, client: { ...scenario.client, retry: entry.retry as Scenario['client']['retry'] } },
      {
        outDir: join(opts.outDir ?? mkdtempSync(join(tmpdir(), 'limitprobe-matrix-')), entry.name),
        env: opts.env,
        signal: opts.signal,
        onEvent: opts.onEvent ? (ev) => opts.onEvent!(entry.name, ev) : undefined,
        observer: card,
        retrySeedKey: entry.name,
        warn: () => {},
      },
    );
    const these = card.rows(entry.name, refereeViews(res.referee));
    rows.push(...these);
    opts.onPolicy?.(entry.name, these);
    runs.push({ name: entry.name, description: describeRetrySpec(resolveRetrySpec(entry.retry)), execution: res.execution, wallMs: performance.now() - wall0, referee: res.referee });
  }
  const ranked = rankPolicies(rows);
  const table = scorecardTable(rows);
  if (opts.outDir) {
    await writeFile(join(opts.outDir, 'policies.csv'), scorecardCsv(rows));
    // One page comparing the policies, linking each policy's own report; never fails the matrix.
    await writeHtmlReport(opts.outDir).catch(() => {});
  }
  return { rows, ranked, table, runs };
}
