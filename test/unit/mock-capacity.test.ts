/**
 * Burst ≠ refill: a bucket whose capacity C differs from its refill L per minute
 * (rpmCapacity / tpmCapacity). The arithmetic, the headers (limit = L, remaining = content,
 * reset = time until C again), the 429 wording, configuration errors, and the same decisions
 * through the shared limiter store (memory twin always; Redis when LIMITPROBE_REDIS_URL is set).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { ConfigError } from '../../src/errors.js';
import { check, debit, levelAt, viewOf, type BucketSpec } from '../../mock-server/core/bucket.js';
import { MockCore, type MockCoreOptions } from '../../mock-server/core/core.js';
import { inProcess } from '../../mock-server/testing.js';
import { connectRedisStore, MemoryLimiterStore, type LimiterStore, type StoreDecision, type StoreDim } from '../../mock-server/store/index.js';
import { REDIS_URL, redisGate, testPrefix } from '../../mock-server/store/testing.js';
import { parseApiKeySpec } from '../../mock-server/cli-options.js';

const one = { promptTokens: 1, maxTokens: 1 };

function core(o: Omit<MockCoreOptions, 'clock'>) {
  const clock = new VirtualClock(0);
  const c = new MockCore({ profile: 'qwen2', seed: 1, latency: { ttftMs: 0, tokensPerSecond: 0, jitter: 0 }, ...o, clock });
  return { c, m: c.defaultModel, clock };
}

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('bucket arithmetic with capacity ≠ refill', () => {
  // 60 per minute (1 per second), capacity 10.
  const small: BucketSpec = { limit: 60, windowMs: 60_000, capacity: 10 };
  // 60 per minute, capacity 150.
  const big: BucketSpec = { limit: 60, windowMs: 60_000, capacity: 150 };

  it('starts at the capacity, refills at the rate, caps at the capacity', () => {
    expect(levelAt(small, undefined, 0)).toBe(10);
    expect(levelAt(big, undefined, 0)).toBe(150);
    const s = debit(small, undefined, 0, 10);
    expect(levelAt(small, s, 2_000)).toBeCloseTo(2, 9); // 1 per second
    expect(levelAt(small, s, 60_000)).toBe(10); // capped at C, not at L = 60
    const b = debit(big, undefined, 0, 150);
    expect(levelAt(big, b, 60_000)).toBeCloseTo(60, 9); // a minute refills L, not C
    expect(levelAt(big, b, 150_000)).toBe(150);
  });

  it('view: limit = the rate, remaining = content, reset = time to capacity at the rate', () => {
    expect(viewOf(small, 7)).toEqual({ limit: 60, capacity: 10, remaining: 7, resetMs: 3_000 });
    expect(viewOf(big, 149)).toEqual({ limit: 60, capacity: 150, remaining: 149, resetMs: 1_000 });
    expect(viewOf({ limit: 60, windowMs: 60_000 }, 59)).toEqual({ limit: 60, remaining: 59, resetMs: 1_000 });
  });

  it('refusal: used = C − ⌊level⌋, wait = (used + R − C) × window / L, never when R > C', () => {
    const s = debit(small, undefined, 0, 9.5); // level 0.5
    expect(check(small, s, 0, 1)).toEqual({ ok: false, level: 0.5, used: 10, waitMs: 1_000, never: false });
    expect(check(small, s, 0, 11)).toMatchObject({ ok: false, never: true });
    expect(check(big, undefined, 0, 100)).toMatchObject({ ok: true }); // above L = 60, within C
  });
});

describe('MockCore rpmCapacity / tpmCapacity', () => {
  it('rpm 60 with capacity 10: ten at once, the eleventh refused, one more per second', () => {
    const { c, m, clock } = core({ rpm: 60, tpm: 1_000_000, rpmCapacity: 10 });
    const out = Array.from({ length: 11 }, () => c.admit(m, one));
    expect(out.map((a) => a.ok)).toEqual([...Array(10).fill(true), false]);
    const refused = out[10]!;
    expect(!refused.ok && refused.decision).toMatchObject({ kind: 'rate_limited', dimension: 'requests', limit: 60, used: 10, requested: 1, waitMs: 1000 });
    clock.advance(1000);
    expect(c.admit(m, one).ok).toBe(true);
    expect(c.admit(m, one).ok).toBe(false);
    expect(c.state().buckets.requests).toEqual({ limit: 60, capacity: 10, remaining: 0, resetMs: 10_000 });
  });

  it('rpm 60 with capacity 150: 150 at once, far above the per-minute limit', () => {
    const { c, m } = core({ rpm: 60, tpm: 1_000_000, rpmCapacity: 150 });
    const out = Array.from({ length: 151 }, () => c.admit(m, one));
    expect(out.filter((a) => a.ok).length).toBe(150);
  });

  it('headers over the wire: limit = rpm, remaining counts down from the capacity, reset to full capacity', async () => {
    const { c } = core({ rpm: 120, tpm: 1_000_000, rpmCapacity: 5 });
    const mock = inProcess(c);
    const seen: (string | null)[][] = [];
    for (let i = 0; i < 6; i++) {
      const res = await mock.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 });
      seen.push([String(res.status), res.headers.get('x-ratelimit-limit-requests'), res.headers.get('x-ratelimit-remaining-requests'), res.headers.get('x-ratelimit-reset-requests')]);
      await res.text();
    }
    // 120/min = one per 500 ms: k requests short of the capacity reset in k × 500 ms.
    expect(seen).toEqual([
      ['200', '120', '4', '500ms'],
      ['200', '120', '3', '1s'],
      ['200', '120', '2', '1.5s'],
      ['200', '120', '1', '2s'],
      ['200', '120', '0', '2.5s'],
      ['429', '120', '0', '2.5s'],
    ]);
  });

  it('tpmCapacity below tpm: a request larger than the capacity is "too large" and names the capacity', () => {
    const { c, m } = core({ rpm: 1000, tpm: 60_000, tpmCapacity: 2_000 });
    const r = c.admit(m, { promptTokens: 1_500, maxTokens: 600 });
    expect(!r.ok && r.decision).toMatchObject({ kind: 'request_too_large', limit: 2_000, requested: 2_100 });
    expect(c.admit(m, { promptTokens: 1_500, maxTokens: 500 }).ok).toBe(true);
    const short = c.admit(m, { promptTokens: 100, maxTokens: 1 });
    expect(!short.ok && short.decision).toMatchObject({ kind: 'rate_limited', dimension: 'tokens', limit: 60_000, used: 2_000, requested: 101, waitMs: 101 });
  });

  it('tpmCapacity above tpm: one request may exceed the per-minute limit', () => {
    const { c, m } = core({ rpm: 1000, tpm: 10_000, tpmCapacity: 25_000 });
    expect(c.admit(m, { promptTokens: 20_000, maxTokens: 1 }).ok).toBe(true);
  });

  it('per model in a profile, per tenant (--api-key …,rpm-capacity=N), and at run time', () => {
    const profile = { name: 'p', description: '', dialect: 'openai' as const, org: 'o', defaultModel: 'm', latency: { ttftMs: 0, tokensPerSecond: 1000, jitter: 0 }, models: [{ id: 'm', contextWindow: 8000, maxOutputTokens: 100, rpm: 60, tpm: 100_000, rpmCapacity: 3, priceInputPerMTokens: 0, priceOutputPerMTokens: 0 }] };
    const a = core({ profile });
    expect(Array.from({ length: 4 }, () => a.c.admit(a.m, one).ok)).toEqual([true, true, true, false]);

    const [key, cfg] = parseApiKeySpec('sk-b=team-b,rpm=60,rpm-capacity=2');
    expect(cfg.limits).toEqual({ rpm: 60, rpmCapacity: 2 });
    const t = core({ rpm: 60, apiKeys: { [key]: cfg } });
    const tenant = t.c.authenticate(key)!;
    expect(Array.from({ length: 3 }, () => t.c.admit(t.m, one, tenant).ok)).toEqual([true, true, false]);

    const r = core({ rpm: 60, tpm: 100_000 });
    r.c.setLimits({ rpmCapacity: 2 });
    expect(Array.from({ length: 3 }, () => r.c.admit(r.m, one).ok)).toEqual([true, true, false]);
  });

  it('bad values: a ConfigError naming the field, what was expected and what was found', () => {
    const e1 = configError(() => core({ rpm: 60, rpmCapacity: 2.5 }));
    expect(e1.issues).toContainEqual({ path: 'rpmCapacity', expected: 'an integer ≥ 1', found: '2.5' });
    const e2 = configError(() => core({ rpm: 60, tpmCapacity: 0 }));
    expect(e2.issues).toContainEqual({ path: 'tpmCapacity', expected: 'an integer ≥ 1', found: '0' });
    // Azure counts requests per 10 s: no per-minute request bucket to size.
    const e3 = configError(() => core({ dialect: 'azure', profile: 'azure', rpm: 600, rpmCapacity: 50 }));
    expect(e3.issues[0]).toMatchObject({ path: expect.stringMatching(/^rpmCapacity/), found: 'requests per 10 s' });
    const e4 = configError(() => core({ rpm: 60, tpm: 1000, tpmCapacity: 50, enforcement: { tokens: 'fixed' } }));
    expect(e4.issues[0]).toMatchObject({ path: expect.stringMatching(/^tpmCapacity/), found: "enforcement.tokens 'fixed'" });
    const { c } = core({ rpm: 60, tpm: 1000, enforcement: { requests: 'sliding' } });
    const e5 = configError(() => c.setLimits({ rpmCapacity: 5 }));
    expect(e5.issues[0]).toMatchObject({ path: expect.stringMatching(/^rpmCapacity/), found: "enforcement.requests 'sliding'" });
    expect(c.limitChanges()).toHaveLength(0);
    expect(() => parseApiKeySpec('sk,rpm-capacity=0')).toThrow(ConfigError);
  });
});

/** The default limiter is floating point; the store is exact µs. */
const us = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'resetMs' || k === 'waitMs' ? Math.round(v * 1000) : v)));

