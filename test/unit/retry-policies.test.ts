import { describe, expect, it } from 'vitest';
import type { AttemptResult, PlannedRequest } from '../../src/exec/ports.js';
import {
  AdaptiveThrottle,
  AimdLimiter,
  backoffMs,
  ClientPolicy,
  CubicLimiter,
  DebtBucket,
  isRetryable,
  NAIVE_MAX_ATTEMPTS,
  PacingLimiter,
  PRESETS,
  resolveRetrySpec,
  RetryBudget,
} from '../../src/client/retry/index.js';
import { createRng } from '../../src/plan/rng.js';

const seq = (...v: number[]) => {
  let i = 0;
  return { next: () => v[i++ % v.length]! };
};

const req = (id = 1, over: Partial<PlannedRequest> = {}): PlannedRequest => ({
  requestId: id,
  group: 'default',
  phase: 'p',
  targetedStartMs: 0,
  model: 'm',
  messages: [],
  promptTokens: 100,
  maxTokens: 50,
  stream: false,
  ...over,
});

const r429 = (over: Partial<AttemptResult> = {}): AttemptResult => ({
  promptTokensEstimate: 100,
  endMs: 0,
  status: 429,
  outcome: 'rate_limited_tokens',
  errorCode: 'rate_limit_exceeded',
  ...over,
});
const ok = (over: Partial<AttemptResult> = {}): AttemptResult => ({ promptTokensEstimate: 100, endMs: 0, status: 200, outcome: 'ok', completionTokens: 10, ...over });

describe('backoff formulas', () => {
  it('exponential, capped, no randomness', () => {
    const b = { type: 'exponential', baseMs: 500, capMs: 8000 } as const;
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffMs(b, n, seq(0.5)))).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
  });
  it('full jitter is U·expo, equal jitter expo/2 + U·expo/2', () => {
    expect(backoffMs({ type: 'full-jitter', baseMs: 500, capMs: 20000 }, 2, seq(0.25))).toBe(500);
    expect(backoffMs({ type: 'equal-jitter', baseMs: 500, capMs: 20000 }, 2, seq(0.5))).toBe(1500);
  });
  it('decorrelated jitter: min(cap, U(base, 3·prev)) from base', () => {
    const st = {};
    const b = { type: 'decorrelated-jitter', baseMs: 100, capMs: 1000 } as const;
    expect(backoffMs(b, 0, seq(1 - 1e-12), st)).toBeCloseTo(300);
    expect(backoffMs(b, 1, seq(1 - 1e-12), st)).toBeCloseTo(900);
    expect(backoffMs(b, 2, seq(1 - 1e-12), st)).toBe(1000);
  });
  it('stainless: min(0.5·2^n, 8)·(1 − 0.25U): retry 1 in (375, 500], retry 2 in (750, 1000]', () => {
    const b = PRESETS['openai-node'].backoff;
    expect(backoffMs(b, 0, seq(0))).toBe(500);
    expect(backoffMs(b, 0, seq(0.999999))).toBeCloseTo(375, 0);
    expect(backoffMs(b, 1, seq(0))).toBe(1000);
    expect(backoffMs(b, 5, seq(0))).toBe(8000);
  });
  it('p-retry (LangChain): 1 s · 2^n · U[1, 2)', () => {
    const b = PRESETS.langchain.backoff;
    expect(backoffMs(b, 0, seq(0))).toBe(1000);
    expect(backoffMs(b, 5, seq(0.5))).toBe(48000);
  });
});

