/**
 * The probe in virtual time against the mock with limits unknown to the probe call (random
 * per seed): headers on and off, burst = refill, a per-second layer (RPS = RPM/60 and TPS =
 * TPM/60, both measured), a per-10-s layer (RPM/6, TPM/6: the token layer measured as the token
 * bucket, within the budget), burst ≠ refill (the mock's rpmCapacity / tpmCapacity, random per
 * seed, for requests and tokens at once), and a max-concurrency limit. Each limit within 5%
 * (context and concurrency exactly), within budget and request cap. Every case prints its
 * requests and simulated cost (docs/probe.md tables them):
 *   npx vitest run --config node_modules/.vnos.config.ts test/integration/probe-sim.test.ts 2>&1 | grep '^|'
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/plan/rng.js';
import { probeSimulated } from '../../src/probe/sim.js';
import type { LimitFinding } from '../../src/probe/types.js';

const prices = { inputPerMTokens: 0.2, outputPerMTokens: 0.6 };
const val = (ls: LimitFinding[], n: string) => ls.find((l) => l.name === n);
const close = (got: number | undefined, want: number) => expect(Math.abs((got ?? NaN) - want) / want).toBeLessThanOrEqual(0.05);

describe('probe in virtual time', () => {
  for (const seed of [1, 2, 3]) {
    for (const headers of [true, false]) {
      for (const subMinute of ['none', '1s', '10s'] as const) {
        it(`seed ${seed}, headers ${headers ? 'on' : 'off'}, sub-minute ${subMinute}`, async () => {
          const rng = createRng(seed, 'probe-test');
          const rpm = rng.int(60, 150);
          const tpm = rng.int(60_000, 200_000);
          const contextWindow = rng.int(8_000, 40_000);
          const budgetUsd = 0.5;
          const maxRequests = 800;
          const t = performance.now();
          const r = await probeSimulated({ mock: { profile: 'qwen2', rpm, tpm, contextWindow, seed, enforcement: { subMinute } }, headers, prices, budgetUsd, maxRequests });
          const wall = performance.now() - t;
          const L = r.limits;
          close(val(L, 'rpm')?.value, rpm);
          const perWindow = subMinute === '1s' ? 60 : subMinute === '10s' ? 6 : 1;
          close(val(L, 'burst')?.value, rpm / perWindow);
          close(val(L, 'tpm')?.value, tpm);
          expect(val(L, 'context')?.value).toBe(contextWindow);
          expect(val(L, 'sub_minute')?.note).toMatch(subMinute === '1s' ? /per second/ : subMinute === '10s' ? /per 10 s/ : /per minute/);
          // The token twin of the layer: per second (TPS = TPM/60) by pairs of requests; per 10 s
          // (TPM/6) as the token bucket itself (its capacity is then the token burst).
          if (subMinute === '1s') {
            close(val(L, 'token_layer')?.value, tpm / 60);
            expect(val(L, 'token_layer')?.method).toBe('bisection');
          } else if (subMinute === '10s') {
            close(val(L, 'token_layer')?.value, tpm / 6);
            close(val(L, 'token_burst')?.value, tpm / 6);
            expect(val(L, 'token_layer')?.method).toBe('onset');
          } else expect(val(L, 'token_layer')).toBeUndefined();
          expect(r.undetermined.filter((u) => !u.startsWith('concurrency'))).toEqual([]);
          expect(r.spentUsd).toBeLessThanOrEqual(budgetUsd);
          expect(r.peakCommittedUsd).toBeLessThanOrEqual(budgetUsd);
          expect(r.requests).toBeLessThanOrEqual(maxRequests);
          console.log(`| ${seed} | ${headers ? 'on' : 'off'} | ${subMinute} | rpm ${rpm}, burst ${(rpm / perWindow).toFixed(2)}, tpm ${tpm}${subMinute !== 'none' ? `, token layer ${(tpm / perWindow).toFixed(0)}` : ''}, ctx ${contextWindow} | ${L.filter((l) => ['rpm', 'burst', 'tpm', 'token_layer', 'context'].includes(l.name)).map((l) => `${l.name} ${l.value} (${l.method})`).join(', ')} | ${r.requests} | $${r.spentUsd.toFixed(4)} | ${(r.elapsedMs / 60000).toFixed(1)} min / ${wall.toFixed(0)} ms |`);
        });
      }
    }
  }

  // Burst ≠ refill in the mock itself: request and token buckets whose capacity differs from
  // their refill (rpmCapacity, tpmCapacity). Odd seeds: capacities well under a minute's refill;
  // even seeds: 1.5–3× it. Headers, when on, name the refill (limit) and count down from the
  // capacity (remaining), so the header's limit verifies the rate and contradicts the burst.
  for (const seed of [1, 2, 3, 4]) {
    for (const headers of [true, false]) {
      it(`burst ≠ refill (requests and tokens), seed ${seed}, headers ${headers ? 'on' : 'off'}`, async () => {
        const rng = createRng(seed, 'probe-burst');
        const rpm = rng.int(60, 150);
        const tpm = rng.int(60_000, 200_000);
        const rpmCapacity = seed % 2 ? rng.int(5, Math.floor(rpm / 3)) : rng.int(Math.ceil(1.5 * rpm), 3 * rpm);
        const tpmCapacity = seed % 2 ? rng.int(Math.ceil(tpm / 8), Math.floor(tpm / 3)) : rng.int(Math.ceil(1.5 * tpm), 3 * tpm);
        const contextWindow = rng.int(8_000, 40_000);
        const budgetUsd = 0.5;
        const maxRequests = 800;
        const r = await probeSimulated({ mock: { profile: 'qwen2', rpm, tpm, rpmCapacity, tpmCapacity, contextWindow, seed }, headers, prices, budgetUsd, maxRequests });
        const L = r.limits;
        close(val(L, 'rpm')?.value, rpm);
        close(val(L, 'burst')?.value, rpmCapacity);
        close(val(L, 'tpm')?.value, tpm);
        close(val(L, 'token_burst')?.value, tpmCapacity);
        expect(val(L, 'context')?.value).toBe(contextWindow);
        expect(val(L, 'sub_minute')?.note).toMatch(/burst ≠ refill/);
        if (headers) expect(val(L, 'burst')?.note).toMatch(/≠ the header's/);
        expect(r.spentUsd).toBeLessThanOrEqual(budgetUsd);
        expect(r.peakCommittedUsd).toBeLessThanOrEqual(budgetUsd);
        expect(r.requests).toBeLessThanOrEqual(maxRequests);
        console.log(`| burst≠refill ${seed} | ${headers ? 'on' : 'off'} | rpm ${rpm} (capacity ${rpmCapacity}), tpm ${tpm} (capacity ${tpmCapacity}) | rpm ${val(L, 'rpm')?.value} (${val(L, 'rpm')?.method}), burst ${val(L, 'burst')?.value}, tpm ${val(L, 'tpm')?.value}, token_burst ${val(L, 'token_burst')?.value} | ${r.requests} | $${r.spentUsd.toFixed(4)} | ${(r.elapsedMs / 60000).toFixed(1)} min |`);
      });
    }
  }

  // Max concurrency: refusals that clear only as requests end (long TTFT keeps them in flight).
  for (const [seed, maxConcurrent, ttftMs] of [[1, 5, 1500], [2, 12, 800], [3, 3, 3000]] as const) {
    for (const headers of [true, false]) {
      it(`max concurrency ${maxConcurrent}, seed ${seed}, headers ${headers ? 'on' : 'off'}`, async () => {
        const r = await probeSimulated({ mock: { profile: 'qwen2', rpm: 600, tpm: 2_000_000, contextWindow: 16_000, seed, maxConcurrent, latency: { ttftMs, jitter: 0 } }, only: ['concurrency'], headers, prices, budgetUsd: 0.5, maxRequests: 800 });
        expect(val(r.limits, 'concurrency')).toMatchObject({ value: maxConcurrent, method: 'onset' });
        expect(r.requests).toBeLessThanOrEqual(800);
        console.log(`| concurrency ${seed} | ${headers ? 'on' : 'off'} | max ${maxConcurrent} in flight (ttft ${ttftMs} ms) | ${val(r.limits, 'concurrency')?.value} | ${r.requests} | $${r.spentUsd.toFixed(5)} |`);
      });
    }
  }

  it('never exceeds a tiny budget or request cap', async () => {
    const r = await probeSimulated({ mock: { profile: 'qwen2', rpm: 100, tpm: 100_000, contextWindow: 16_384 }, prices, budgetUsd: 0.002, maxRequests: 40 });
    expect(r.requests).toBeLessThanOrEqual(40);
    expect(r.peakCommittedUsd).toBeLessThanOrEqual(0.002);
    expect(r.spentUsd).toBeLessThanOrEqual(0.002);
    expect(r.undetermined.length).toBeGreaterThan(0);
    console.log(`| tiny budget | on | rpm 100, tpm 100000 | undetermined: ${r.undetermined.length} | ${r.requests} | $${r.spentUsd.toFixed(5)} (peak committed $${r.peakCommittedUsd.toFixed(5)}) |`);
  });
});
