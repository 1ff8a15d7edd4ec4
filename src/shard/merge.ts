/**
 * `mergeRuns(dirs, outDir)`: the run directories of N shards → one run directory, losslessly
 * (scale-anchors.md §3.2 "Merge rules"):
 *   requests.csv    every shard's rows, ordered by global request id, then attempt (cells as
 *                   written: nothing is re-rounded)
 *   summary.csv     recomputed from the shards' metrics.json: counters summed, HDR histograms
 *                   added (one configuration, so percentiles are exactly one run's), min/max
 *                   combined, rates and means recomputed from the totals
 *   timeseries.csv  by absolute second: counters summed; latency p50/p95 recomputed by nearest
 *                   rank from the merged records' latency_ms (rounding is monotone, so this is
 *                   the one-run value); in_flight_max is the sum of the shards' maxima (an
 *                   approximation: per-shard maxima cannot give the max of the sum)
 *   metrics.json    the merged collector state; merge.json: shards, starts, skews, offsets
 *   scenario.resolved.json  the first shard's
 * Refused (ConfigError, nothing written): a directory without shard.json, different run ids,
 * scenario hashes, seeds, shard counts or histogram configurations, duplicate shard indices,
 * missing shards (listed).
 *
 * Absolute time: with --start-at every shard's t = 0 is the agreed instant and nothing moves.
 * Without it, shard times are moved by (its start − the earliest start), in ms for records and
 * to the nearest second for per-second rows.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { ConfigError, type Issue } from '../errors.js';
import { nearestRank, type SeriesRow } from '../metrics/series.js';
import { metricsFile, readMetricsFile, sameHistogramConfig } from '../metrics/snapshot.js';
import { MetricsCollector, type Summary } from '../metrics/summary.js';
import { ms, SUMMARY_COLUMNS, TIMESERIES_COLUMNS, columnNames, toCells } from '../report/columns.js';
import { REPORT_FILES } from '../report/writers.js';
import { SHARD_FILES, SHARD_FORMAT, type ShardManifest } from './manifest.js';
import { formatShard } from './spec.js';

export interface MergeOptions {
  /** Merge what there is even when shards are missing (the gaps are still listed in merge.json). */
  allowMissing?: boolean;
}

export interface MergeResult {
  outDir: string;
  runId: string;
  shards: { dir: string; shard: string; startEpochMs: number; startSkewMs?: number; offsetMs: number; requests: number; interrupted: boolean }[];
  missing: number[];
  requestRows: number;
  summaries: Summary[];
  /** Non-fatal: shards that started late, were interrupted, etc. */
  warnings: string[];
}

/** Shards whose t = 0 missed --start-at by more than this are flagged. */
export const SKEW_WARN_MS = 100;

const TIME_COLUMNS = ['targeted_start_ms', 'start_ms', 'first_byte_ms', 'first_token_ms', 'end_ms'];

async function readManifest(dir: string): Promise<ShardManifest> {
  const p = join(dir, SHARD_FILES.manifest);
  if (!existsSync(p)) throw new ConfigError(`${dir}: expected a shard run directory (with ${SHARD_FILES.manifest}, written by "limitprobe run --shard i/N"), found no ${SHARD_FILES.manifest}`);
  const m = JSON.parse(await readFile(p, 'utf8')) as ShardManifest;
  if (m.format !== SHARD_FORMAT) throw new ConfigError(`${p}: expected format "${SHARD_FORMAT}", found ${JSON.stringify(m.format)}`);
  return m;
}

