/**
 * Read a finished run back from its directory: summary.csv → Summary rows (the inverse of
 * SUMMARY_COLUMNS), timeseries.csv → SeriesRow-like rows, the resolved scenario and the mock's
 * counters as plain JSON, and an error breakdown streamed from requests.csv (constant memory).
 * Used by `limitprobe report` (regenerate report.html and the console summary) and
 * `limitprobe compare`.
 *
 * What summary.csv cannot give back: HistogramStats.count is not a column. The reader sets it
 * exactly where it is implied — latency and response time cover every ok attempt (count = ok),
 * schedule lag every sent attempt (count = attempts) — and, for TTFT and ITL (ok *streaming*
 * attempts only), to the ok count when the row has a p50 and 0 otherwise: an upper bound, good
 * for "was there any" (which is all the console table asks).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { ConfigError } from '../errors.js';
import type { HistogramStats } from '../metrics/histogram.js';
import type { ThresholdResult } from '../metrics/thresholds.js';
import { OUTCOMES, type Outcome } from '../metrics/record.js';
import type { Summary } from '../metrics/summary.js';
import { columnNames, SUMMARY_COLUMNS, TIMESERIES_COLUMNS } from './columns.js';

export const RUN_FILES = {
  requests: 'requests.csv',
  timeseries: 'timeseries.csv',
  summary: 'summary.csv',
  scenario: 'scenario.resolved.json',
  mockState: 'mock-state.json',
  referee: 'referee.csv',
  thresholds: 'thresholds.json',
  policies: 'policies.csv',
  html: 'report.html',
  compare: 'compare.csv',
} as const;

export type CsvRecord = Record<string, string>;

/** Throws ConfigError (exit 2) naming the directory when it is missing or not a directory. */
export function assertRunDir(dir: string, what = 'run directory'): void {
  if (!existsSync(dir)) throw new ConfigError(`${what} ${dir}: expected a directory written by "limitprobe run", found nothing there`);
  if (!statSync(dir).isDirectory()) throw new ConfigError(`${what} ${dir}: expected a directory, found a file`);
}

function requireFile(dir: string, name: string): string {
  const p = join(dir, name);
  if (!existsSync(p)) throw new ConfigError(`${p}: expected the run's ${name}, found no such file (is ${dir} a limitprobe run directory?)`);
  return p;
}

/** Parse a whole (small) CSV file into header-keyed records. */
export async function readCsvRecords(path: string): Promise<CsvRecord[]> {
  const text = await readFile(path, 'utf8');
  return parseCsvText(text);
}

export function parseCsvText(text: string): CsvRecord[] {
  // csv-parse's sync API lives in another entry point; the callback form keeps one import.
  const rows: CsvRecord[] = [];
  const parser = parse({ columns: true, skip_empty_lines: true, relax_column_count: true, bom: true });
  parser.on('data', (r: CsvRecord) => rows.push(r));
  let failure: Error | undefined;
  parser.on('error', (e: Error) => (failure = e));
  parser.write(text);
  parser.end();
  if (failure) throw failure;
  return rows;
}

const num = (v: string | undefined): number | undefined => {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};
const int0 = (v: string | undefined): number => num(v) ?? 0;

/**
 * Histogram-valued Summary fields. Listed by name (not typed against Summary) so the reader keeps
 * working while Summary grows: a field whose columns are absent reads as { count: 0 }.
 */
const HISTOGRAM_FIELDS = ['latency', 'responseTime', 'ttft', 'itl', 'scheduleLag', 'requestOutputTokensPerS'] as const;
const STAT_KEYS = ['p50', 'p90', 'p95', 'p99', 'max', 'mean', 'min'] as const;
const snake = (camel: string) => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function stats(r: CsvRecord, prefix: string, count: number): HistogramStats {
  // Columns are "<prefix>_<stat>_ms" for durations, "<prefix>_<stat>" for other units.
  const cell = (k: string) => r[`${prefix}_${k}_ms`] ?? r[`${prefix}_${k}`];
  const s: HistogramStats & { min?: number } = { count: num(cell('p50')) === undefined ? 0 : count };
  for (const k of STAT_KEYS) {
    const v = num(cell(k));
    if (v !== undefined) s[k] = v;
  }
  return s;
}

/** One summary.csv record → Summary (the inverse of SUMMARY_COLUMNS, up to their rounding). */
export function summaryFromRecord(r: CsvRecord): Summary {
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, int0(r[o])])) as Record<Outcome, number>;
  const attempts = int0(r.attempts);
  const s: Record<string, unknown> = {
    scope: r.scope ?? '',
    group: r.group ?? '*',
    attempts,
    requests: int0(r.requests),
    counts,
    inputTokens: int0(r.input_tokens),
    outputTokens: int0(r.output_tokens),
    inputTokensEstimate: int0(r.input_tokens_estimate),
    usageMissing: int0(r.usage_missing),
    interrupted: r.interrupted === 'true',
    simulated: r.simulated === 'true',
  };
  for (const f of HISTOGRAM_FIELDS) s[f] = stats(r, snake(f), f === 'scheduleLag' ? attempts : counts.ok);
  const optional: [field: string, column: string][] = [
    ['durationS', 'duration_s'],
    ['okRps', 'ok_rps'],
    ['attemptRps', 'attempt_rps'],
    ['inputTokensPerS', 'input_tokens_per_s'],
    ['outputTokensPerS', 'output_tokens_per_s'],
    ['costUsd', 'cost_usd'],
  ];
  for (const [field, column] of optional) {
    const v = num(r[column]);
    if (v !== undefined) s[field] = v;
  }
  return s as unknown as Summary;
}

