/** Limit algorithms and rules (§7 items 2, 6, 8, 9; runtime changes; concurrency; RPD/TPD), on a VirtualClock. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { checkAt, creditAt, debitAt, viewAt } from '../../mock-server/core/limiter.js';
import { burstTake, type BurstSpec } from '../../mock-server/core/burst.js';
import { buildRules, DEFAULT_ENFORCEMENT } from '../../mock-server/core/rules.js';
import { MockCore, type MockCoreOptions } from '../../mock-server/core/core.js';
import type { BucketSpec, BucketState } from '../../mock-server/core/bucket.js';

const INSTANT = { ttftMs: 0, tokensPerSecond: 0, jitter: 0 };
function core(opts: MockCoreOptions = {}) {
  const clock = new VirtualClock(0);
  const c = new MockCore({ latency: INSTANT, clock, rpm: 1_000_000, tpm: 1_000_000_000, ...opts });
  return { clock, c, m: c.defaultModel };
}
const small = { promptTokens: 1, maxTokens: 1 };

describe('fixed window', () => {
  const spec: BucketSpec = { limit: 100, windowMs: 60_000, algorithm: 'fixed' };
  it('counts per aligned window, waits until the window ends, resets to full at the boundary', () => {
    let s: BucketState | undefined;
    s = debitAt(spec, s, 10_000, 90);
    expect(viewAt(spec, s, 10_000)).toEqual({ limit: 100, remaining: 10, resetMs: 50_000 });
    const d = checkAt(spec, s, 30_000, 20);
    expect(d).toMatchObject({ ok: false, used: 90, waitMs: 30_000, never: false });
    expect(checkAt(spec, s, 60_000, 100).ok).toBe(true); // new window
    expect(viewAt(spec, s, 60_000)).toEqual({ limit: 100, remaining: 100, resetMs: 0 });
    expect(checkAt(spec, s, 0, 101)).toMatchObject({ ok: false, never: true });
    s = creditAt(spec, s, 20_000, 40);
    expect(viewAt(spec, s, 20_000).remaining).toBe(50);
  });
});

describe('sliding window counter', () => {
  const spec: BucketSpec = { limit: 100, windowMs: 1000, algorithm: 'sliding' };
  it('weights the previous window by its remaining overlap', () => {
    let s: BucketState | undefined = debitAt(spec, undefined, 500, 100); // window [0,1000) full
    expect(checkAt(spec, s, 999, 1).ok).toBe(false);
    // At 1250 the previous window counts 75 %: used 75, 25 free.
    expect(viewAt(spec, s, 1250).remaining).toBe(25);
    expect(checkAt(spec, s, 1250, 25).ok).toBe(true);
    const d = checkAt(spec, s, 1250, 50);
    expect(d.ok).toBe(false);
    // needs 25 more to drain at 100 per 1000 ms → 250 ms
    expect(!d.ok && d.waitMs).toBeCloseTo(250, 6);
    s = debitAt(spec, s, 1250, 25);
    expect(viewAt(spec, s, 1250)).toEqual({ limit: 100, remaining: 0, resetMs: 1750 });
    expect(viewAt(spec, s, 3000).remaining).toBe(100);
  });
});

describe('counter (max concurrent)', () => {
  it('admits up to the limit, refuses the next, frees a slot when a response finishes', () => {
    const { c, m } = core({ maxConcurrent: 2 });
    const a = c.admit(m, small);
    const b = c.admit(m, small);
    expect(a.ok && b.ok).toBe(true);
    const r = c.admit(m, small);
    expect(!r.ok && r.decision).toMatchObject({ kind: 'rate_limited', rule: 'concurrent', dimension: 'requests', limit: 2 });
    if (a.ok) c.finish(a.ticket, 1);
    expect(c.admit(m, small).ok).toBe(true);
  });
});

describe('§7.8 sub-minute layer', () => {
  it('600 RPM, 20 requests in 50 ms: all admitted in burst mode, refused after the 10th with 1 s quantization', () => {
    for (const [subMinute, admitted] of [['none', 20], ['1s', 10]] as const) {
      const { clock, c, m } = core({ rpm: 600, enforcement: { subMinute } });
      let ok = 0;
      for (let i = 0; i < 20; i++) {
        clock.advance(2.5);
        if (c.admit(m, small).ok) ok++;
      }
      expect(ok).toBe(admitted);
    }
  });

  it("Azure: requests per 10 s at RPM/6 (a 600 RPM deployment refuses the 101st request in a burst)", () => {
    const { c, m } = core({ dialect: 'azure', profile: 'azure', rpm: 600, tpm: 1_000_000 });
    let ok = 0;
    for (let i = 0; i < 120; i++) if (c.admit(m, small).ok) ok++;
    expect(ok).toBe(100);
    expect(c.ruleViews(m).rp10s).toMatchObject({ limit: 100, remaining: 0 });
  });

  it('a request larger than a sub-minute layer is not impossible: it needs a full layer', () => {
    const rules = buildRules('s', 'm', { rpm: 60, tpm: 6000 }, { ...DEFAULT_ENFORCEMENT, subMinute: '1s' });
    expect(rules.map((r) => [r.name, r.spec.limit])).toEqual([
      ['rpm', 60],
      ['rps', 1],
      ['tpm', 6000],
      ['tps', 100],
    ]);
    const { c, m } = core({ rpm: 60, tpm: 6000, enforcement: { subMinute: '1s' } });
    expect(c.admit(m, { promptTokens: 10, maxTokens: 490 }).ok).toBe(true); // 500 > TPS 100, but the TPS bucket is full
  });
});

describe('§7.9 whether rejected requests count', () => {
  it('default: a 429 costs nothing; rejectedConsumeRequests: it costs one request', () => {
    for (const [consume, remaining] of [[false, 9], [true, 8]] as const) {
      const { c, m } = core({ rpm: 10, tpm: 100, rejectedConsumeRequests: consume });
      expect(c.admit(m, { promptTokens: 50, maxTokens: 50 }).ok).toBe(true);
      expect(c.admit(m, small).ok).toBe(false); // TPM short
      expect(c.state().buckets.requests.remaining).toBe(remaining);
    }
  });
});

describe('§7.6 which limit a 429 names when both are short', () => {
  it("'requests' (default), 'tokens', 'longer-wait'", () => {
    const names: string[] = [];
    for (const bothExhausted of ['requests', 'tokens', 'longer-wait'] as const) {
      const { c, m } = core({ rpm: 1, tpm: 100, bothExhausted });
      expect(c.admit(m, { promptTokens: 50, maxTokens: 50 }).ok).toBe(true);
      const r = c.admit(m, { promptTokens: 1, maxTokens: 1 });
      names.push(!r.ok && r.decision.kind === 'rate_limited' ? `${r.decision.rule}:${Math.round(r.decision.waitMs)}` : 'admitted');
    }
    // RPM wait 60 s; TPM wait (100 + 2 − 100) × 600 ms = 1.2 s
    expect(names).toEqual(['rpm:60000', 'tpm:1200', 'rpm:60000']);
  });
});

describe('validation before limits (setting)', () => {
  it('validateFirst false: an over-long request is still charged before its 400', () => {
    const { c, m } = core({ rpm: 5, contextWindow: 100, validateFirst: false });
    const r = c.admit(m, { promptTokens: 90, maxTokens: 50 });
    expect(!r.ok && r.decision.kind).toBe('context_exceeded');
    expect(c.state().buckets.requests.remaining).toBe(4);
    const { c: c2, m: m2 } = core({ rpm: 5, contextWindow: 100 });
    c2.admit(m2, { promptTokens: 90, maxTokens: 50 });
    expect(c2.state().buckets.requests.remaining).toBe(5);
  });
});

describe('per-day limits', () => {
  it('RPD and TPD are buckets over 24 h', () => {
    const { clock, c, m } = core({ rpd: 2, tpd: 1000 });
    expect(c.admit(m, small).ok).toBe(true);
    expect(c.admit(m, small).ok).toBe(true);
    const r = c.admit(m, small);
    expect(!r.ok && r.decision).toMatchObject({ rule: 'rpd', waitMs: 43_200_000 });
    clock.advance(43_200_000);
    expect(c.admit(m, small).ok).toBe(true);
    const t = c.admit(m, { promptTokens: 1, maxTokens: 2000 });
    expect(!t.ok && t.decision).toMatchObject({ kind: 'request_too_large', rule: 'tpd' });
  });
});

describe('runtime limit changes', () => {
  it('a quota cut mid-run caps what is left; a raise refills from there', () => {
    const { clock, c, m } = core({ rpm: 600, tpm: 1_000_000 });
    for (let i = 0; i < 100; i++) expect(c.admit(m, small).ok).toBe(true);
    expect(c.state().buckets.requests).toMatchObject({ limit: 600, remaining: 500 });
    c.setLimits({ rpm: 60 });
    expect(c.state().buckets.requests).toMatchObject({ limit: 60, remaining: 60 });
    for (let i = 0; i < 60; i++) c.admit(m, small);
    const r = c.admit(m, small);
    expect(!r.ok && r.decision).toMatchObject({ rule: 'rpm', limit: 60, waitMs: 1000 });
    clock.advance(1000);
    c.setLimits({ rpm: 6000, model: m.id });
    expect(c.state().buckets.requests).toMatchObject({ limit: 6000, remaining: 1 });
    expect(() => c.setLimits({ rpm: 0 })).toThrow(/invalid limit change/);
    expect(() => c.setLimits({ model: 'nope', rpm: 1 })).toThrow(/invalid limit change/);
  });
});

describe('burst guard (§7.10)', () => {
  const b: BurstSpec = { factor: 3, windowMs: 1000, minRequests: 2, trailingWindows: 10 };
  it('refuses a jump above factor × the trailing rate, allows a steady rate', () => {
    let s: BucketState | undefined;
    // Steady 2 per second for 30 s: never refused.
    for (let sec = 0; sec < 30; sec++) {
      for (let k = 0; k < 2; k++) {
        const r = burstTake(b, s, sec * 1000 + k * 10);
        expect(r.ok).toBe(true);
        s = r.state;
      }
    }
    // Trailing ≈ 1.9/s → ceiling ≈ 5.7: the 6th request in one second is refused.
    let ok = 0;
    for (let k = 0; k < 10; k++) {
      const r = burstTake(b, s, 30_000 + k);
      if (r.ok) ok++;
      s = r.state;
    }
    expect(ok).toBe(5);
  });

  it('in the core: limit_burst_rate below RPM', () => {
    const { c, m } = core({ rpm: 6000, burst: { factor: 2, minRequests: 3 } });
    const out = Array.from({ length: 5 }, () => c.admit(m, small));
    expect(out.map((a) => a.ok)).toEqual([true, true, true, false, false]);
    expect(!out[3]!.ok && out[3]!.decision).toMatchObject({ kind: 'rate_limited', rule: 'burst' });
  });
});

describe('§7.3 admission estimate modes', () => {
  it("tokenEstimate 'chars/4' charges the character estimate; usage and refunds still use the tokenizer", async () => {
    const { inProcess } = await import('../../mock-server/testing.js');
    const content = 'aaaa '.repeat(100); // 500 chars → estimate 125; the tokenizer counts far fewer
    for (const tokenEstimate of ['tokenizer', 'chars/4'] as const) {
      const { c } = core({ tpm: 10_000, tokenEstimate, refundUnused: false });
      const res = await inProcess(c).post('/v1/chat/completions', { messages: [{ role: 'user', content }], max_tokens: 10 });
      const usage = ((await res.json()) as { usage: { prompt_tokens: number } }).usage;
      const charged = c.state().tokens.charged;
      if (tokenEstimate === 'chars/4') expect(charged).toBe(125 + 10);
      else expect(charged).toBe(usage.prompt_tokens + 10);
    }
  });

  it("tokenReserve 'max': max(prompt, n × max_tokens), OpenAI's literal doc sentence", () => {
    const { c, m } = core({ tpm: 10_000, tokenReserve: 'max' });
    const a = c.admit(m, { promptTokens: 100, maxTokens: 4000 });
    expect(a.ok && a.ticket.cost).toBe(4000);
    const b = c.admit(m, { promptTokens: 300, maxTokens: 10 });
    expect(b.ok && b.ticket.cost).toBe(300);
  });

  it('a 3,000 TPM limit with a 100-token prompt and max_tokens 4,000 gives a 429', () => {
    const { c, m } = core({ tpm: 3000 });
    const r = c.admit(m, { promptTokens: 100, maxTokens: 4000 });
    expect(!r.ok && r.decision).toMatchObject({ kind: 'request_too_large', limit: 3000, requested: 4100 });
  });
});

describe('§7.24 headers flush at admission or at TTFT', () => {
  it("flushHeadersAt 'ttft' holds a stream's headers until its first token", async () => {
    const { inProcess } = await import('../../mock-server/testing.js');
    for (const flushHeadersAt of ['admission', 'ttft'] as const) {
      const { clock, c } = core({ flushHeadersAt, latency: { ttftMs: 500, tokensPerSecond: 0, jitter: 0 } });
      let headersAt = -1;
      const p = inProcess(c).post('/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }], max_tokens: 2, stream: true }).then((r) => ((headersAt = clock.now()), r));
      for (let i = 0; i < 10; i++) {
        await new Promise((r) => setImmediate(r));
        clock.advance(100);
      }
      await (await p).text();
      expect(headersAt).toBe(flushHeadersAt === 'ttft' ? 500 : 0);
    }
  });
});
