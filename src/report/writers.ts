/**
 * The files of one run, in one directory (created recursively):
 *   requests.csv         one row per attempt, written as it finishes (streamed)
 *   timeseries.csv       one row per second, written as each second closes (streamed)
 *   summary.csv          per phase and total, written once at the end
 *   scenario.resolved.json  the scenario as run, with secret-looking values redacted
 */
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Recorder } from '../exec/ports.js';
import type { AttemptRecord } from '../metrics/record.js';
import type { SeriesRow } from '../metrics/series.js';
import type { Summary } from '../metrics/summary.js';
import { REQUEST_COLUMNS, SUMMARY_COLUMNS, TIMESERIES_COLUMNS } from './columns.js';
import { openCsv } from './csv.js';

export const REPORT_FILES = {
  requests: 'requests.csv',
  timeseries: 'timeseries.csv',
  summary: 'summary.csv',
  scenario: 'scenario.resolved.json',
} as const;

export interface RunReports extends Recorder {
  readonly dir: string;
  recordAttempt(rec: AttemptRecord): void;
  /** Same as recordAttempt, so the reports can be handed to the executor as a Recorder. */
  record(rec: AttemptRecord): void;
  writeTimeseriesRow(row: SeriesRow): void;
  writeSummary(rows: readonly Summary[]): Promise<void>;
  writeResolvedScenario(obj: unknown): Promise<void>;
  /** Flush and close the streamed files. Idempotent. */
  close(): Promise<void>;
}

export function openRunReports(dir: string): RunReports {
  mkdirSync(dir, { recursive: true });
  const requests = openCsv(join(dir, REPORT_FILES.requests), REQUEST_COLUMNS);
  const timeseries = openCsv(join(dir, REPORT_FILES.timeseries), TIMESERIES_COLUMNS);
  let closing: Promise<void> | undefined;

  const recordAttempt = (rec: AttemptRecord) => void requests.write(rec);
  return {
    dir,
    recordAttempt,
    record: recordAttempt,
    writeTimeseriesRow: (row) => void timeseries.write(row),
    async writeSummary(rows) {
      const w = openCsv(join(dir, REPORT_FILES.summary), SUMMARY_COLUMNS);
      for (const r of rows) w.write(r);
      await w.close();
    },
    async writeResolvedScenario(obj) {
      await writeFile(join(dir, REPORT_FILES.scenario), `${JSON.stringify(redactSecrets(obj), null, 2)}\n`);
    },
    close() {
      // allSettled first so one failing file never leaves the other open.
      closing ??= Promise.allSettled([requests.close(), timeseries.close()]).then((rs) => {
        const failed = rs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      });
      return closing;
    },
  };
}

/** Keys whose values are credentials. Names of env variables (apiKeyEnv) are kept: not secrets. */
const SECRET_KEY = /^(api[-_]?key|x-api-key|authorization|proxy-authorization|password|secret|client[-_]?secret|access[-_]?token|bearer|token)$/i;
export const REDACTED = '[redacted]';

/** Defence in depth: the scenario layer redacts, but a leaked key in a report is costly. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== undefined && v !== null ? REDACTED : redactSecrets(v)]),
    );
  }
  return value;
}
