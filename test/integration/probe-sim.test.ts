/**
 * The probe in virtual time against the mock with limits unknown to the probe call (random
 * per seed): headers on and off, burst = refill, a per-second layer (RPS = RPM/60, TPS =
 * TPM/60), and burst ≠ refill (a request bucket of random capacity in front of the mock).
 * Each limit within 5% (context exactly), within budget and request cap. Every case prints
 * its requests and simulated cost (docs/probe.md tables them).
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
      for (const subMinute of ['none', '1s'] as const) {
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
          close(val(L, 'burst')?.value, subMinute === '1s' ? rpm / 60 : rpm);
          close(val(L, 'tpm')?.value, tpm);
          expect(val(L, 'context')?.value).toBe(contextWindow);
          expect(val(L, 'sub_minute')?.note).toMatch(subMinute === '1s' ? /per second/ : /per minute/);
          expect(r.spentUsd).toBeLessThanOrEqual(budgetUsd);
          expect(r.peakCommittedUsd).toBeLessThanOrEqual(budgetUsd);
          expect(r.requests).toBeLessThanOrEqual(maxRequests);
          console.log(`| ${seed} | ${headers ? 'on' : 'off'} | ${subMinute} | rpm ${rpm}, burst ${(subMinute === '1s' ? rpm / 60 : rpm).toFixed(2)}, tpm ${tpm}, ctx ${contextWindow} | ${L.filter((l) => ['rpm', 'burst', 'tpm', 'context'].includes(l.name)).map((l) => `${l.name} ${l.value} (${l.method})`).join(', ')} | ${r.requests} | $${r.spentUsd.toFixed(4)} | ${(r.elapsedMs / 60000).toFixed(1)} min / ${wall.toFixed(0)} ms |`);
        });
      }
    }
  }

  // Burst ≠ refill: a request bucket of capacity C refilled at R per minute in front of the mock
  // (the mock's own RPM 10× higher, so its headers name a limit the behaviour contradicts).
  // Odd seeds: C well under R; even seeds: C 1.5–3× R.
  for (const seed of [1, 2, 3, 4]) {
    for (const headers of [true, false]) {
      it(`burst ≠ refill, seed ${seed}, headers ${headers ? 'on' : 'off'}`, async () => {
        const rng = createRng(seed, 'probe-burst');
        const rpm = rng.int(60, 150);
        const capacity = seed % 2 ? rng.int(5, Math.floor(rpm / 3)) : rng.int(Math.ceil(1.5 * rpm), 3 * rpm);
        const budgetUsd = 0.5;
        const maxRequests = 800;
        const r = await probeSimulated({ mock: { profile: 'qwen2', rpm: 10 * rpm, tpm: 2_000_000, contextWindow: 16_000, seed }, requestBucket: { capacity, perMinute: rpm }, only: ['rpm', 'burst', 'sub_minute'], headers, prices, budgetUsd, maxRequests });
        const L = r.limits;
        close(val(L, 'rpm')?.value, rpm);
        close(val(L, 'burst')?.value, capacity);
        expect(val(L, 'sub_minute')?.note).toMatch(/burst ≠ refill/);
        expect(r.spentUsd).toBeLessThanOrEqual(budgetUsd);
        expect(r.requests).toBeLessThanOrEqual(maxRequests);
        console.log(`| burst≠refill ${seed} | ${headers ? 'on' : 'off'} | rpm ${rpm}, capacity ${capacity} | rpm ${val(L, 'rpm')?.value} (${val(L, 'rpm')?.method}), burst ${val(L, 'burst')?.value} | ${r.requests} | $${r.spentUsd.toFixed(5)} | ${(r.elapsedMs / 60000).toFixed(1)} min |`);
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