/**
 * The same admission sequence through the in-memory buckets and through the shared limiter
 * store's memory twin (the Redis scripts' arithmetic in JS): identical decisions and views.
 */
async function sequence(shared: boolean, o: Omit<MockCoreOptions, 'clock'>) {
  const clock = new VirtualClock(0);
  const store = shared ? { limiterStore: new MemoryLimiterStore({ nowUs: () => Math.round(clock.now() * 1000) }) } : {};
  const c = new MockCore({ profile: 'qwen2', seed: 1, ...o, clock, ...store });
  const m = c.defaultModel;
  const out: unknown[] = [];
  const steps: [number, number, number][] = [
    // [advance ms, prompt tokens, max_tokens]
    [0, 10, 1], [0, 10, 1], [0, 10, 1], [0, 10, 1], [0, 10, 1], [0, 10, 1],
    [250, 10, 1], [250, 10, 1], [1_000, 2_500, 10], [0, 4_000, 1], [10, 900, 1], [30_000, 2_900, 50], [120_000, 10, 1],
  ];
  for (const [dt, prompt, max] of steps) {
    clock.advance(dt);
    const a = await c.admitShared(m, { promptTokens: prompt, maxTokens: max });
    if ('outage' in a) throw new Error(a.error);
    if (a.ok) out.push({ ok: true, limits: us(a.ticket.limits) });
    else out.push({ ok: false, d: us(a.decision) });
  }
  return out;
}