describe('fatal vs retryable', () => {
  it('by outcome: quota and context never, rate limits and 5xx yes, request too large never', () => {
    expect(isRetryable(r429())).toBe(true);
    expect(isRetryable(r429({ outcome: 'quota_exhausted', errorCode: 'insufficient_quota' }))).toBe(false);
    expect(isRetryable({ ...r429(), status: 400, outcome: 'context_exceeded' })).toBe(false);
    expect(isRetryable(r429({ errorCode: 'request_too_large' }))).toBe(false);
    expect(isRetryable({ ...r429(), status: 500, outcome: 'server_error' })).toBe(true);
    expect(isRetryable({ ...r429(), status: undefined, outcome: 'timeout' })).toBe(true);
    expect(isRetryable({ ...r429(), status: 400, outcome: 'bad_request' })).toBe(false);
  });
  it('status rules never retry quota_exhausted either (a fatal 429)', () => {
    expect(isRetryable(r429({ outcome: 'quota_exhausted' }), 'status-408-409-429-5xx')).toBe(false);
    expect(isRetryable(r429({ outcome: 'quota_exhausted' }), '429-only')).toBe(false);
    expect(isRetryable({ ...r429(), status: 409, outcome: 'bad_request' }, 'status-408-409-429-5xx')).toBe(true);
    expect(isRetryable({ ...r429(), status: 409, outcome: 'bad_request' }, 'not-4xx')).toBe(false);
    expect(isRetryable({ ...r429(), status: 500, outcome: 'server_error' }, '429-only')).toBe(false);
  });
});

describe('presets', () => {
  it('openai-node honours retry-after only ≤ 60 s, else its short backoff (an early retry)', () => {
    const p = new ClientPolicy({ preset: 'openai-node' }, { rng: seq(0) });
    expect(p.afterAttempt(req(), 1, r429({ retryAfterMs: 30_000 }), 1000)).toEqual({ retry: true, atMs: 31_000 });
    expect(p.afterAttempt(req(), 2, r429({ retryAfterMs: 90_000 }), 1000)).toEqual({ retry: true, atMs: 2000 });
    expect(p.afterAttempt(req(), 3, r429({ retryAfterMs: 1 }), 1000)).toEqual({ retry: false, reason: 'attempts_exhausted' });
  });
  it('anthropic obeys any retry-after; openai-python fails beyond 120 s', () => {
    const a = new ClientPolicy({ preset: 'anthropic' }, { rng: seq(0) });
    expect(a.afterAttempt(req(), 1, r429({ retryAfterMs: 90_000 }), 0)).toEqual({ retry: true, atMs: 90_000 });
    const py = new ClientPolicy({ preset: 'openai-python' }, { rng: seq(0) });
    expect(py.afterAttempt(req(), 1, r429({ retryAfterMs: 121_000 }), 0)).toEqual({ retry: false, reason: 'retry_after_too_long' });
    expect(py.afterAttempt(req(), 1, r429({ retryAfterMs: 119_000 }), 0)).toEqual({ retry: true, atMs: 119_000 });
  });
  it('vercel-ai: 2 s then 4 s without jitter; a long header shorter than the backoff is still used', () => {
    const v = new ClientPolicy({ preset: 'vercel-ai' }, { rng: seq(0.7) });
    expect(v.afterAttempt(req(), 1, r429(), 0)).toEqual({ retry: true, atMs: 2000 });
    expect(v.afterAttempt(req(), 2, r429(), 0)).toEqual({ retry: true, atMs: 4000 });
    expect(v.afterAttempt(req(2), 1, r429({ retryAfterMs: 70_000 }), 0)).toEqual({ retry: true, atMs: 2000 });
  });
  it('langchain ignores retry-after and makes 7 attempts', () => {
    const l = new ClientPolicy({ preset: 'langchain' }, { rng: seq(0) });
    expect(l.afterAttempt(req(), 1, r429({ retryAfterMs: 30_000 }), 0)).toEqual({ retry: true, atMs: 1000 });
    expect(l.afterAttempt(req(), 6, r429(), 0)).toEqual({ retry: true, atMs: 32_000 });
    expect(l.afterAttempt(req(), 7, r429(), 0).retry).toBe(false);
  });
  it('naive: a fixed 10 s on 429 only, bounded by the safety limit', () => {
    const n = new ClientPolicy({ preset: 'naive' }, { rng: seq(0) });
    expect(n.afterAttempt(req(), 1, r429({ retryAfterMs: 100 }), 5)).toEqual({ retry: true, atMs: 10_005 });
    expect(n.afterAttempt(req(), 1, { ...r429(), status: 500, outcome: 'server_error' }, 5).retry).toBe(false);
    expect(n.afterAttempt(req(), NAIVE_MAX_ATTEMPTS, r429(), 5)).toEqual({ retry: false, reason: 'attempts_exhausted' });
  });
  it('explicit fields override a preset one level deep; unknown presets are refused', () => {
    const s = resolveRetrySpec({ preset: 'openai-node', maxAttempts: 5, retryAfter: { honor: true, capMs: 10_000 } });
    expect(s.maxAttempts).toBe(5);
    expect(s.retryAfter).toEqual({ honor: true, capMs: 10_000, beyondCap: 'backoff' });
    expect(s.backoff).toEqual(PRESETS['openai-node'].backoff);
    expect(() => resolveRetrySpec({ preset: 'nope' })).toThrow(/unknown retry preset "nope"/);
  });
  it('the Retry-After-aware policy never retries before the advice; x-ratelimit-reset when no retry-after', () => {
    const p = new ClientPolicy({ preset: 'retry-after' }, { rng: createRng(1, 't') });
    for (let i = 0; i < 50; i++) {
      const v = p.afterAttempt(req(i), 1, r429({ retryAfterMs: 1234 }), 100);
      expect(v.retry && v.atMs >= 1334 && v.atMs <= 1334 + 250).toBe(true);
    }
    const v = p.afterAttempt(req(99), 1, r429({ rateLimit: { resetTokensMs: 700, resetRequestsMs: 5 } }), 0);
    expect(v.retry && v.atMs >= 700).toBe(true);
  });
  it('a success, a fatal answer and an exhausted request all end the request', () => {
    const p = new ClientPolicy({ preset: 'full-jitter' }, { rng: seq(0.5) });
    expect(p.afterAttempt(req(1), 1, ok(), 0)).toEqual({ retry: false, reason: 'ok' });
    expect(p.afterAttempt(req(2), 1, r429({ outcome: 'quota_exhausted' }), 0)).toEqual({ retry: false, reason: 'fatal' });
    expect(p.open).toBe(0);
  });
});

