/**
 * The one source of truth for every CSV this project writes: each column is a name and a
 * function from the row object to a cell. Formatting lives here so all files agree:
 * - undefined (not applicable) → empty cell;
 * - times and durations in ms: fixed 3 decimals (0.001 ms), e.g. "12.500";
 * - counts, tokens, status: integers; rates: 3 decimals; cost: 6 decimals; booleans: true/false;
 * - error_message: one line (newlines → spaces), at most 500 characters, so line-based tools work.
 * The first 16 requests.csv columns and their order are a public contract (ARCHITECTURE.md).
 */
import type { HistogramStats } from '../metrics/histogram.js';
import { OUTCOMES, type AttemptRecord } from '../metrics/record.js';
import type { SeriesRow } from '../metrics/series.js';
import type { Summary } from '../metrics/summary.js';

export type Cell = string | undefined;

export interface Column<T> {
  readonly name: string;
  readonly cell: (row: T) => Cell;
}

const MAX_MESSAGE_CHARS = 500;

const finite = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);

/** Fixed decimals, without "-0.000" for tiny negatives. */
export function fixed(v: number | undefined, decimals: number): Cell {
  if (!finite(v)) return undefined;
  const s = v.toFixed(decimals);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}
export const ms = (v: number | undefined): Cell => fixed(v, 3);
export const int = (v: number | undefined): Cell => (finite(v) ? String(Math.round(v)) : undefined);
export const bool = (v: boolean | undefined): Cell => (v === undefined ? undefined : String(v));
const diff = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : a - b);

function oneLine(s: string | undefined): Cell {
  if (s === undefined) return undefined;
  const flat = s.replace(/\s*[\r\n]+\s*/g, ' ');
  return flat.length > MAX_MESSAGE_CHARS ? `${flat.slice(0, MAX_MESSAGE_CHARS - 1)}…` : flat;
}

const col = <T>(name: string, cell: (row: T) => Cell): Column<T> => ({ name, cell });

export const REQUEST_COLUMNS: readonly Column<AttemptRecord>[] = [
  // contract columns, in contract order
  col('request_id', (r) => int(r.requestId)),
  col('attempt', (r) => int(r.attempt)),
  col('group', (r) => r.group),
  col('phase', (r) => r.phase),
  col('targeted_start_ms', (r) => ms(r.targetedStartMs)),
  col('start_ms', (r) => ms(r.startMs)),
  col('first_byte_ms', (r) => ms(r.firstByteMs)),
  col('first_token_ms', (r) => ms(r.firstTokenMs)),
  col('end_ms', (r) => ms(r.endMs)),
  col('status', (r) => int(r.status)),
  col('outcome', (r) => r.outcome),
  col('error_code', (r) => r.errorCode),
  col('prompt_tokens', (r) => int(r.promptTokens)),
  col('completion_tokens', (r) => int(r.completionTokens)),
  col('prompt_tokens_estimate', (r) => int(r.promptTokensEstimate)),
  col('retry_after_ms', (r) => ms(r.retryAfterMs)),
  // derived and extra columns
  col('latency_ms', (r) => ms(diff(r.endMs, r.startMs))),
  col('response_time_ms', (r) => ms(r.startMs === undefined ? undefined : r.endMs - r.targetedStartMs)),
  col('ttft_ms', (r) => ms(diff(r.firstTokenMs, r.startMs))),
  col('max_tokens', (r) => int(r.maxTokens)),
  col('stream', (r) => bool(r.stream)),
  col('ratelimit_remaining_requests', (r) => int(r.rateLimit?.remainingRequests)),
  col('ratelimit_remaining_tokens', (r) => int(r.rateLimit?.remainingTokens)),
  col('ratelimit_reset_requests_ms', (r) => ms(r.rateLimit?.resetRequestsMs)),
  col('ratelimit_reset_tokens_ms', (r) => ms(r.rateLimit?.resetTokensMs)),
  col('bytes_in', (r) => int(r.bytesIn)),
  col('error_message', (r) => oneLine(r.errorMessage)),
  // A retry's first planned send (empty on first attempts): response time from there is what the user waited.
  col('first_targeted_start_ms', (r) => ms(r.firstTargetedStartMs)),
];

export const TIMESERIES_COLUMNS: readonly Column<SeriesRow>[] = [
  col('second', (r) => int(r.second)),
  col('offered', (r) => int(r.offered)),
  col('sent', (r) => int(r.sent)),
  col('ok', (r) => int(r.ok)),
  col('rate_limited_requests', (r) => int(r.rateLimitedRequests)),
  col('rate_limited_tokens', (r) => int(r.rateLimitedTokens)),
  col('rate_limited_other', (r) => int(r.rateLimitedOther)),
  col('other_errors', (r) => int(r.otherErrors)),
  col('dropped', (r) => int(r.dropped)),
  col('in_flight_max', (r) => int(r.inFlightMax)),
  col('tokens_in', (r) => int(r.tokensIn)),
  col('tokens_out', (r) => int(r.tokensOut)),
  col('latency_p50_ms', (r) => ms(r.latencyP50Ms)),
  col('latency_p95_ms', (r) => ms(r.latencyP95Ms)),
];

type HistKey = 'latency' | 'responseTime' | 'ttft' | 'itl' | 'scheduleLag';
const HISTOGRAMS: [prefix: string, key: HistKey][] = [
  ['latency', 'latency'],
  ['response_time', 'responseTime'],
  ['ttft', 'ttft'],
  ['itl', 'itl'],
  ['schedule_lag', 'scheduleLag'],
];
const STATS: (keyof Omit<HistogramStats, 'count'>)[] = ['p50', 'p90', 'p95', 'p99', 'max', 'mean'];

export const SUMMARY_COLUMNS: readonly Column<Summary>[] = [
  col('scope', (r) => r.scope),
  col('group', (r) => r.group),
  col('duration_s', (r) => fixed(r.durationS, 3)),
  col('attempts', (r) => int(r.attempts)),
  col('requests', (r) => int(r.requests)),
  ...OUTCOMES.map((o) => col<Summary>(o, (r) => int(r.counts[o]))),
  col('ok_rps', (r) => fixed(r.okRps, 3)),
  col('attempt_rps', (r) => fixed(r.attemptRps, 3)),
  col('input_tokens_per_s', (r) => fixed(r.inputTokensPerS, 3)),
  col('output_tokens_per_s', (r) => fixed(r.outputTokensPerS, 3)),
  col('cost_usd', (r) => fixed(r.costUsd, 6)),
  ...HISTOGRAMS.flatMap(([prefix, key]) => STATS.map((st) => col<Summary>(`${prefix}_${st}_ms`, (r) => ms(r[key][st])))),
  col('interrupted', (r) => bool(r.interrupted)),
  col('simulated', (r) => bool(r.simulated)),
  // appended after the documented set so positional readers keep working
  col('input_tokens', (r) => int(r.inputTokens)),
  col('output_tokens', (r) => int(r.outputTokens)),
  col('input_tokens_estimate', (r) => int(r.inputTokensEstimate)),
  col('usage_missing', (r) => int(r.usageMissing)),
  // Per-request output speed (completion tokens / latency), tokens per second.
  ...STATS.map((st) => col<Summary>(`request_output_tokens_per_s_${st}`, (r) => fixed(r.requestOutputTokensPerS[st], 3))),
];

export const columnNames = <T>(cols: readonly Column<T>[]): string[] => cols.map((c) => c.name);
export const toCells = <T>(cols: readonly Column<T>[], row: T): Cell[] => cols.map((c) => c.cell(row));