/** Check the shards belong together and are complete; returns the missing indices. */
export function checkShards(ms_: { dir: string; m: ShardManifest }[], opts: MergeOptions = {}): number[] {
  const issues: Issue[] = [];
  const first = ms_[0]!.m;
  for (const { dir, m } of ms_.slice(1)) {
    const differs = (what: string, a: unknown, b: unknown) => issues.push({ path: dir, expected: `${what} ${JSON.stringify(a)} (as ${ms_[0]!.dir})`, found: JSON.stringify(b) });
    if (m.scenarioHash !== first.scenarioHash) differs('scenario hash', first.scenarioHash, m.scenarioHash);
    if (m.seed !== first.seed) differs('seed', first.seed, m.seed);
    if (m.runId !== first.runId) differs('run id', first.runId, m.runId);
    if (m.shard.count !== first.shard.count) differs('shard count', first.shard.count, m.shard.count);
    if (!sameHistogramConfig(m.histogram, first.histogram)) differs('histogram configuration', first.histogram, m.histogram);
  }
  if (issues.length) throw new ConfigError('these shards are not parts of one run: refusing to merge', issues);
  const seen = new Map<number, string>();
  for (const { dir, m } of ms_) {
    const prev = seen.get(m.shard.index);
    if (prev !== undefined) issues.push({ path: dir, expected: `a shard index not merged yet`, found: `shard ${formatShard(m.shard)}, already given by ${prev}` });
    else seen.set(m.shard.index, dir);
  }
  if (issues.length) throw new ConfigError('duplicate shards: refusing to merge (each index once)', issues);
  const missing = Array.from({ length: first.shard.count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length && !opts.allowMissing) {
    throw new ConfigError(`missing shards: ${missing.map((i) => `${i}/${first.shard.count}`).join(', ')} (have ${ms_.length} of ${first.shard.count}); refusing to merge an incomplete run`, [
      { path: 'shards', expected: `indices 0…${first.shard.count - 1}, each once`, found: `missing ${missing.join(', ')}` },
    ]);
  }
  return missing;
}

interface Table {
  header: string[];
  rows: string[][];
}

async function readTable(path: string): Promise<Table> {
  if (!existsSync(path)) return { header: [], rows: [] };
  const all = parse(await readFile(path, 'utf8'), { relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
  return { header: all[0] ?? [], rows: all.slice(1) };
}

const shiftCell = (cell: string | undefined, offsetMs: number): string | undefined =>
  cell === undefined || cell === '' || offsetMs === 0 ? cell : ms(Number(cell) + offsetMs);

export async function mergeRuns(dirs: readonly string[], outDir: string, opts: MergeOptions = {}): Promise<MergeResult> {
  if (dirs.length === 0) throw new ConfigError('merge: expected at least one shard directory, found none');
  const shards = await Promise.all(dirs.map(async (dir) => ({ dir, m: await readManifest(dir) })));
  const missing = checkShards(shards, opts);
  shards.sort((a, b) => a.m.shard.index - b.m.shard.index);
  const metrics = await Promise.all(
    shards.map(async ({ dir }) => {
      const p = join(dir, SHARD_FILES.metrics);
      if (!existsSync(p)) throw new ConfigError(`${dir}: expected ${SHARD_FILES.metrics} (the shard's histograms), found none`);
      return readMetricsFile(await readFile(p, 'utf8'), p);
    }),
  );

  // Absolute time: the agreed start, else the earliest shard's t = 0.
  const origin = (m: ShardManifest) => m.startAt ?? m.startEpochMs;
  const t0 = Math.min(...shards.map(({ m }) => origin(m)));
  const offsets = shards.map(({ m }) => origin(m) - t0);
  const warnings: string[] = [];
  for (const { dir, m } of shards) {
    if (m.startSkewMs !== undefined && Math.abs(m.startSkewMs) > SKEW_WARN_MS) warnings.push(`shard ${formatShard(m.shard)} (${dir}) started ${m.startSkewMs} ms off --start-at`);
    if (m.interrupted) warnings.push(`shard ${formatShard(m.shard)} (${dir}) was interrupted: its part of the schedule is incomplete`);
  }
  if (missing.length) warnings.push(`missing shards: ${missing.join(', ')}`);

  await mkdir(outDir, { recursive: true });

  // requests.csv: by global request id, then attempt, then shard.
  const tables = await Promise.all(shards.map(({ dir }) => readTable(join(dir, REPORT_FILES.requests))));
  const header = tables.find((t) => t.header.length)?.header ?? [];
  for (const [j, t] of tables.entries()) {
    if (t.header.length && t.header.join(',') !== header.join(',')) {
      throw new ConfigError(`${shards[j]!.dir}/${REPORT_FILES.requests}: its columns differ from ${shards[0]!.dir}'s (written by another limitprobe version?)`);
    }
  }
  const col = (name: string) => header.indexOf(name);
  const [idCol, attemptCol] = [col('request_id'), col('attempt')];
  const timeCols = TIME_COLUMNS.map(col).filter((c) => c >= 0);
  const rows: { row: string[]; id: number; attempt: number; shard: number }[] = [];
  tables.forEach((t, j) => {
    for (const row of t.rows) {
      if (offsets[j]) for (const c of timeCols) row[c] = shiftCell(row[c], offsets[j]!) ?? '';
      rows.push({ row, id: Number(row[idCol]), attempt: Number(row[attemptCol]), shard: j });
    }
  });
  rows.sort((a, b) => a.id - b.id || a.attempt - b.attempt || a.shard - b.shard);
  await writeFile(join(outDir, REPORT_FILES.requests), header.length ? stringify([header, ...rows.map((r) => r.row)]) : '');

  // summary.csv from the merged histograms and counters.
  const collector = new MetricsCollector({ pricing: metrics.find((f) => f.state.pricing)?.state.pricing });
  metrics.forEach((f) => collector.importState(f.state));
  const totals = metrics.map((f, j) => (f.state.totalDurationMs === undefined ? undefined : f.state.totalDurationMs + offsets[j]!)).filter((x): x is number => x !== undefined);
  if (totals.length) collector.setTotalDuration(Math.max(...totals));
  const summaries = collector.summaries({ interrupted: shards.some(({ m }) => m.interrupted), simulated: shards.every(({ m }) => m.simulated) });
  await writeFile(join(outDir, REPORT_FILES.summary), stringify([columnNames(SUMMARY_COLUMNS), ...summaries.map((s) => toCells(SUMMARY_COLUMNS, s))]));
  await writeFile(join(outDir, SHARD_FILES.metrics), JSON.stringify(metricsFile(collector)) + '\n');

  // timeseries.csv by absolute second.
  await writeFile(join(outDir, REPORT_FILES.timeseries), await mergeSeries(shards.map(({ dir }) => dir), offsets, header, rows.map((r) => r.row)));

  const scenarioSrc = join(shards[0]!.dir, REPORT_FILES.scenario);
  if (existsSync(scenarioSrc)) await writeFile(join(outDir, REPORT_FILES.scenario), await readFile(scenarioSrc));

  const result: MergeResult = {
    outDir,
    runId: shards[0]!.m.runId,
    shards: shards.map(({ dir, m }, j) => ({
      dir,
      shard: formatShard(m.shard),
      startEpochMs: m.startEpochMs,
      ...(m.startSkewMs !== undefined ? { startSkewMs: m.startSkewMs } : {}),
      offsetMs: offsets[j]!,
      requests: m.requests,
      interrupted: m.interrupted,
    })),
    missing,
    requestRows: rows.length,
    summaries,
    warnings,
  };
  const first = shards[0]!.m;
  await writeFile(
    join(outDir, SHARD_FILES.merge),
    JSON.stringify(
      { runId: result.runId, scenarioHash: first.scenarioHash, seed: first.seed, shardCount: first.shard.count, startEpochMs: t0, startAt: first.startAt, shards: result.shards, missing, warnings, requestRows: rows.length },
      null,
      2,
    ) + '\n',
  );
  return result;
}

const SUMMED: (keyof SeriesRow)[] = ['offered', 'sent', 'ok', 'rateLimitedRequests', 'rateLimitedTokens', 'rateLimitedOther', 'otherErrors', 'dropped', 'tokensIn', 'tokensOut'];

async function mergeSeries(dirs: string[], offsets: number[], reqHeader: string[], reqRows: string[][]): Promise<string> {
  const names = columnNames(TIMESERIES_COLUMNS);
  const fieldOf = new Map<string, keyof SeriesRow>([
    ['second', 'second'], ['offered', 'offered'], ['sent', 'sent'], ['ok', 'ok'], ['rate_limited_requests', 'rateLimitedRequests'],
    ['rate_limited_tokens', 'rateLimitedTokens'], ['rate_limited_other', 'rateLimitedOther'], ['other_errors', 'otherErrors'], ['dropped', 'dropped'],
    ['in_flight_max', 'inFlightMax'], ['tokens_in', 'tokensIn'], ['tokens_out', 'tokensOut'],
  ]);
  const bySecond = new Map<number, SeriesRow>();
  const get = (s: number): SeriesRow => {
    let r = bySecond.get(s);
    if (!r) bySecond.set(s, (r = { second: s, offered: 0, sent: 0, ok: 0, rateLimitedRequests: 0, rateLimitedTokens: 0, rateLimitedOther: 0, otherErrors: 0, dropped: 0, tokensIn: 0, tokensOut: 0 }));
    return r;
  };
  for (const [j, dir] of dirs.entries()) {
    const t = await readTable(join(dir, REPORT_FILES.timeseries));
    const shiftS = Math.round(offsets[j]! / 1000);
    for (const cells of t.rows) {
      const v: Partial<Record<keyof SeriesRow, number>> = {};
      t.header.forEach((h, c) => {
        const f = fieldOf.get(h);
        if (f && cells[c] !== undefined && cells[c] !== '') v[f] = Number(cells[c]);
      });
      if (v.second === undefined) continue;
      const row = get(v.second + shiftS);
      for (const f of SUMMED) (row[f] as number) += v[f] ?? 0;
      if (v.inFlightMax !== undefined) row.inFlightMax = (row.inFlightMax ?? 0) + v.inFlightMax;
    }
  }
  // Per-second latency percentiles of ok attempts, by end second, from the merged records.
  const [outcome, end, latency] = ['outcome', 'end_ms', 'latency_ms'].map((n) => reqHeader.indexOf(n)) as [number, number, number];
  if (outcome >= 0 && end >= 0 && latency >= 0) {
    const lat = new Map<number, number[]>();
    for (const r of reqRows) {
      if (r[outcome] !== 'ok' || !r[latency]) continue;
      const s = Math.max(0, Math.floor(Number(r[end]) / 1000));
      let a = lat.get(s);
      if (!a) lat.set(s, (a = []));
      a.push(Number(r[latency]));
    }
    for (const [s, a] of lat) {
      const row = bySecond.get(s);
      if (!row) continue; // a second no shard emitted (late records): summary.csv still has them
      a.sort((x, y) => x - y);
      row.latencyP50Ms = nearestRank(a, 50);
      row.latencyP95Ms = nearestRank(a, 95);
    }
  }
  const seconds = [...bySecond.keys()].sort((a, b) => a - b);
  const out: SeriesRow[] = [];
  if (seconds.length) for (let s = Math.min(0, seconds[0]!); s <= seconds.at(-1)!; s++) out.push(bySecond.get(s) ?? get(s));
  return stringify([names, ...out.map((r) => toCells(TIMESERIES_COLUMNS, r))]);
}
