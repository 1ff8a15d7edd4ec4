/**
 * A1 (scale-anchors §4): one table of vectors (time, operation, cost → outcome, remaining,
 * µs to full, retry) runs against the memory store and the Redis store (injected `now`); both
 * must give the table's values, identical tuples and identical formatted headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDialect } from '../../mock-server/dialects/index.js';
import { rateLimitHeadersFor } from '../../mock-server/core/wire.js';
import { MemoryLimiterStore, viewFromStore, type LimiterStore, type StoreDecision, type StoreDim, type StoreOutcome } from '../../mock-server/store/index.js';
import { connectRedisStore } from '../../mock-server/store/index.js';
import { dimParams } from '../../mock-server/store/arith.js';
import { REDIS_URL, redisGate, testPrefix } from '../../mock-server/store/testing.js';

interface Profile {
  rpm: number;
  tpm: number;
  /** Window of both (ms). Default 60000. */
  windowMs?: number;
}

interface Row {
  note: string;
  now: number;
  op: 'admit' | 'settle';
  id: string;
  /** admit: token estimate; settle: actual tokens. */
  amount: number;
  /** Bucket (api key / model) — isolation rows use another. Default 'k1/m1'. */
  bucket?: string;
  /** Request cost (default 1; 0 = peek). */
  requests?: number;
  ttlMs?: number;
  expect: { outcome: StoreOutcome; req: number; tok: number; retry?: number; reqReset?: number; tokReset?: number };
}

const P800: Profile = { rpm: 800, tpm: 800_000 };

/** §1.4's nine rows (step 7 shows the view at its own `now`: 925 + 1000 µs of refill → 60,025). */
const REFERENCE: Row[] = [
  { note: '1 admit a', now: 0, op: 'admit', id: 'a', amount: 100_000, expect: { outcome: 'allow', req: 799, tok: 700_000, reqReset: 75_000, tokReset: 7_500_000 } },
  { note: '2 deny b (75 µs short)', now: 0, op: 'admit', id: 'b', amount: 700_001, expect: { outcome: 'deny', req: 799, tok: 700_000, retry: 75 } },
  { note: '3 admit b after 75 µs', now: 75, op: 'admit', id: 'b', amount: 700_001, expect: { outcome: 'allow', req: 798, tok: 0, tokReset: 60_000_000 } },
  { note: '4 settle a: refund 60,000 + 925 µs refill', now: 1000, op: 'settle', id: 'a', amount: 40_000, expect: { outcome: 'settled', req: 798, tok: 60_012 } },
  { note: '5 settle a again: idempotent', now: 1000, op: 'settle', id: 'a', amount: 40_000, expect: { outcome: 'unknown', req: 798, tok: 60_012 } },
  { note: '6 too large', now: 1000, op: 'admit', id: 'c', amount: 800_001, expect: { outcome: 'too_large', req: 798, tok: 60_012 } },
  { note: '7 settle unknown id', now: 2000, op: 'settle', id: 'zz', amount: 5, expect: { outcome: 'unknown', req: 798, tok: 60_025 } },
  { note: '8 a minute later: full', now: 60_000_000, op: 'admit', id: 'd', amount: 1, expect: { outcome: 'allow', req: 799, tok: 799_999, tokReset: 75 } },
  { note: '9 clock backwards: elapsed clamped', now: 59_000_000, op: 'admit', id: 'e', amount: 799_999, expect: { outcome: 'allow', req: 798, tok: 0 } },
];

