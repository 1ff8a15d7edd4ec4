/**
 * Shared limits across mock instances (issue 9, scale-anchors §4 A4/A6): two createMockServer
 * instances, each with its own Redis connection, admit together exactly what one bucket admits;
 * Redis down → 503 naming the store outage (fail closed), recorded, recovered when Redis returns;
 * open-local admits within limit / N per instance.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createMockServer, STORE_OUTAGE_HEADER, STORE_OUTAGE_TYPE, type MockServer } from '../../mock-server/index.js';
import { REDIS_URL, redisGate } from '../../mock-server/store/testing.js';

const body = (n: number) => JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `hello ${n}` }], max_tokens: 4 });

async function chat(s: MockServer, n: number): Promise<Response> {
  return fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(n) });
}

const uniqueOrg = (name: string) => `org-${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

async function until(f: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** A private redis-server this test may stop and restart (the shared one stays up). */
class PrivateRedis {
  proc: ChildProcess | undefined;
  constructor(readonly port: number) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.proc = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(this.port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const ok = await until(async () => spawnSync('redis-cli', ['-p', String(this.port), 'ping'], { encoding: 'utf8' }).stdout.includes('PONG'), 5000);
    if (!ok) throw new Error('private redis-server did not start');
  }
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }
}

const skip = redisGate();
const haveServerBinary = spawnSync('redis-server', ['--version']).status === 0;

describe.skipIf(skip !== undefined)('two mock instances on one Redis enforce one limit', () => {
  const servers: MockServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('30 concurrent requests over two instances: exactly one bucket of 10 (RPM 10) admitted, the rest 429 with headers', async () => {
    const org = uniqueOrg('two');
    const opts = { profile: 'openai-tier1', rpm: 10, tpm: 1_000_000, org, limiterStore: REDIS_URL! };
    const a = await createMockServer(opts);
    const b = await createMockServer(opts);
    servers.push(a, b);
    const t0 = Date.now();
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => chat(i % 2 ? b : a, i)));
    const elapsed = Date.now() - t0;
    const codes = rs.map((r) => r.status);
    await Promise.all(rs.map((r) => r.text()));
    // One bucket: capacity 10, refill 1 per 6 s; the burst lasts far less than 6 s.
    expect(elapsed).toBeLessThan(6000);
    expect(codes.filter((c) => c === 200)).toHaveLength(10);
    expect(codes.filter((c) => c === 429)).toHaveLength(20);
    const denied = rs.find((r) => r.status === 429)!;
    expect(denied.headers.get('x-ratelimit-limit-requests')).toBe('10');
    expect(denied.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const sa = a.core.state();
    const sb = b.core.state();
    expect(sa.admitted + sb.admitted).toBe(10);
    expect(sa.rejectedTotal + sb.rejectedTotal).toBe(20);
    expect(sa.limiterStore).toMatchObject({ kind: 'redis', failure: 'closed', degraded: false, outages: [] });

    // The same burst on one in-memory mock admits the same count.
    const mem = await createMockServer({ profile: 'openai-tier1', rpm: 10, tpm: 1_000_000 });
    servers.push(mem);
    const ms = await Promise.all(Array.from({ length: 30 }, (_, i) => chat(mem, i)));
    await Promise.all(ms.map((r) => r.text()));
    expect(ms.filter((r) => r.status === 200)).toHaveLength(10);
  });

  it('settles refund the unused reservation in Redis (TPM returns after the responses end)', async () => {
    const org = uniqueOrg('settle');
    const s = await createMockServer({ profile: 'openai-tier1', rpm: 1000, tpm: 100_000, org, limiterStore: REDIS_URL!, outputLength: 'seeded', latency: { ttftMs: 0, tokensPerSecond: 1e6, jitter: 0 } });
    servers.push(s);
    const big = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4000 });
    const r1 = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    const j1 = (await r1.json()) as { usage: { completion_tokens: number; prompt_tokens: number } };
    expect(r1.status).toBe(200);
    const afterAdmit = Number(r1.headers.get('x-ratelimit-remaining-tokens'));
    expect(afterAdmit).toBeLessThanOrEqual(100_000 - 4000);
    // The next admission sees the refund of (4000 − completion) tokens.
    const ok = await until(async () => {
      const r = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 }) });
      await r.text();
      return Number(r.headers.get('x-ratelimit-remaining-tokens')) >= afterAdmit + (4000 - j1.usage.completion_tokens) - 20;
    }, 3000);
    expect(ok).toBe(true);
    expect(s.core.state().limiterStore?.settleErrors).toBe(0);
  });
});

describe.skipIf(skip !== undefined || !haveServerBinary)('Redis outage', () => {
  const servers: MockServer[] = [];
  let redis: PrivateRedis | undefined;
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await redis?.stop();
  });

  it('fail closed: 503 naming the store outage (never a 429), interval recorded, recovery when Redis returns', async () => {
    redis = new PrivateRedis(await freePort());
    await redis.start();
    const s = await createMockServer({ profile: 'openai-tier1', rpm: 100, tpm: 1_000_000, org: uniqueOrg('closed'), limiterStore: redis.url });
    servers.push(s);
    expect((await chat(s, 0)).status).toBe(200);

    await redis.stop();
    const r = await chat(s, 1);
    expect(r.status).toBe(503);
    expect(r.headers.get(STORE_OUTAGE_HEADER)).toBe(redis.url);
    expect(r.headers.get('retry-after')).toBeNull();
    expect(r.headers.get('x-ratelimit-remaining-requests')).toBeNull();
    const j = (await r.json()) as { error: { type: string; message: string } };
    expect(j.error.type).toBe(STORE_OUTAGE_TYPE);
    expect(j.error.message).toMatch(/limiter store .* unreachable/);
    let st = s.core.state().limiterStore!;
    expect(st.degraded).toBe(true);
    expect(st.outages).toHaveLength(1);
    expect(st.outages[0]!.end).toBeUndefined();
    expect(s.core.state().rejected.rate_limited_requests).toBe(0);

    await redis.start();
    const back = await until(async () => {
      const x = await chat(s, 2);
      await x.text();
      return x.status === 200;
    }, 8000);
    expect(back).toBe(true);
    st = s.core.state().limiterStore!;
    expect(st.degraded).toBe(false);
    expect(st.outages).toHaveLength(1);
    expect(st.outages[0]!.end).toBeGreaterThanOrEqual(st.outages[0]!.start);
    expect(st.outages[0]!.requests).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('open-local: while Redis is down each of N = 2 instances admits within limit / N', async () => {
    redis ??= new PrivateRedis(await freePort());
    if (!redis.proc || redis.proc.exitCode !== null || redis.proc.signalCode !== null) await redis.start();
    const opts = { profile: 'openai-tier1', rpm: 10, tpm: 1_000_000, org: uniqueOrg('open'), limiterStore: redis.url, storeFailure: 'open-local' as const, storeInstances: 2 };
    const a = await createMockServer(opts);
    const b = await createMockServer(opts);
    servers.push(a, b);
    await redis.stop();
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => chat(i % 2 ? b : a, i)));
    await Promise.all(rs.map((r) => r.text()));
    const okA = rs.filter((r, i) => i % 2 === 0 && r.status === 200).length;
    const okB = rs.filter((r, i) => i % 2 === 1 && r.status === 200).length;
    expect(okA).toBe(5);
    expect(okB).toBe(5);
    expect(rs.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    const st = a.core.state().limiterStore!;
    expect(st).toMatchObject({ failure: 'open-local', instances: 2, degraded: true });
    expect(st.limiterDegraded).toBe(10);
  }, 30_000);
});