describe('shared limiter store: capacity ≠ refill decided as in memory', () => {
  it('MockCore over the store decides, words and views like the in-memory buckets', async () => {
    const o = { rpm: 120, tpm: 60_000, rpmCapacity: 4, tpmCapacity: 3_000 };
    const mem = await sequence(false, o);
    expect(mem.map((x) => (x as { ok: boolean }).ok)).toEqual([true, true, true, true, false, false, false, true, true, false, false, true, true]);
    expect(mem[9]).toMatchObject({ d: { kind: 'request_too_large', limit: 3_000, requested: 4_001 } });
    expect(await sequence(true, o)).toEqual(mem);
  });

  // Store level: the Lua scripts against their JS twin, with exact expected integers, so a
  // store that ignored the capacity (full = L × P′) fails here and not only in comparison.
  const dims = (check: number, tok: number): StoreDim[] => [
    { field: 'rpm', limit: 60, windowMs: 60_000, capacity: 3, check, requests: true },
    { field: 'tpm', limit: 600, windowMs: 60_000, capacity: 1_500, check: tok, tokens: true },
  ];
  const settleDims = (actual: number): StoreDim[] => [
    { field: 'rpm', limit: 60, windowMs: 60_000, capacity: 3 },
    { field: 'tpm', limit: 600, windowMs: 60_000, capacity: 1_500, actual },
  ];
  const remaining = (r: StoreDecision) => r.dims.map((d) => Math.floor(d.level / d.pp));
  async function vectors(store: LimiterStore, prefix: string) {
    const key = `${prefix}:{cap}:m`;
    const res = (id: string) => ({ key: `${prefix}:{cap}:res:${id}`, ttlMs: 60_000 });
    const rows: { outcome: string; remaining: number[]; toFullUs: number[]; retryAfterUs: number }[] = [];
    const push = (r: StoreDecision) => rows.push({ outcome: r.outcome, remaining: remaining(r), toFullUs: r.dims.map((d) => d.toFullUs), retryAfterUs: r.retryAfterUs });
    push(await store.admit({ key, dims: dims(1, 1_200), reservation: res('a'), now: 0 })); // above L = 600, within C = 1500
    push(await store.admit({ key, dims: dims(1, 100), reservation: res('b'), now: 0 }));
    push(await store.admit({ key, dims: dims(1, 100), reservation: res('c'), now: 0 })); // 300 − 100 → 200 tokens left
    push(await store.admit({ key, dims: dims(1, 1), now: 0 })); // requests: 3 taken, capacity 3 → deny, 1 s
    push(await store.admit({ key, dims: dims(0, 1_501), now: 0 })); // above the capacity: too large
    push(await store.settle({ key, dims: settleDims(200), reservationKey: res('a').key, now: 500_000 }));
    push(await store.admit({ key, dims: dims(1, 10), now: 600_000_000 })); // 10 min later: full at C, not at L
    return rows;
  }

  it('memory store: the capacity is the full level, the refill unchanged', async () => {
    const rows = await vectors(new MemoryLimiterStore(), 'm');
    expect(rows.map((r) => r.outcome)).toEqual(['allow', 'allow', 'allow', 'deny', 'too_large', 'settled', 'allow']);
    expect(rows[0]!.remaining).toEqual([2, 300]);
    expect(rows[2]!.remaining).toEqual([0, 100]);
    expect(rows[2]!.toFullUs).toEqual([3_000_000, 140_000_000]); // 3 requests at 1/s; 1400 tokens at 10/s
    expect(rows[3]!.retryAfterUs).toBe(1_000_000);
    expect(rows[5]!.remaining).toEqual([0, 1_105]); // 100 + 5 refilled in 0.5 s + 1000 refunded
    expect(rows[6]!.remaining).toEqual([2, 1_490]);
  });

  const gate = redisGate();
  describe.skipIf(gate !== undefined)('Redis (LIMITPROBE_REDIS_URL)', () => {
    let redis: LimiterStore;
    const prefix = testPrefix('capacity');
    beforeAll(async () => {
      redis = await connectRedisStore(REDIS_URL!, { testTime: true, prefix });
    });
    afterAll(async () => {
      await redis?.clear();
      await redis?.close();
    });
    it('the Lua scripts give the memory store\'s integers', async () => {
      expect(await vectors(redis, prefix)).toEqual(await vectors(new MemoryLimiterStore(), 'm2'));
    });
  });
});
