/**
 * Live progress while a run goes.
 *
 * - On a terminal (the stream is a TTY and `CI` is not set): one status block redrawn in place
 *   about 4 times a second with ANSI cursor movement: elapsed/total, phase, sent, ok, 429s by
 *   class, other errors, dropped, and over the last few complete seconds req/s, output tokens/s
 *   and ok-latency p95.
 * - Otherwise (pipes, files, CI logs): the same figures as one plain line every 5 s.
 * - `--quiet`/`--json`: the caller creates no progress at all (or passes mode 'off').
 *
 * The hot path (`event`) is O(1) per attempt: a few counters and one slot of a per-second
 * ring whose latency histogram has fixed log-spaced buckets (2 % wide, so the shown p95 is
 * within about 1 % of the true value). Rendering merges at most `windowS` slots. Everything
 * that decides what is shown is a pure function (`LiveStats.snapshot`, `formatStatusBlock`,
 * `formatProgressLine`, `redraw`) tested without a terminal.
 */
import type { RunEvent, Scenario } from '../index.js';

export interface Progress {
  start(s: Scenario): void;
  event(ev: RunEvent): void;
  /** Print a line above the live block (or as a plain line), e.g. "threshold failed: aborting". */
  note(line: string): void;
  stop(): void;
}

export interface ProgressOptions {
  /** 'auto' (default): 'tty' when the stream is a TTY and CI is unset, else 'lines'. */
  mode?: 'auto' | 'tty' | 'lines' | 'off';
  /** Environment consulted for CI (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** TTY redraw period (default 250 ms). */
  refreshMs?: number;
  /** Plain-line period (default 5000 ms). */
  lineEveryMs?: number;
  /** Seconds the windowed rates and p95 cover (default 5). */
  windowS?: number;
  /** Monotonic ms (default performance.now). */
  now?: () => number;
  /** ANSI colours in the TTY block (default true on a TTY). */
  color?: boolean;
}

// ------------------------------------------------------------------------------------------------
// pure state

const LOG_BASE = Math.log(1.02);
const MIN_MS = 0.01;
/** Buckets cover 0.01 ms … ~3.6e6 ms (1 h) at 2 % width. */
const BUCKETS = Math.ceil(Math.log(3.6e6 / MIN_MS) / LOG_BASE) + 1;

export function latencyBucket(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log(ms / MIN_MS) / LOG_BASE));
}
/** Geometric middle of a bucket: the value reported for it (±1 %). */
export function bucketValue(i: number): number {
  return MIN_MS * Math.exp((i + 0.5) * LOG_BASE);
}

interface Slot {
  second: number;
  finished: number;
  tokensOut: number;
  okLatencies: number;
  hist: Uint32Array;
}

export interface ProgressSnapshot {
  elapsedMs: number;
  totalMs?: number;
  phase?: string;
  sent: number;
  ok: number;
  rateLimitedRequests: number;
  rateLimitedTokens: number;
  rateLimitedOther: number;
  otherErrors: number;
  dropped: number;
  /** Complete seconds the windowed figures cover (0: none yet). */
  windowS: number;
  /** Attempts that finished (not dropped) per second over the window. */
  reqPerS?: number;
  /** Output tokens of ok attempts per second over the window. */
  tokensPerS?: number;
  /** p95 of ok-attempt latency (end − start) that ended in the window. */
  latencyP95Ms?: number;
}

/** Counters and a per-second ring fed by attempt events; O(1) per event. */
export class LiveStats {
  sent = 0;
  ok = 0;
  rateLimitedRequests = 0;
  rateLimitedTokens = 0;
  rateLimitedOther = 0;
  otherErrors = 0;
  dropped = 0;
  phase?: string;
  private readonly ring: Slot[];

  constructor(readonly windowS = 5) {
    this.ring = Array.from({ length: windowS + 2 }, () => ({ second: -1, finished: 0, tokensOut: 0, okLatencies: 0, hist: new Uint32Array(BUCKETS) }));
  }

  event(ev: RunEvent): void {
    if (ev.type === 'phase-start') {
      this.phase = ev.phase;
      return;
    }
    if (ev.type !== 'attempt') return;
    const r = ev.record;
    switch (r.outcome) {
      case 'dropped':
        this.dropped++;
        return;
      case 'ok':
        this.ok++;
        break;
      case 'rate_limited_requests':
        this.rateLimitedRequests++;
        break;
      case 'rate_limited_tokens':
        this.rateLimitedTokens++;
        break;
      case 'rate_limited_other':
        this.rateLimitedOther++;
        break;
      default:
        this.otherErrors++;
    }
    this.sent++;
    const slot = this.slot(Math.floor(r.endMs / 1000));
    if (!slot) return;
    slot.finished++;
    if (r.outcome === 'ok') {
      slot.tokensOut += r.completionTokens ?? 0;
      if (r.startMs !== undefined) {
        slot.okLatencies++;
        slot.hist[latencyBucket(r.endMs - r.startMs)]!++;
      }
    }
  }