describe('limiters', () => {
  it('a debt bucket reserves ahead, FIFO', () => {
    const b = new DebtBucket(10, 1 / 100); // 10 units, 1 per 100 ms
    expect(b.take(10, 0)).toBe(0);
    expect(b.take(1, 0)).toBeCloseTo(100);
    expect(b.take(1, 0)).toBeCloseTo(200);
    expect(b.take(1, 1000)).toBeCloseTo(0); // refilled 10, minus 3 taken
  });
  it('pacing reserves prompt + max_tokens against TPM and one request against RPM, refunds the unused output', () => {
    const p = new PacingLimiter(60, 600, { burstSeconds: 1 }); // 1 req/s, 10 tok/s; capacity 1 s
    const c = { promptTokens: 5, maxTokens: 5 };
    expect(p.reserve(c, 0)).toBe(0);
    expect(p.reserve(c, 0)).toBeCloseTo(1000);
    p.settle(c, ok({ completionTokens: 0 }), 0); // 5 tokens back
    expect(p.reserve(c, 0)).toBeCloseTo(2000); // the request bucket binds now
  });
  it('pacing pauses after a 429 when asked (cookbook: 15 s)', () => {
    const p = new PacingLimiter(6000, 6_000_000, { pauseAfter429Ms: 15_000 });
    const c = { promptTokens: 5, maxTokens: 5 };
    p.settle(c, r429(), 1000);
    expect(p.reserve(c, 2000)).toBe(16_000);
  });
  it('CUBIC (AWS adaptive) is off until the first throttle, then cuts to β·rate and grows back', () => {
    const l = new CubicLimiter({ type: 'cubic' }, 0);
    const c = { promptTokens: 1, maxTokens: 1 };
    for (let t = 0; t < 5000; t += 100) {
      expect(l.reserve(c, t)).toBe(t);
      l.settle(c, ok(), t + 50);
    }
    expect(l.active).toBe(false);
    l.settle(c, r429(), 5000);
    expect(l.active).toBe(true);
    const cut = l.rate;
    expect(cut).toBeGreaterThan(0.5);
    expect(cut).toBeLessThan(10);
    let t = 5000;
    for (let i = 0; i < 200; i++) {
      t = l.reserve(c, t);
      l.settle(c, ok(), t);
    }
    expect(l.rate).toBeGreaterThan(cut);
  });
  it('AIMD halves on a throttle (once per second), then adds', () => {
    const l = new AimdLimiter({ type: 'aimd', unit: 'requests', increasePerSec: 1 });
    const c = { promptTokens: 1, maxTokens: 1 };
    for (let t = 0; t < 3000; t += 100) l.reserve(c, t); // 10 req/s measured
    l.settle(c, r429(), 3000);
    const r1 = l.currentRate;
    expect(r1).toBeGreaterThan(3);
    expect(r1).toBeLessThan(7);
    l.settle(c, r429(), 3100); // same herd: ignored
    expect(l.currentRate).toBe(r1);
    l.settle(c, ok(), 5000);
    expect(l.currentRate).toBeGreaterThan(r1);
  });
  it('SRE retry budget: retries ≤ 10 % of first attempts', () => {
    const b = new RetryBudget({ ratio: 0.1 });
    for (let i = 0; i < 20; i++) b.onFirstAttempt();
    expect(b.tryRetry(r429()).ok).toBe(true);
    expect(b.tryRetry(r429()).ok).toBe(true);
    expect(b.tryRetry(r429()).ok).toBe(false);
  });
  it('AWS retry quota: 500 tokens, 5 per retry, 10 per timeout retry, refunds on success', () => {
    const b = new RetryBudget(PRESETS['aws-standard'].budget);
    let n = 0;
    while (b.tryRetry(r429()).ok) n++;
    expect(n).toBe(100);
    b.onSuccess(5);
    expect(b.quotaLeft).toBe(5);
    expect(b.tryRetry({ ...r429(), outcome: 'timeout' }).ok).toBe(false);
  });
  it('SRE adaptive throttling rejects with max(0, (requests − K·accepts)/(requests + 1))', () => {
    const t = new AdaptiveThrottle({ k: 2, windowMs: 120_000 }, seq(0.999));
    for (let i = 0; i < 10; i++) t.admit(i)!.accepted(false, i);
    expect(t.probability(10)).toBeCloseTo(10 / 11);
    const t2 = new AdaptiveThrottle({ k: 2, windowMs: 120_000 }, seq(0));
    for (let i = 0; i < 10; i++) t2.admit(i)?.accepted(i % 2 === 0, i);
    expect(t2.probability(10)).toBe(0); // 10 − 2·5 = 0
    expect(t2.probability(200_000)).toBe(0); // window expired
  });
  it('a policy with a throttle rejects locally once the backend refuses everything', () => {
    const p = new ClientPolicy({ preset: 'sre' }, { rng: seq(0.01) });
    let rejected = 0;
    for (let i = 0; i < 50; i++) {
      const g = p.beforeSend(req(i), 1, i);
      if (g.kind === 'reject') rejected++;
      else p.afterAttempt(req(i), 1, r429(), i);
    }
    expect(rejected).toBeGreaterThan(30);
  });
  it('pacing derives rpm/tpm from the shared limits × headroom × share', () => {
    const p = new ClientPolicy({ preset: 'pacing' }, { rng: seq(0), limits: { rpm: 800, tpm: 800_000 }, share: 1 / 4 });
    const g = p.beforeSend(req(1, { promptTokens: 100_000, maxTokens: 100_000 }), 1, 0); // 200k = a quarter's full minute
    expect(g).toEqual({ kind: 'go', atMs: 0 });
    const g2 = p.beforeSend(req(2, { promptTokens: 1000, maxTokens: 0 }), 1, 0);
    expect(g2.kind === 'go' && g2.atMs).toBeCloseTo(1000 / (200_000 / 60_000));
    expect(() => new ClientPolicy({ preset: 'pacing' }, { rng: seq(0) })).toThrow(/pacing needs rpm and tpm/);
  });
});
