/**
 * Shared limiter store throughput (issue 9, scale-anchors §3.1 capacity check): admissions per
 * second through the mock for (m) the in-memory limiter, (r1) one mock instance on one local
 * Redis, (r2) two mock instances on the same Redis (loaded at once, counts summed), plus the
 * latency of the store call (admit script, EVALSHA round trip) as p50/p99, and the raw
 * script-only rate (one connection, pipelined by ioredis auto-pipelining).
 *
 *   LIMITPROBE_REDIS_URL=redis://127.0.0.1:PORT npx tsx bench/redis-store.ts [seconds] [connections]
 *   (eval "$(bash .ci/start-redis)" starts one)
 *
 * All instances run in this one process on this machine's cores, so (r2) measures the Redis
 * side's sharing, not two machines' worth of mock CPU.
 */
import autocannon from 'autocannon';
import { createMockServer, connectRedisStore, MemoryLimiterStore, type LimiterStore, type MockServer, type AdmitOp, type SettleOp, type StoreDecision } from '../mock-server/index.js';

const url = process.env.LIMITPROBE_REDIS_URL;
if (!url) {
  console.error('LIMITPROBE_REDIS_URL is not set (eval "$(bash .ci/start-redis)")');
  process.exit(2);
}
const duration = Number(process.argv[2] ?? 5);
const connections = Number(process.argv[3] ?? 64);

/** A LimiterStore wrapper recording each admit call's latency (µs). */
class Timed implements LimiterStore {
  readonly samples: number[] = [];
  constructor(readonly inner: LimiterStore) {}
  get kind() {
    return this.inner.kind;
  }
  get name() {
    return this.inner.name;
  }
  async admit(op: AdmitOp): Promise<StoreDecision> {
    const t = performance.now();
    const r = await this.inner.admit(op);
    this.samples.push((performance.now() - t) * 1000);
    return r;
  }
  settle(op: SettleOp): Promise<StoreDecision> {
    return this.inner.settle(op);
  }
  clear() {
    return this.inner.clear();
  }
  close() {
    return this.inner.close();
  }
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello in one short sentence.' }], max_tokens: 16 });
const common = { profile: 'openai-tier1', rpm: 1e9, tpm: 1e12, latency: { ttftMs: 0, tokensPerSecond: 0, jitter: 0 }, org: `bench-${process.pid}` };

async function load(servers: MockServer[]): Promise<{ rps: number; non2xx: number; p99ms: number }> {
  const run = (s: MockServer, d: number) => autocannon({ url: `${s.url}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: Math.max(1, Math.round(connections / servers.length)), duration: d });
  await Promise.all(servers.map((s) => run(s, 1))); // warm-up
  const rs = await Promise.all(servers.map((s) => run(s, duration)));
  return { rps: rs.reduce((a, r) => a + r.requests.average, 0), non2xx: rs.reduce((a, r) => a + r.non2xx, 0), p99ms: Math.max(...rs.map((r) => r.latency.p99)) };
}

const rows: Record<string, string | number>[] = [];

// (m) memory: the default in-process limiter, and the memory LimiterStore through the same shared path.
{
  const s = await createMockServer(common);
  const r = await load([s]);
  rows.push({ variant: '(m) memory (default BucketStore)', instances: 1, 'admissions/s': Math.round(r.rps), non2xx: r.non2xx, 'http p99 ms': r.p99ms, 'store p50 µs': '-', 'store p99 µs': '-' });
  await s.close();
  const t = new Timed(new MemoryLimiterStore());
  const s2 = await createMockServer({ ...common, limiterStore: t });
  const r2 = await load([s2]);
  rows.push({ variant: "(m') memory LimiterStore (shared path)", instances: 1, 'admissions/s': Math.round(r2.rps), non2xx: r2.non2xx, 'http p99 ms': r2.p99ms, 'store p50 µs': pct(t.samples, 50).toFixed(1), 'store p99 µs': pct(t.samples, 99).toFixed(1) });
  await s2.close();
}

for (const n of [1, 2]) {
  const timed: Timed[] = [];
  const servers: MockServer[] = [];
  for (let i = 0; i < n; i++) {
    const t = new Timed(await connectRedisStore(url));
    timed.push(t);
    servers.push(await createMockServer({ ...common, limiterStore: t }));
  }
  const r = await load(servers);
  const all = timed.flatMap((t) => t.samples);
  rows.push({ variant: `(r${n}) Redis, ${n} instance${n > 1 ? 's' : ''}`, instances: n, 'admissions/s': Math.round(r.rps), non2xx: r.non2xx, 'http p99 ms': r.p99ms, 'store p50 µs': pct(all, 50).toFixed(1), 'store p99 µs': pct(all, 99).toFixed(1) });
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all(timed.map((t) => t.close()));
}

// Script only: admits straight to the store, 256 in flight, no HTTP.
{
  const store = await connectRedisStore(url);
  const dims = [
    { field: 'rpm', limit: 1e9, windowMs: 60_000, check: 1, requests: true },
    { field: 'tpm', limit: 1e12, windowMs: 60_000, check: 100, tokens: true },
  ];
  const samples: number[] = [];
  let n = 0;
  const end = performance.now() + duration * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await store.admit({ key: `bench:{script-${process.pid}}:m`, dims, reservation: { key: `bench:{script-${process.pid}}:res:${n}`, ttlMs: 10_000 } });
      samples.push((performance.now() - t) * 1000);
      n++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 256 }, worker));
  const rps = n / ((performance.now() - t0) / 1000);
  rows.push({ variant: '(s) admit script only, 256 in flight', instances: 0, 'admissions/s': Math.round(rps), non2xx: 0, 'http p99 ms': '-', 'store p50 µs': pct(samples, 50).toFixed(1), 'store p99 µs': pct(samples, 99).toFixed(1) });
  await store.redis.del(`bench:{script-${process.pid}}:m`);
  await store.close();
}

console.log(`\nautocannon c=${connections} (split over instances), ${duration} s each, node ${process.version}, Redis ${url.replace(/\/\/.*@/, '//')}\n`);
console.table(rows);
