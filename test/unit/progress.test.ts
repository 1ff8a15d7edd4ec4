import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  bucketValue,
  createProgress,
  formatProgressLine,
  formatStatusBlock,
  latencyBucket,
  LiveStats,
  redraw,
  resolveMode,
  type ProgressSnapshot,
} from '../../src/cli/progress.js';
import type { RunEvent } from '../../src/exec/ports.js';
import type { AttemptRecord, Outcome } from '../../src/metrics/record.js';
import type { Scenario } from '../../src/index.js';

function attempt(outcome: Outcome, startMs: number | undefined, endMs: number, completionTokens?: number): RunEvent {
  const record: AttemptRecord = { requestId: 1, attempt: 1, group: 'g', phase: 'p', targetedStartMs: startMs ?? endMs, startMs, endMs, outcome, promptTokensEstimate: 1, completionTokens };
  return { type: 'attempt', record };
}

class Sink extends Writable {
  text = '';
  isTTY?: boolean;
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

const scenario = { name: 'demo', phases: [{ name: 'a', durationMs: 20_000 }, { name: 'b', durationMs: 10_000 }], target: { kind: 'mock', profile: 'qwen2' } } as unknown as Scenario;

describe('LiveStats', () => {
  it('counts outcomes by class and computes windowed rates and p95 over complete seconds', () => {
    const st = new LiveStats(5);
    st.event({ type: 'phase-start', phase: 'flood', atMs: 0 });
    // seconds 0…9: each second 10 ok (latency 10…100 ms, 20 tokens each) and 2 × 429 requests
    for (let s = 0; s < 10; s++) {
      for (let i = 1; i <= 10; i++) st.event(attempt('ok', s * 1000, s * 1000 + i * 10, 20));
      st.event(attempt('rate_limited_requests', s * 1000, s * 1000 + 1));
      st.event(attempt('rate_limited_requests', s * 1000, s * 1000 + 1));
    }
    st.event(attempt('rate_limited_tokens', 9500, 9501));
    st.event(attempt('rate_limited_other', 9500, 9501));
    st.event(attempt('server_error', 9500, 9501));
    st.event(attempt('timeout', 9500, 9600));
    st.event(attempt('dropped', undefined, 9500));

    const snap = st.snapshot(10_400, 30_000);
    expect(snap).toMatchObject({ phase: 'flood', sent: 124, ok: 100, rateLimitedRequests: 20, rateLimitedTokens: 1, rateLimitedOther: 1, otherErrors: 2, dropped: 1, windowS: 5, totalMs: 30_000 });
    // seconds 5…9: 12 finished per second plus 4 extra in second 9 (the dropped one is not "finished")
    expect(snap.reqPerS).toBeCloseTo((5 * 12 + 4) / 5, 9);
    expect(snap.tokensPerS).toBeCloseTo(200, 9);
    // p95 of {10…100} repeated: nearest rank 48 of 50 → 100 ms (bucketed within 1 %)
    expect(snap.latencyP95Ms!).toBeGreaterThan(99);
    expect(snap.latencyP95Ms!).toBeLessThan(101);
  });

  it('has no windowed figures before the first complete second, and forgets seconds that left the window', () => {
    const st = new LiveStats(2);
    st.event(attempt('ok', 0, 500, 5));
    const first = st.snapshot(900);
    expect(first.windowS).toBe(0);
    expect(first.reqPerS).toBeUndefined();
    expect(first.latencyP95Ms).toBeUndefined();
    expect(st.snapshot(1_100)).toMatchObject({ windowS: 1, reqPerS: 1, tokensPerS: 5 });
    // much later: the ring slot was for second 0, the window is seconds 8…9
    const later = st.snapshot(10_000);
    expect(later).toMatchObject({ windowS: 2, reqPerS: 0, tokensPerS: 0 });
    expect(later.latencyP95Ms).toBeUndefined();
    // a very late record for an overwritten second is counted in totals but not in a window
    st.event(attempt('ok', 9000, 9100, 1));
    st.event(attempt('ok', 0, 100, 1));
    expect(st.snapshot(10_000)).toMatchObject({ ok: 3, reqPerS: 0.5 });
  });

  it('latency buckets are 2 % wide and report within 1 %', () => {
    for (const ms of [0.05, 0.9, 1, 7.3, 99, 812, 12_345, 600_000]) {
      const v = bucketValue(latencyBucket(ms));
      expect(Math.abs(v - ms) / ms).toBeLessThan(0.011);
    }
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(-5)).toBe(0);
  });
});

const snap: ProgressSnapshot = {
  elapsedMs: 12_300,
  totalMs: 30_000,
  phase: 'request-flood',
  sent: 1234,
  ok: 1100,
  rateLimitedRequests: 100,
  rateLimitedTokens: 20,
  rateLimitedOther: 0,
  otherErrors: 4,
  dropped: 10,
  windowS: 5,
  reqPerS: 120,
  tokensPerS: 9800.4,
  latencyP95Ms: 812.2,
};

