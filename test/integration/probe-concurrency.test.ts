/**
 * The probe in virtual time against a key with a concurrency cap (the mock's maxConcurrent, a
 * long TTFT keeping requests in flight) as well as RPM/TPM buckets, limits random per seed and
 * unknown to the probe call: the cap exactly, and RPM, burst, TPM, token burst within 5%, headers
 * on and off. The cap's 429s must not pass for rate 429s (before the fix: rpm 240/min, or the
 * header's value unverified, burst = the cap). Where the cap keeps a client under the RPM
 * (cap / latency < RPM), rpm and burst are undetermined with that reason, never a number.
 * Also: `--only` without `context` against a window smaller than the 32k the token stages
 * assume (they learn it from the refusal and shrink). Each case prints its requests and cost:
 *   npx vitest run --config node_modules/.vnos.config.ts test/integration/probe-concurrency.test.ts 2>&1 | grep '^| '
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/plan/rng.js';
import { probeSimulated } from '../../src/probe/sim.js';
import type { LimitFinding } from '../../src/probe/types.js';

const prices = { inputPerMTokens: 0.2, outputPerMTokens: 0.6 };
const val = (ls: LimitFinding[], n: string) => ls.find((l) => l.name === n);
const close = (got: number | undefined, want: number) => expect(Math.abs((got ?? NaN) - want) / want).toBeLessThanOrEqual(0.05);
const show = (L: LimitFinding[], names: string[]) =>
  L.filter((l) => names.includes(l.name))
    .map((l) => `${l.name} ${l.value ?? '?'}${l.method === 'refill' || l.method === 'onset' ? '' : ` (${l.method})`}`)
    .join(', ');

describe('probe under a concurrency cap (virtual time)', () => {
  // Cap reachable: the cap lets a client send 1.6–3× the RPM, so the buckets can be drained through it.
  for (const seed of [1, 2, 3]) {
    for (const headers of [true, false]) {
      it(`seed ${seed}, headers ${headers ? 'on' : 'off'}: concurrency exact, rpm/burst/tpm/token burst within 5%`, async () => {
        const rng = createRng(seed, 'probe-concurrency');
        const rpm = rng.int(60, 150);
        const tpm = rng.int(60_000, 200_000);
        const maxConcurrent = rng.int(3, 12);
        const headroom = 1.6 + 1.4 * rng.next(); // cap rate / rpm
        const ttftMs = Math.round((maxConcurrent * 60_000) / (headroom * rpm));
        const contextWindow = rng.int(8_000, 40_000);
        const budgetUsd = 0.5;
        const maxRequests = 800;
        const r = await probeSimulated({ mock: { profile: 'qwen2', rpm, tpm, contextWindow, seed, maxConcurrent, latency: { ttftMs, jitter: 0 } }, headers, prices, budgetUsd, maxRequests });
        const L = r.limits;
        expect(val(L, 'concurrency')).toMatchObject({ value: maxConcurrent, method: 'onset' });
        close(val(L, 'rpm')?.value, rpm);
        close(val(L, 'burst')?.value, rpm);
        close(val(L, 'tpm')?.value, tpm);
        close(val(L, 'token_burst')?.value, tpm);
        expect(val(L, 'rpm')?.method).toBe(headers ? 'header-verified' : 'refill');
        expect(val(L, 'sub_minute')?.note).toMatch(/per minute/);
        expect(val(L, 'context')?.value).toBe(contextWindow);
        expect(r.spentUsd).toBeLessThanOrEqual(budgetUsd);
        expect(r.peakCommittedUsd).toBeLessThanOrEqual(budgetUsd);
        expect(r.requests).toBeLessThanOrEqual(maxRequests);
        console.log(
          `| cap ${seed} | ${headers ? 'on' : 'off'} | ${maxConcurrent} in flight, ttft ${ttftMs} ms (≤ ${Math.round((maxConcurrent * 60_000) / ttftMs)}/min), rpm ${rpm}, tpm ${tpm} | ${show(L, ['concurrency', 'rpm', 'burst', 'tpm', 'token_burst'])} | ${r.requests} | $${r.spentUsd.toFixed(4)} | ${(r.elapsedMs / 60000).toFixed(1)} min |`,
        );
      });
    }
  }

  // The case of docs/probe.md's old "Left to do": 5 in flight, 1.5 s each (≤ 200/min), RPM 120.
  for (const headers of [true, false]) {
    it(`5 in flight, ttft 1500 ms, rpm 120, headers ${headers ? 'on' : 'off'}: rpm and burst 120 within 5%`, async () => {
      const r = await probeSimulated({ mock: { profile: 'qwen2', rpm: 120, tpm: 100_000, contextWindow: 16_000, seed: 1, maxConcurrent: 5, latency: { ttftMs: 1500, jitter: 0 } }, headers, prices, budgetUsd: 0.5, maxRequests: 800 });
      const L = r.limits;
      expect(val(L, 'concurrency')?.value).toBe(5);
      close(val(L, 'rpm')?.value, 120);
      close(val(L, 'burst')?.value, 120);
      close(val(L, 'tpm')?.value, 100_000);
      close(val(L, 'token_burst')?.value, 100_000);
      expect(r.requests).toBeLessThanOrEqual(800);
      console.log(`| cap 5 / rpm 120 | ${headers ? 'on' : 'off'} | 5 in flight, ttft 1500 ms (≤ 200/min), rpm 120, tpm 100000 | ${show(L, ['concurrency', 'rpm', 'burst', 'tpm', 'token_burst'])} | ${r.requests} | $${r.spentUsd.toFixed(4)} | ${(r.elapsedMs / 60000).toFixed(1)} min |`);
    });
  }

  // Cap unreachable: 3 in flight × 3 s = 60/min < 99 RPM. No behaviour can show the RPM bucket:
  // rpm is the header's value marked unverified (headers on) or undetermined (off), burst and
  // window undetermined, each saying why; the token limits are still measured.
  for (const headers of [true, false]) {
    it(`cap below the rpm (3 in flight, 3 s each, rpm 99), headers ${headers ? 'on' : 'off'}: rpm not a measured number, reason given`, async () => {
      const r = await probeSimulated({ mock: { profile: 'qwen2', rpm: 99, tpm: 93_180, contextWindow: 16_000, seed: 3, maxConcurrent: 3, latency: { ttftMs: 3000, jitter: 0 } }, headers, prices, budgetUsd: 0.5, maxRequests: 800 });
      const L = r.limits;
      expect(val(L, 'concurrency')?.value).toBe(3);
      const rpm = val(L, 'rpm')!;
      if (headers) expect(rpm).toMatchObject({ method: 'headers', value: 99 });
      else expect(rpm.method).toBe('undetermined');
      expect(rpm.note).toMatch(/concurrency cap \(3 in flight, 3001 ms per request\).*at most 60 requests\/min/);
      expect(val(L, 'burst')?.method).toBe('undetermined');
      expect(val(L, 'sub_minute')?.method).toBe('undetermined');
      close(val(L, 'tpm')?.value, 93_180);
      expect(r.requests).toBeLessThanOrEqual(800);
      console.log(`| cap < rpm | ${headers ? 'on' : 'off'} | 3 in flight, ttft 3000 ms (≤ 60/min), rpm 99, tpm 93180 | ${show(L, ['concurrency', 'rpm', 'burst', 'tpm'])} | ${r.requests} | $${r.spentUsd.toFixed(4)} | ${(r.elapsedMs / 60000).toFixed(1)} min |`);
    });
  }

  // --only without context: the token stages used to assume a 32k window and stop with
  // "requests fail with context_exceeded"; now the refusal's number (or halving) bounds the prompts.
  for (const seed of [1, 2]) {
    it(`--only rpm,burst,tpm against a ${seed === 1 ? 'small' : 'smaller'} window: tpm within 5%, no context_exceeded stop`, async () => {
      const rng = createRng(seed, 'probe-only-ctx');
      const rpm = rng.int(60, 150);
      const tpm = rng.int(60_000, 200_000);
      const contextWindow = rng.int(4_000, 12_000);
      const r = await probeSimulated({ mock: { profile: 'qwen2', rpm, tpm, contextWindow, seed }, only: ['rpm', 'burst', 'tpm'], headers: seed === 1, prices, budgetUsd: 0.5, maxRequests: 800 });
      const L = r.limits;
      close(val(L, 'rpm')?.value, rpm);
      close(val(L, 'tpm')?.value, tpm);
      close(val(L, 'token_burst')?.value, tpm);
      expect(val(L, 'context')).toBeUndefined();
      expect(r.undetermined).toEqual([]);
      console.log(`| only, ctx ${contextWindow} | ${seed === 1 ? 'on' : 'off'} | rpm ${rpm}, tpm ${tpm} | ${show(L, ['rpm', 'tpm', 'token_burst'])} | ${r.requests} | $${r.spentUsd.toFixed(4)} | ${(r.elapsedMs / 60000).toFixed(1)} min |`);
    });
  }
});