  /** The slot of second s, recycled when it held an older second; undefined if s is too old. */
  private slot(s: number): Slot | undefined {
    if (s < 0) return undefined;
    const slot = this.ring[s % this.ring.length]!;
    if (slot.second === s) return slot;
    if (slot.second > s) return undefined;
    slot.second = s;
    slot.finished = slot.tokensOut = slot.okLatencies = 0;
    slot.hist.fill(0);
    return slot;
  }

  /** Figures at run time nowMs; windowed ones over the last complete seconds before it. */
  snapshot(nowMs: number, totalMs?: number): ProgressSnapshot {
    const cur = Math.floor(nowMs / 1000);
    const windowS = Math.max(0, Math.min(this.windowS, cur));
    const snap: ProgressSnapshot = {
      elapsedMs: nowMs,
      totalMs,
      phase: this.phase,
      sent: this.sent,
      ok: this.ok,
      rateLimitedRequests: this.rateLimitedRequests,
      rateLimitedTokens: this.rateLimitedTokens,
      rateLimitedOther: this.rateLimitedOther,
      otherErrors: this.otherErrors,
      dropped: this.dropped,
      windowS,
    };
    if (!windowS) return snap;
    let finished = 0;
    let tokens = 0;
    let n = 0;
    const slots: Slot[] = [];
    for (let s = cur - windowS; s < cur; s++) {
      const slot = this.ring[s % this.ring.length]!;
      if (slot.second !== s) continue;
      finished += slot.finished;
      tokens += slot.tokensOut;
      n += slot.okLatencies;
      if (slot.okLatencies) slots.push(slot);
    }
    snap.reqPerS = finished / windowS;
    snap.tokensPerS = tokens / windowS;
    if (n) {
      const rank = Math.ceil(0.95 * n);
      let seen = 0;
      for (let i = 0; i < BUCKETS; i++) {
        for (const sl of slots) seen += sl.hist[i]!;
        if (seen >= rank) {
          snap.latencyP95Ms = bucketValue(i);
          break;
        }
      }
    }
    return snap;
  }
}

// ------------------------------------------------------------------------------------------------
// pure formatting