function checkHeader(path: string, records: CsvRecord[], required: string[]): void {
  const have = records.length ? Object.keys(records[0]!) : [];
  const missing = required.filter((c) => !have.includes(c));
  if (records.length && missing.length) {
    throw new ConfigError(`${path}: expected the columns ${missing.join(', ')}, found a header without them`);
  }
}

export async function readSummaryCsv(path: string): Promise<Summary[]> {
  const records = await readCsvRecords(path);
  checkHeader(path, records, ['scope', 'group', 'attempts', 'ok']);
  return records.map(summaryFromRecord);
}

/** summary.csv of a run directory (ConfigError naming what is missing). */
export async function readRunSummaries(dir: string): Promise<Summary[]> {
  assertRunDir(dir);
  return readSummaryCsv(requireFile(dir, RUN_FILES.summary));
}

/** timeseries.csv as column arrays keyed by CSV column name (empty cell → null). */
export interface TimeseriesColumns {
  [column: string]: (number | null)[];
}

export function timeseriesColumns(records: CsvRecord[]): TimeseriesColumns {
  const names = records.length ? Object.keys(records[0]!) : columnNames(TIMESERIES_COLUMNS);
  const out: TimeseriesColumns = {};
  for (const n of names) out[n] = records.map((r) => num(r[n]) ?? null);
  return out;
}

/** One line of the error breakdown: attempts that were not ok, grouped. */
export interface ErrorGroup {
  outcome: string;
  status: string;
  errorCode: string;
  count: number;
  /** The first error message seen for this group (already one line, ≤ 500 chars). */
  example: string;
  phases: string[];
}

/**
 * Split one CSV record. Rows without a quote (nearly all of requests.csv) take the fast path;
 * quoted ones go through csv-parse.
 */
function splitRecord(text: string): string[] {
  if (!text.includes('"')) return text.split(',');
  const rows: string[][] = [];
  const parser = parse({ relax_column_count: true });
  parser.on('data', (r: string[]) => rows.push(r));
  parser.write(text);
  parser.end();
  return rows[0] ?? [];
}

/**
 * Stream requests.csv once (line by line, constant memory: ~10× faster than a general CSV
 * parser on a million rows) and group the non-ok attempts by outcome, status and error code.
 */