/** Extra rows of §4 A1, continuing from the reference rows' state. */
const EXTRA: Row[] = [
  // The stored time stays at 60 s (never moves backwards), so the wait counts from there.
  { note: 'RPM ok, TPM short: nothing debited', now: 59_000_000, op: 'admit', id: 'f', amount: 10, expect: { outcome: 'deny', req: 798, tok: 0, retry: 750 } },
  { note: 'peek (cost 0) changes nothing', now: 60_000_000, op: 'admit', id: 'peek', amount: 0, requests: 0, expect: { outcome: 'allow', req: 798, tok: 0 } },
  { note: 'exact boundary: level = cost is allowed', now: 60_000_000 + 75 * 7, op: 'admit', id: 'g', amount: 7, expect: { outcome: 'allow', req: 797, tok: 0 } },
  { note: 'key isolation: another bucket is full', now: 60_000_000, op: 'admit', id: 'h', amount: 5, bucket: 'k2/m1', expect: { outcome: 'allow', req: 799, tok: 799_995 } },
  { note: 'model isolation', now: 60_000_000, op: 'admit', id: 'i', amount: 5, bucket: 'k1/m2', expect: { outcome: 'allow', req: 799, tok: 799_995 } },
  { note: 'refund after the bucket refilled to full: clamped', now: 200_000_000, op: 'settle', id: 'h', amount: 0, bucket: 'k2/m1', expect: { outcome: 'settled', req: 800, tok: 800_000, tokReset: 0 } },
  { note: 'admit j (for debt)', now: 300_000_000, op: 'admit', id: 'j', amount: 100, expect: { outcome: 'allow', req: 799, tok: 799_900 } },
  { note: 'actual > estimate: debt below zero... of 900,000', now: 300_000_000, op: 'settle', id: 'j', amount: 900_000, expect: { outcome: 'settled', req: 799, tok: 0, tokReset: 67_500_000 } },
  { note: 'debt → longer retry', now: 300_000_000, op: 'admit', id: 'k', amount: 1, expect: { outcome: 'deny', req: 799, tok: 0, retry: 7_500_075 } },
  { note: 'admit l (ttl 1 s)', now: 400_000_000, op: 'admit', id: 'l', amount: 50_000, ttlMs: 1000, expect: { outcome: 'allow', req: 799, tok: 750_000 } },
  { note: 'stale reservation after its deadline: no refund', now: 401_000_001, op: 'settle', id: 'l', amount: 0, expect: { outcome: 'expired', req: 800, tok: 763_333 } },
];

/** RPM exhaustion: 800 admits at t = 0, the 801st is denied with 75,000 µs. */
function rpmExhaustion(): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < 800; i++) rows.push({ note: `rpm ${i + 1}`, now: 0, op: 'admit', id: `r${i}`, amount: 1, expect: { outcome: 'allow', req: 799 - i, tok: 800_000 - (i + 1) } });
  rows.push({ note: 'rpm 801 denied', now: 0, op: 'admit', id: 'r800', amount: 1, expect: { outcome: 'deny', req: 0, tok: 799_200, retry: 75_000 } });
  return rows;
}

/** A day-period profile: gcd scaling (P' = 86.4e9 / gcd) and the 2^53 guard. */
const DAY: Profile = { rpm: 10_000, tpm: 1_000_000_000, windowMs: 86_400_000 };
const DAY_ROWS: Row[] = [
  { note: 'day: admit 1e9 − 1 tokens', now: 0, op: 'admit', id: 'd1', amount: 999_999_999, expect: { outcome: 'allow', req: 9_999, tok: 1, tokReset: 86_399_999_914 } },
  { note: 'day: 2 tokens short by 1 token', now: 0, op: 'admit', id: 'd2', amount: 2, expect: { outcome: 'deny', req: 9_999, tok: 1, retry: 87 } },
  { note: 'day: after 87 µs', now: 87, op: 'admit', id: 'd2', amount: 2, expect: { outcome: 'allow', req: 9_998, tok: 0 } },
];

function dims(p: Profile, row: Row): StoreDim[] {
  const w = p.windowMs ?? 60_000;
  if (row.op === 'admit') {
    return [
      { field: 'rpm', limit: p.rpm, windowMs: w, check: row.requests ?? 1, requests: true },
      { field: 'tpm', limit: p.tpm, windowMs: w, check: row.amount, tokens: true },
    ];
  }
  return [
    { field: 'rpm', limit: p.rpm, windowMs: w },
    { field: 'tpm', limit: p.tpm, windowMs: w, actual: row.amount },
  ];
}

