/**
 * Per-second time series, streamed. Second index = floor(ms / 1000) of the relevant time:
 * offered → targetedStart; sent → start; outcomes, tokens and latency → end.
 *
 * Design (a reorder window): records arrive when attempts *end*, but an attempt is counted as
 * sent in the second it *started*, up to one request timeout earlier. So a second s stays
 * open until the watermark (the latest time seen: record ends, in-flight samples, advance())
 * reaches (s + 1) × 1000 + graceMs; then its row goes to `onRow` and its memory is freed.
 * Choose graceMs ≥ the longest an attempt can take from targetedStart to end (request timeout
 * plus client queueing). Memory is bounded by the window: a few counters per open second plus
 * that second's ok latencies (sorted exactly when the row is emitted).
 * A contribution that still lands in an emitted second is not written anywhere; it is counted
 * in `late` (the summary still has it). Each contribution is placed independently, so a late
 * record's end-second counts survive even when its start-second has closed.
 *
 * Latency percentiles are of ok attempts only (same reason as in summary.ts).
 * in_flight_max is the max of sampleInFlight() values in that second; a second without a
 * sample carries the last sampled level forward (samplers typically report on change).
 */
import type { Recorder } from '../exec/ports.js';
import { RATE_LIMITED, type AttemptRecord } from './record.js';

export interface SeriesRow {
  second: number;
  offered: number;
  sent: number;
  ok: number;
  rateLimitedRequests: number;
  rateLimitedTokens: number;
  rateLimitedOther: number;
  otherErrors: number;
  dropped: number;
  inFlightMax?: number;
  tokensIn: number;
  tokensOut: number;
  latencyP50Ms?: number;
  latencyP95Ms?: number;
}

export interface SeriesOptions {
  onRow(row: SeriesRow): void;
  /** How long a second stays open after it ends, for late records. Default 120 000 ms. */
  graceMs?: number;
  /**
   * Where "offered" comes from. 'records' (default): a record with attempt 1 counts as offered
   * at its targetedStart (dropped requests have records too). 'calls': only offered() counts.
   */
  offeredFrom?: 'records' | 'calls';
}

interface Bucket {
  row: SeriesRow;
  latencies: number[];
  lastInFlight?: number;
}

const DEFAULT_GRACE_MS = 120_000;

function emptyRow(second: number): SeriesRow {
  return {
    second,
    offered: 0,
    sent: 0,
    ok: 0,
    rateLimitedRequests: 0,
    rateLimitedTokens: 0,
    rateLimitedOther: 0,
    otherErrors: 0,
    dropped: 0,
    tokensIn: 0,
    tokensOut: 0,
  };
}

/** Nearest-rank percentile of an ascending array (p in 0…100). */
export function nearestRank(sorted: readonly number[], p: number): number | undefined {
  if (!sorted.length) return undefined;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export class SeriesBuilder implements Recorder {
  private readonly open = new Map<number, Bucket>();
  /** Next second to emit; everything below it has been emitted. */
  private next = 0;
  /** Highest second that received any data (emission target for flush). */
  private lastSecond = -1;
  private watermark = -Infinity;
  private inFlightLevel?: number;
  private readonly graceMs: number;
  private readonly offeredFromRecords: boolean;
  /** Contributions that arrived for an already emitted second (not in any row). */
  late = 0;

  constructor(private readonly opts: SeriesOptions) {
    this.graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
    this.offeredFromRecords = (opts.offeredFrom ?? 'records') === 'records';
  }

  record(r: AttemptRecord): void {
    if (this.offeredFromRecords && r.attempt === 1) this.at(r.targetedStartMs, (row) => row.offered++);
    if (r.startMs !== undefined) this.at(r.startMs, (row) => row.sent++);
    this.at(r.endMs, (row, b) => {
      if (r.outcome === 'ok') {
        row.ok++;
        row.tokensIn += r.promptTokens ?? r.promptTokensEstimate;
        row.tokensOut += r.completionTokens ?? 0;
        if (r.startMs !== undefined) b.latencies.push(r.endMs - r.startMs);
      } else if (r.outcome === 'rate_limited_requests') row.rateLimitedRequests++;
      else if (r.outcome === 'rate_limited_tokens') row.rateLimitedTokens++;
      else if (RATE_LIMITED.includes(r.outcome)) row.rateLimitedOther++;
      else if (r.outcome === 'dropped') row.dropped++;
      else row.otherErrors++;
    });
    this.advance(r.endMs);
  }

  /** One planned arrival (used with offeredFrom: 'calls'). Does not move the watermark. */
  offered(targetedStartMs: number): void {
    this.at(targetedStartMs, (row) => row.offered++);
  }

  sampleInFlight(ms: number, n: number): void {
    this.at(ms, (row, b) => {
      row.inFlightMax = Math.max(row.inFlightMax ?? n, n);
      b.lastInFlight = n;
    });
    this.advance(ms);
  }

  /** Move time forward (e.g. from a clock tick) so seconds close even when nothing ends. */
  advance(nowMs: number): void {
    if (nowMs <= this.watermark) return;
    this.watermark = nowMs;
    while ((this.next + 1) * 1000 + this.graceMs <= this.watermark) this.emit(this.next);
  }

  /** Emit every remaining second, through the one containing untilMs − 1 if given (run end). */
  flush(untilMs?: number): void {
    const last = Math.max(this.lastSecond, untilMs !== undefined ? Math.ceil(untilMs / 1000) - 1 : -1);
    while (this.next <= last) this.emit(this.next);
  }

  private at(ms: number, apply: (row: SeriesRow, b: Bucket) => void): void {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < this.next) {
      this.late++;
      return;
    }
    let b = this.open.get(s);
    if (!b) this.open.set(s, (b = { row: emptyRow(s), latencies: [] }));
    apply(b.row, b);
    if (s > this.lastSecond) this.lastSecond = s;
  }

  private emit(s: number): void {
    const b = this.open.get(s);
    this.open.delete(s);
    this.next = s + 1;
    const row = b?.row ?? emptyRow(s);
    if (row.inFlightMax === undefined) row.inFlightMax = this.inFlightLevel;
    if (b?.lastInFlight !== undefined) this.inFlightLevel = b.lastInFlight;
    if (b?.latencies.length) {
      const sorted = b.latencies.sort((x, y) => x - y);
      row.latencyP50Ms = nearestRank(sorted, 50);
      row.latencyP95Ms = nearestRank(sorted, 95);
    }
    this.opts.onRow(row);
  }
}