describe('formatting', () => {
  it('formats the TTY block', () => {
    expect(formatStatusBlock(snap)).toEqual([
      'limitprobe  12.3s / 30.0s [########............] 41%  phase request-flood',
      'sent 1,234  ok 1,100  429 120 (req 100, tok 20, other 0)  errors 4  dropped 10',
      'last 5s: 120 req/s  9,800 tok/s  p95 812ms',
    ]);
    const coloured = formatStatusBlock(snap, { color: true });
    expect(coloured[1]).toContain('\x1b[33m120\x1b[0m');
    expect(coloured[1]).toContain('\x1b[31m4\x1b[0m');
    expect(formatStatusBlock({ ...snap, windowS: 0, totalMs: undefined, phase: undefined })).toEqual([
      'limitprobe  12.3s',
      'sent 1,234  ok 1,100  429 120 (req 100, tok 20, other 0)  errors 4  dropped 10',
      'last 5s: waiting for the first complete second',
    ]);
  });

  it('formats the plain line', () => {
    expect(formatProgressLine(snap)).toBe(
      '[12.3s/30.0s] request-flood  sent 1234  ok 1100  429 120 (req 100, tok 20, other 0)  errors 4  dropped 10  | last 5s: 120 req/s, 9,800 tok/s, p95 812ms',
    );
    expect(formatProgressLine({ ...snap, elapsedMs: 75_000, totalMs: 120_000, windowS: 0 })).toBe(
      '[1m15s/2m00s] request-flood  sent 1234  ok 1100  429 120 (req 100, tok 20, other 0)  errors 4  dropped 10',
    );
  });

  it('redraws in place with cursor movement and clears leftovers', () => {
    expect(redraw(0, ['a', 'b'])).toBe('\x1b[2Ka\n\x1b[2Kb\n');
    expect(redraw(2, ['c', 'd'])).toBe('\x1b[2F\x1b[2Kc\n\x1b[2Kd\n');
    expect(redraw(3, ['e'])).toBe('\x1b[3F\x1b[2Ke\n\x1b[0J');
    expect(redraw(2, ['x', 'y'], ['note'])).toBe('\x1b[2F\x1b[2Knote\n\x1b[2Kx\n\x1b[2Ky\n');
  });

  it('chooses tty only for a TTY without CI', () => {
    const tty = Object.assign(new Sink(), { isTTY: true });
    expect(resolveMode(tty, { env: {} })).toBe('tty');
    expect(resolveMode(tty, { env: { CI: 'true' } })).toBe('lines');
    expect(resolveMode(tty, { env: { CI: 'false' } })).toBe('tty');
    expect(resolveMode(new Sink(), { env: {} })).toBe('lines');
    expect(resolveMode(tty, { mode: 'off' })).toBe('off');
  });
});

describe('createProgress (shell, fake time, no timers awaited)', () => {
  it('lines mode: header, phase line, and a final line on stop', () => {
    const out = new Sink();
    let t = 1000;
    const p = createProgress(out, { mode: 'lines', now: () => t });
    p.start(scenario);
    t = 1500;
    p.event({ type: 'phase-start', phase: 'a', atMs: 0 });
    p.event(attempt('ok', 0, 10, 3));
    t = 3500;
    p.note('note line');
    p.stop();
    p.stop();
    expect(out.text.split('\n')).toEqual([
      'limitprobe: demo — 2 phase(s), 30 s, target embedded mock (qwen2)',
      'phase a started at 0.0 s',
      'note line',
      '[2.0s/30.0s] a  sent 1  ok 1  429 0 (req 0, tok 0, other 0)  errors 0  dropped 0  | last 2s: 0.5 req/s, 1.5 tok/s, p95 9.93ms', // 10 ms, bucketed (±1 %)
      '',
    ]);
  });

  it('tty mode: the block is redrawn in place, notes go above it', () => {
    const out = Object.assign(new Sink(), { isTTY: true });
    let t = 0;
    const p = createProgress(out, { mode: 'tty', color: false, now: () => t });
    p.start(scenario);
    p.event({ type: 'phase-start', phase: 'a', atMs: 0 });
    t = 500;
    p.note('threshold failed');
    t = 1000;
    p.stop();
    const after = out.text.split('\n').slice(1).join('\n');
    expect(after.startsWith('\x1b[2Kthreshold failed\n\x1b[2Klimitprobe  0.5s / 30.0s')).toBe(true);
    expect(after).toContain('\x1b[3F\x1b[2Klimitprobe  1.0s / 30.0s');
  });

  it('off mode writes nothing; the old numeric second argument still works', () => {
    const out = new Sink();
    const p = createProgress(out, { mode: 'off' });
    p.start(scenario);
    p.event(attempt('ok', 0, 1));
    p.stop();
    expect(out.text).toBe('');
    const legacy = createProgress(new Sink(), 5_000);
    legacy.start(scenario);
    legacy.stop();
  });
});