async function apply(store: LimiterStore, prefix: string, p: Profile, row: Row): Promise<StoreDecision> {
  const [k, m] = (row.bucket ?? 'k1/m1').split('/');
  const key = `${prefix}:{${k}}:${m}`;
  const reservationKey = `${prefix}:{${k}}:res:${row.id}`;
  if (row.op === 'admit') return store.admit({ key, dims: dims(p, row), reservation: { key: reservationKey, ttlMs: row.ttlMs ?? 600_000 }, now: row.now });
  return store.settle({ key, reservationKey, dims: dims(p, row), now: row.now });
}

function headersOf(p: Profile, r: StoreDecision): Record<string, string> {
  const limits = { requests: viewFromStore(p.rpm, r.dims[0]!), tokens: viewFromStore(p.tpm, r.dims[1]!) };
  return rateLimitHeadersFor(getDialect('openai'), { limits, rules: {}, epochNow: 0 }, {});
}

interface Outcome {
  tuple: StoreDecision;
  headers: Record<string, string>;
}

async function run(store: LimiterStore, prefix: string, p: Profile, rows: Row[]): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const row of rows) {
    const tuple = await apply(store, prefix, p, row);
    out.push({ tuple, headers: headersOf(p, tuple) });
  }
  return out;
}

function checkTable(rows: Row[], p: Profile, got: Outcome[]): void {
  rows.forEach((row, i) => {
    const t = got[i]!.tuple;
    const rem = (j: number) => Math.max(0, Math.floor(t.dims[j]!.level / t.dims[j]!.pp));
    const seen: Row['expect'] = { outcome: t.outcome, req: rem(0), tok: rem(1) };
    if (row.expect.retry !== undefined) seen.retry = t.retryAfterUs;
    if (row.expect.reqReset !== undefined) seen.reqReset = t.dims[0]!.toFullUs;
    if (row.expect.tokReset !== undefined) seen.tokReset = t.dims[1]!.toFullUs;
    expect({ note: row.note, ...seen }).toEqual({ note: row.note, ...row.expect });
    expect(t.nowUs).toBe(row.now);
  });
  void p;
}

const TABLES: [string, Profile, Row[]][] = [
  ['§1.4 reference + §4 A1 extras', P800, [...REFERENCE, ...EXTRA]],
  ['RPM exhaustion', P800, rpmExhaustion()],
  ['day period', DAY, DAY_ROWS],
];

describe('conformance table: memory store', () => {
  for (const [name, p, rows] of TABLES) {
    it(name, async () => {
      checkTable(rows, p, await run(new MemoryLimiterStore(), 'lp', p, rows));
    });
  }

  it('the day profile stays below 2^53 after the gcd reduction; a larger one is refused', () => {
    const d = dimParams(1_000_000_000, 86_400_000);
    expect(d.full).toBeLessThan(2 ** 53);
    expect(() => dimParams(2 ** 40 + 1, 86_400_000)).toThrow(/2\^53/);
    expect(() => dimParams(133.33, 10_000)).toThrow(/integer/);
  });
});

const skip = redisGate();
describe.skipIf(skip !== undefined)('conformance table: Redis store ≡ memory store (tuples and headers)', () => {
  let redis: LimiterStore;
  const prefix = testPrefix('conf');
  beforeAll(async () => {
    redis = await connectRedisStore(REDIS_URL!, { testTime: true, prefix, expireMarginMs: 3_600_000 });
  });
  afterAll(async () => {
    await redis.clear();
    await redis.close();
  });
  for (const [name, p, rows] of TABLES) {
    it(name, async () => {
      const mem = await run(new MemoryLimiterStore(), prefix, p, rows);
      const red = await run(redis, `${prefix}:${name.length}`, p, rows);
      checkTable(rows, p, red);
      expect(red).toEqual(mem);
    });
  }
});
