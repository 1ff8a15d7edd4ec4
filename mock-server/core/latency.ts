/**
 * Response timing of one request: time to first token, then one token every 1000/TPS ms.
 * Seeded per request (createRng(seed, 'latency', requestIndex)), so a request's timing does not
 * depend on what other requests drew.
 */
import { createRng } from '../../src/plan/rng.js';

export interface LatencyModel {
  /** Time to first token in ms (before jitter), excluding prefill. */
  ttftMs: number;
  /** Output speed. 0 or Infinity = every token at TTFT (no generation time). */
  tokensPerSecond: number;
  /** Relative jitter in [0, 1): TTFT and TPS are each scaled by a uniform factor in [1 − j, 1 + j]. */
  jitter: number;
  /** Prompt processing speed added to TTFT (prompt tokens / this × 1000 ms). 0 or absent = none. */
  prefillTokensPerSecond?: number;
}

export const INSTANT: LatencyModel = { ttftMs: 0, tokensPerSecond: 0, jitter: 0 };

export interface Timing {
  /** Offset of the first token from admission, ms. */
  ttftMs: number;
  /** Gap between tokens, ms (0 = all at once). */
  interTokenMs: number;
}

export function planTiming(model: LatencyModel, seed: number, requestIndex: number, promptTokens = 0): Timing {
  const j = Math.min(Math.max(model.jitter || 0, 0), 0.99);
  let ttft = Math.max(0, model.ttftMs || 0);
  const tps = model.tokensPerSecond;
  let itl = tps > 0 && Number.isFinite(tps) ? 1000 / tps : 0;
  if (j > 0) {
    const rng = createRng(seed, 'latency', requestIndex);
    ttft *= 1 + j * (2 * rng.next() - 1);
    itl /= 1 + j * (2 * rng.next() - 1);
  }
  const pre = model.prefillTokensPerSecond;
  if (pre && pre > 0 && Number.isFinite(pre)) ttft += (promptTokens * 1000) / pre;
  return { ttftMs: ttft, interTokenMs: itl };
}

/** Offset (ms from admission) at which token `i` (0-based) is due. */
export function tokenDueMs(t: Timing, i: number): number {
  return t.ttftMs + i * t.interTokenMs;
}

/** Offset at which the whole completion of `n` tokens is done. */
export function completionMs(t: Timing, n: number): number {
  return n > 0 ? t.ttftMs + (n - 1) * t.interTokenMs : t.ttftMs;
}

/** How many of `n` tokens are due `elapsed` ms after admission. */
export function tokensDueBy(t: Timing, elapsed: number, n: number): number {
  if (elapsed < t.ttftMs) return 0;
  if (t.interTokenMs <= 0) return n;
  const k = Math.floor((elapsed - t.ttftMs) / t.interTokenMs + 1e-9) + 1;
  return k < n ? k : n;
}