const int = (n: number) => n.toLocaleString('en-US');
export function fmtSeconds(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${(s - m * 60).toFixed(0).padStart(2, '0')}s`;
}
export function fmtRate(v: number | undefined): string {
  if (v === undefined) return '-';
  return v < 100 ? v.toFixed(1) : int(Math.round(v));
}
export function fmtMs(v: number | undefined): string {
  if (v === undefined) return '-';
  if (v < 10) return `${v.toFixed(2)}ms`;
  if (v < 1000) return `${Math.round(v)}ms`;
  return `${(v / 1000).toFixed(2)}s`;
}

function bar(frac: number, width: number): string {
  const f = Math.max(0, Math.min(1, frac));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

type Paint = (s: string) => string;
const ansi = (code: number): Paint => (s) => `\x1b[${code}m${s}\x1b[0m`;
const plain: Paint = (s) => s;

/** The TTY block: three lines. */
export function formatStatusBlock(s: ProgressSnapshot, opts: { color?: boolean } = {}): string[] {
  const c = opts.color ? { bold: ansi(1), warn: ansi(33), bad: ansi(31), dim: ansi(2) } : { bold: plain, warn: plain, bad: plain, dim: plain };
  const nz = (n: number, p: Paint) => (n ? p(int(n)) : int(n));
  const total = s.totalMs !== undefined && s.totalMs > 0 && Number.isFinite(s.totalMs) ? s.totalMs : undefined;
  const time = total
    ? `${fmtSeconds(s.elapsedMs)} / ${fmtSeconds(total)} ${bar(s.elapsedMs / total, 20)} ${Math.min(100, Math.floor((100 * s.elapsedMs) / total))}%`
    : fmtSeconds(s.elapsedMs);
  const limited = s.rateLimitedRequests + s.rateLimitedTokens + s.rateLimitedOther;
  return [
    `${c.bold('limitprobe')}  ${time}${s.phase !== undefined ? `  phase ${c.bold(s.phase)}` : ''}`,
    `sent ${int(s.sent)}  ok ${int(s.ok)}  429 ${nz(limited, c.warn)} (req ${int(s.rateLimitedRequests)}, tok ${int(s.rateLimitedTokens)}, other ${int(s.rateLimitedOther)})  errors ${nz(s.otherErrors, c.bad)}  dropped ${nz(s.dropped, c.warn)}`,
    s.windowS
      ? `last ${s.windowS}s: ${fmtRate(s.reqPerS)} req/s  ${fmtRate(s.tokensPerS)} tok/s  p95 ${fmtMs(s.latencyP95Ms)}`
      : c.dim('last 5s: waiting for the first complete second'),
  ];
}

/** One plain line for logs and pipes. */
export function formatProgressLine(s: ProgressSnapshot): string {
  const total = s.totalMs !== undefined && s.totalMs > 0 && Number.isFinite(s.totalMs) ? `/${fmtSeconds(s.totalMs)}` : '';
  const limited = s.rateLimitedRequests + s.rateLimitedTokens + s.rateLimitedOther;
  const win = s.windowS ? `  | last ${s.windowS}s: ${fmtRate(s.reqPerS)} req/s, ${fmtRate(s.tokensPerS)} tok/s, p95 ${fmtMs(s.latencyP95Ms)}` : '';
  return (
    `[${fmtSeconds(s.elapsedMs)}${total}]${s.phase !== undefined ? ` ${s.phase}` : ''}` +
    `  sent ${s.sent}  ok ${s.ok}  429 ${limited} (req ${s.rateLimitedRequests}, tok ${s.rateLimitedTokens}, other ${s.rateLimitedOther})` +
    `  errors ${s.otherErrors}  dropped ${s.dropped}${win}`
  );
}

/**
 * Bytes that replace a block of `prevLines` lines (just written, cursor below it) with `lines`,
 * and optionally print `notes` above it first: cursor up, clear each line, rewrite.
 */
export function redraw(prevLines: number, lines: readonly string[], notes: readonly string[] = []): string {
  let out = prevLines ? `\x1b[${prevLines}F` : '';
  for (const l of [...notes, ...lines]) out += `\x1b[2K${l}\n`;
  // Clear what is left of a taller previous block.
  const extra = prevLines - notes.length - lines.length;
  if (extra > 0) out += '\x1b[0J';
  return out;
}

export function resolveMode(out: NodeJS.WritableStream, opts: ProgressOptions): 'tty' | 'lines' | 'off' {
  const mode = opts.mode ?? 'auto';
  if (mode !== 'auto') return mode;
  const env = opts.env ?? process.env;
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI.toLowerCase() !== 'false';
  return (out as NodeJS.WriteStream).isTTY && !ci ? 'tty' : 'lines';
}

// ------------------------------------------------------------------------------------------------
// the shell: timers and the stream

/**
 * `createProgress(out)` as before; the second argument may still be the plain-line period in ms
 * (the old signature) or a ProgressOptions object.
 */
export function createProgress(out: NodeJS.WritableStream, options: number | ProgressOptions = {}): Progress {
  const opts: ProgressOptions = typeof options === 'number' ? { lineEveryMs: options } : options;
  const mode = resolveMode(out, opts);
  const now = opts.now ?? (() => performance.now());
  const stats = new LiveStats(opts.windowS ?? 5);
  const color = opts.color ?? mode === 'tty';
  let totalMs: number | undefined;
  let t0 = 0;
  let anchored = false;
  let timer: NodeJS.Timeout | undefined;
  let shown = 0;
  let pendingNotes: string[] = [];
  let stopped = false;

  const snapshot = () => stats.snapshot(Math.max(0, now() - t0), totalMs);
  const render = () => {
    if (mode === 'tty') {
      const lines = formatStatusBlock(snapshot(), { color });
      out.write(redraw(shown, lines, pendingNotes));
      pendingNotes = [];
      shown = lines.length;
    } else if (mode === 'lines') out.write(formatProgressLine(snapshot()) + '\n');
  };

  return {
    start(s) {
      if (mode === 'off') return;
      const total = s.phases.reduce((a, p) => a + ((p as { durationMs?: number }).durationMs ?? NaN), 0);
      totalMs = Number.isFinite(total) ? total : undefined;
      t0 = now();
      const target = s.target.kind === 'mock' ? `embedded mock (${s.target.profile})` : s.target.baseUrl;
      out.write(`limitprobe: ${s.name} — ${s.phases.length} phase(s)${totalMs !== undefined ? `, ${(totalMs / 1000).toFixed(0)} s` : ''}, target ${target}\n`);
      timer = setInterval(render, mode === 'tty' ? (opts.refreshMs ?? 250) : (opts.lineEveryMs ?? 5_000));
      timer.unref();
    },
    event(ev) {
      if (mode === 'off') return;
      if (ev.type === 'phase-start') {
        // The run clock starts after the mock is up: align elapsed time with it once.
        if (!anchored) {
          t0 = now() - ev.atMs;
          anchored = true;
        }
        if (mode === 'lines') out.write(`phase ${ev.phase} started at ${(ev.atMs / 1000).toFixed(1)} s\n`);
      }
      stats.event(ev);
    },
    note(line) {
      if (mode === 'off') return;
      if (mode === 'tty' && !stopped) {
        pendingNotes.push(line);
        render();
      } else out.write(line + '\n');
    },
    stop() {
      if (mode === 'off' || stopped) return;
      if (timer) clearInterval(timer);
      render();
      stopped = true;
    },
  };
}