export async function readErrorBreakdown(path: string, limit = 50): Promise<ErrorGroup[]> {
  const groups = new Map<string, ErrorGroup>();
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let header: string[] | undefined;
  let at: Record<string, number> = {};
  let pending = '';
  for await (const line of lines) {
    // a quoted field may hold a newline: keep reading until the quotes balance
    const text = pending ? `${pending}\n${line}` : line;
    if ((text.match(/"/g)?.length ?? 0) % 2 === 1) {
      pending = text;
      continue;
    }
    pending = '';
    if (!text) continue;
    const cells = splitRecord(header ? text : text.replace(/^\uFEFF/, ''));
    if (!header) {
      header = cells;
      at = Object.fromEntries(header.map((h, i) => [h, i]));
      continue;
    }
    const cell = (name: string) => (at[name] === undefined ? '' : (cells[at[name]!] ?? ''));
    const outcome = cell('outcome');
    if (outcome === 'ok') continue;
    const status = cell('status');
    const errorCode = cell('error_code');
    const key = `${outcome}\u0000${status}\u0000${errorCode}`;
    let g = groups.get(key);
    if (!g) {
      if (groups.size >= limit) continue;
      groups.set(key, (g = { outcome, status, errorCode, count: 0, example: '', phases: [] }));
    }
    g.count++;
    const message = cell('error_message');
    if (!g.example && message) g.example = message;
    const phase = cell('phase');
    if (phase && !g.phases.includes(phase)) g.phases.push(phase);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (e) {
    throw new ConfigError(`${path}: expected JSON, found unreadable content (${(e as Error).message})`);
  }
}

/** Everything the HTML report shows, read from one run directory. */
export interface RunData {
  dir: string;
  summaries: Summary[];
  timeseries: TimeseriesColumns;
  scenario?: unknown;
  mockState?: unknown;
  /** referee.csv rows (the mock's per-tenant ledger of client retry behaviour), when present. */
  referee?: CsvRecord[];
  /** thresholds.json (one result per threshold, in order), when the run had thresholds. */
  thresholds?: ThresholdResult[];
  errors: ErrorGroup[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * thresholds.json → ThresholdResult[]. Entries without a string `expr` and a boolean `ok` are
 * left out; a file that is not an array is a ConfigError naming it.
 */
export async function readThresholdResults(path: string): Promise<ThresholdResult[]> {
  const v = await readJson(path);
  if (!Array.isArray(v)) throw new ConfigError(`${path}: expected an array of threshold results, found ${v === null ? 'null' : typeof v}`);
  return v.filter((r): r is ThresholdResult => isRecord(r) && typeof r.expr === 'string' && typeof r.ok === 'boolean').map((r) => ({
    ...r,
    scope: isRecord(r.scope) ? r.scope : { phase: 'total', group: '*' },
    abortOnFail: r.abortOnFail === true,
  })) as ThresholdResult[];
}

export async function readRun(dir: string): Promise<RunData> {
  assertRunDir(dir);
  const summaries = await readSummaryCsv(requireFile(dir, RUN_FILES.summary));
  const tsPath = join(dir, RUN_FILES.timeseries);
  const timeseries = timeseriesColumns(existsSync(tsPath) ? await readCsvRecords(tsPath) : []);
  const scPath = join(dir, RUN_FILES.scenario);
  const msPath = join(dir, RUN_FILES.mockState);
  const rqPath = join(dir, RUN_FILES.requests);
  const refPath = join(dir, RUN_FILES.referee);
  const thPath = join(dir, RUN_FILES.thresholds);
  return {
    dir,
    summaries,
    timeseries,
    scenario: existsSync(scPath) ? await readJson(scPath) : undefined,
    mockState: existsSync(msPath) ? await readJson(msPath) : undefined,
    referee: existsSync(refPath) ? await readCsvRecords(refPath) : undefined,
    thresholds: existsSync(thPath) ? await readThresholdResults(thPath) : undefined,
    // the breakdown streams requests.csv: skip it when the summary says every attempt was ok
    errors: existsSync(rqPath) && summaries.some((s) => s.counts.ok < s.attempts + s.counts.dropped) ? await readErrorBreakdown(rqPath) : [],
  };
}

// ---------------------------------------------------------------------------------------------
// a policy matrix's output directory: policies.csv plus one run directory per policy

/** True when DIR holds a policy matrix's policies.csv (and is not itself a single run). */
export function isMatrixDir(dir: string): boolean {
  return existsSync(join(dir, RUN_FILES.policies)) && !existsSync(join(dir, RUN_FILES.summary));
}

export interface MatrixPolicy {
  name: string;
  /** The policy's run directory (DIR/<name>). */
  dir: string;
  /** DIR/<name>/report.html exists. */
  hasReport: boolean;
  /** The policy's thresholds.json, when present. */
  thresholds?: ThresholdResult[];
  /** client.retry from the policy's scenario.resolved.json, when present. */
  retry?: unknown;
  /** The policy's summary: interrupted (a threshold abort or a signal). */
  interrupted?: boolean;
}

/** Everything the matrix report shows, read from a matrix output directory. */
export interface MatrixData {
  dir: string;
  /** policies.csv: one record per policy and group (group "total" for the policy's total). */
  rows: CsvRecord[];
  /** Per policy, in policies.csv order. */
  policies: MatrixPolicy[];
  /** The first policy's scenario.resolved.json (the workload is the same for all). */
  scenario?: unknown;
}

export async function readMatrix(dir: string): Promise<MatrixData> {
  assertRunDir(dir, 'matrix directory');
  const path = requireFile(dir, RUN_FILES.policies);
  const rows = await readCsvRecords(path);
  checkHeader(path, rows, ['policy', 'group']);
  const names = [...new Set(rows.map((r) => r.policy ?? ''))].filter(Boolean);
  let scenario: unknown;
  const policies: MatrixPolicy[] = [];
  for (const name of names) {
    const pdir = join(dir, name);
    const p: MatrixPolicy = { name, dir: pdir, hasReport: existsSync(join(pdir, RUN_FILES.html)) };
    const th = join(pdir, RUN_FILES.thresholds);
    if (existsSync(th)) p.thresholds = await readThresholdResults(th);
    const sc = join(pdir, RUN_FILES.scenario);
    if (existsSync(sc)) {
      const s = await readJson(sc);
      scenario ??= s;
      const retry = isRecord(s) && isRecord(s.client) ? s.client.retry : undefined;
      if (retry !== undefined) p.retry = retry;
    }
    const sm = join(pdir, RUN_FILES.summary);
    if (existsSync(sm)) p.interrupted = (await readCsvRecords(sm)).some((r) => r.interrupted === 'true');
    policies.push(p);
  }
  return { dir, rows, policies, scenario };
}

/** Column names summary.csv is expected to carry (for tests and docs). */
export const SUMMARY_COLUMN_NAMES = columnNames(SUMMARY_COLUMNS);
