/**
 * The mock's shared-store path without Redis: MockCore over the memory LimiterStore gives the
 * same admissions and 429s as the default in-memory limiter on exact-time sequences; the CLI
 * parsers; configuration errors.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { MockCore } from '../../mock-server/core/core.js';
import { MemoryLimiterStore, parseLimiterStore, parseStoreFailure, parseStoreInstances, createMockServer } from '../../mock-server/index.js';

/** The default limiter is floating point (50200.00000000001); the store is exact µs. */
const us = (l: { requests: { resetMs: number }; tokens: { resetMs: number } }) => JSON.parse(JSON.stringify(l, (k, v) => (k === 'resetMs' ? Math.round(v * 1000) : v)));

function cores() {
  const ca = new VirtualClock();
  const cb = new VirtualClock();
  const base = { profile: 'openai-tier1', rpm: 6, tpm: 1000 };
  const plain = new MockCore({ ...base, clock: ca });
  const shared = new MockCore({ ...base, clock: cb, limiterStore: new MemoryLimiterStore({ nowUs: () => Math.round(cb.now() * 1000) }) });
  return { ca, cb, plain, shared };
}

describe('MockCore over the memory LimiterStore', () => {
  it('admits and rejects exactly like the default limiter (requests and tokens, refill)', async () => {
    const { ca, cb, plain, shared } = cores();
    const m1 = plain.defaultModel;
    const m2 = shared.defaultModel;
    const seq = [
      [0, 100], [0, 100], [0, 100], [0, 500], [0, 300], [10_000, 50], [10_000, 50], [20_000, 200], [20_000, 200], [60_000, 900], [60_000, 10],
    ] as const;
    for (const [t, maxTokens] of seq) {
      ca.advance(t - ca.now());
      cb.advance(t - cb.now());
      const a = plain.admit(m1, { promptTokens: 10, maxTokens });
      const b = await shared.admitShared(m2, { promptTokens: 10, maxTokens });
      expect('outage' in b).toBe(false);
      expect(b.ok).toBe(a.ok);
      if (a.ok && b.ok) expect(us(b.ticket.limits)).toEqual(us(a.ticket.limits));
      if (!a.ok && !b.ok && !('outage' in b)) {
        expect(b.decision.kind).toBe(a.decision.kind);
        if (a.decision.kind === 'rate_limited' && b.decision.kind === 'rate_limited') {
          expect(b.decision.rule).toBe(a.decision.rule);
          expect(us(b.decision.limits)).toEqual(us(a.decision.limits));
          expect(b.decision.waitMs).toBeCloseTo(a.decision.waitMs, 3);
        }
      }
    }
    expect(shared.state().admitted).toBe(plain.state().admitted);
    expect(shared.state().limiterStore).toMatchObject({ kind: 'memory', failure: 'closed', outages: [] });
  });

  it('refuses limits the shared store cannot hold exactly', () => {
    expect(() => new MockCore({ profile: 'openai-tier1', maxConcurrent: 3, limiterStore: new MemoryLimiterStore() })).toThrow(/cannot enforce/);
    expect(() => new MockCore({ profile: 'openai-tier1', limiterStore: new MemoryLimiterStore(), storeFailure: 'open-local' })).toThrow(/instance count/);
  });
});

describe('CLI parsers', () => {
  it('--limiter-store', () => {
    expect(parseLimiterStore('memory')).toBe('memory');
    expect(parseLimiterStore('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(() => parseLimiterStore('http://x')).toThrow(/--limiter-store/);
    expect(() => parseLimiterStore('nope')).toThrow(/--limiter-store/);
  });
  it('--store-failure and --store-instances', () => {
    expect(parseStoreFailure('closed')).toBe('closed');
    expect(parseStoreFailure('open-local')).toBe('open-local');
    expect(parseStoreFailure('fail-open-local')).toBe('open-local');
    expect(() => parseStoreFailure('open')).toThrow(/--store-failure/);
    expect(parseStoreInstances('3')).toBe(3);
    expect(() => parseStoreInstances('0')).toThrow(/--store-instances/);
  });
  it('createMockServer refuses a malformed store URL before anything loads', async () => {
    await expect(createMockServer({ limiterStore: 'mysql://x' })).rejects.toThrow(/limiter store/);
  });
});
