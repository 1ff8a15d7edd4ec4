/**
 * A2 (scale-anchors §4): random admit/settle sequences (monotone and occasionally backwards
 * times, random estimates and actuals, duplicate and unknown settles, several buckets) drive
 * the memory store and the Redis store; they must agree at every step. Fixed seed.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedisStore, MemoryLimiterStore, type LimiterStore, type StoreDecision, type StoreDim } from '../../mock-server/store/index.js';
import { REDIS_URL, redisGate, testPrefix } from '../../mock-server/store/testing.js';

type Op =
  | { kind: 'admit'; dt: number; bucket: number; est: number; req: number; ttlMs: number }
  | { kind: 'settle'; dt: number; bucket: number; target: number; actual: number };

const LIMITS = [
  { rpm: 7, tpm: 1000, windowMs: 60_000 },
  { rpm: 800, tpm: 800_000, windowMs: 60_000 },
  { rpm: 3, tpm: 90, windowMs: 1_000 },
];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('admit' as const),
    dt: fc.oneof(fc.integer({ min: 0, max: 50_000 }), fc.integer({ min: -2_000_000, max: 30_000_000 })),
    bucket: fc.integer({ min: 0, max: 2 }),
    est: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 900_000 })),
    req: fc.integer({ min: 0, max: 1 }),
    ttlMs: fc.constantFrom(100, 60_000),
  }),
  fc.record({
    kind: fc.constant('settle' as const),
    dt: fc.integer({ min: -1_000, max: 5_000_000 }),
    bucket: fc.integer({ min: 0, max: 2 }),
    target: fc.integer({ min: 0, max: 40 }),
    actual: fc.integer({ min: 0, max: 1_200 }),
  }),
);

function dimsFor(b: number, op: Op): StoreDim[] {
  const l = LIMITS[b]!;
  if (op.kind === 'admit') {
    return [
      { field: 'rpm', limit: l.rpm, windowMs: l.windowMs, check: op.req, requests: true },
      { field: 'tpm', limit: l.tpm, windowMs: l.windowMs, check: op.est, tokens: true },
    ];
  }
  return [
    { field: 'rpm', limit: l.rpm, windowMs: l.windowMs },
    { field: 'tpm', limit: l.tpm, windowMs: l.windowMs, actual: op.actual },
  ];
}

async function drive(store: LimiterStore, prefix: string, ops: Op[]): Promise<StoreDecision[]> {
  let now = 1_000_000;
  let n = 0;
  const out: StoreDecision[] = [];
  for (const op of ops) {
    now = Math.max(0, now + op.dt);
    const key = `${prefix}:{b${op.bucket}}:m`;
    if (op.kind === 'admit') {
      const id = n++;
      out.push(await store.admit({ key, dims: dimsFor(op.bucket, op), reservation: { key: `${prefix}:{b${op.bucket}}:res:${id}`, ttlMs: op.ttlMs }, now }));
    } else {
      // Settles target earlier admits (possibly of another bucket's id space, i.e. unknown ids, and duplicates).
      out.push(await store.settle({ key, reservationKey: `${prefix}:{b${op.bucket}}:res:${op.target}`, dims: dimsFor(op.bucket, op), now }));
    }
  }
  return out;
}

describe('differential: memory store against itself (determinism baseline)', () => {
  it('the same sequence gives the same tuples twice', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
        expect(await drive(new MemoryLimiterStore(), 'a', ops)).toEqual(await drive(new MemoryLimiterStore(), 'b', ops));
      }),
      { seed: 20240917, numRuns: 50 },
    );
  });
});

const skip = redisGate();
describe.skipIf(skip !== undefined)('differential: Redis store ≡ memory store on random sequences', () => {
  let redis: LimiterStore;
  const prefix = testPrefix('diff');
  let run = 0;
  beforeAll(async () => {
    redis = await connectRedisStore(REDIS_URL!, { testTime: true, prefix, expireMarginMs: 3_600_000 });
  });
  afterAll(async () => {
    await redis.clear();
    await redis.close();
  });

  it('agree at every step (fixed seed)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 80 }), async (ops) => {
        const p = `${prefix}:${run++}`;
        const mem = await drive(new MemoryLimiterStore(), p, ops);
        const red = await drive(redis, p, ops);
        expect(red).toEqual(mem);
      }),
      { seed: 20240917, numRuns: 150 },
    );
  }, 60_000);
});
