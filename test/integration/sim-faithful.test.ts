/**
 * Faithful: one short scenario run live (the normal run path, against the embedded HTTP mock
 * on a loopback port) and simulated. Both limits bite. The accepted and rejected counts agree
 * within the tolerance below, and the latency percentiles within the live run's own
 * scheduling noise. Why these tolerances: docs/simulation.md "How faithful".
 */
import { describe, expect, it } from 'vitest';
import { runSimulated } from '../../src/capacity/sim-run.js';
import { runScenario } from '../../src/run.js';
import { parseScenario } from '../../src/scenario/index.js';
import type { Summary } from '../../src/metrics/summary.js';
import { tempDir } from '../helpers/cli.js';

const scenario = () =>
  parseScenario({
    name: 'sim-faithful',
    seed: 11,
    target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct', limits: { rpm: 120, tpm: 40_000 }, latency: { ttftMs: 40, tokensPerSecond: 400, jitter: 0 } },
    request: { promptTokens: 100, maxTokens: 20, stream: false },
    client: { timeoutMs: 10_000 },
    phases: [
      // 10/s of 2,100-token requests against 40,000 TPM (667/s refill): the token bucket binds.
      { name: 'tokens', duration: 3, arrival: { type: 'constant', rate: 10 }, request: { promptTokens: 2000, maxTokens: 100, stream: true } },
      // 30/s of 15-token requests (450 tokens/s, under the TPM refill) against 120 RPM (2/s refill): the request bucket binds.
      { name: 'requests', duration: 6, arrival: { type: 'constant', rate: 30 }, request: { promptTokens: 10, maxTokens: 5 } },
    ],
  });

/** Per-class tolerance on counts: 2 attempts, or 2 % of the phase's attempts if more. */
const countTolerance = (attempts: number) => Math.max(2, Math.ceil(0.02 * attempts));

describe('simulation vs live run', () => {
  it('agrees on accepted/rejected counts and latency percentiles', { timeout: 60_000 }, async () => {
    const live = await runScenario(scenario(), { outDir: tempDir() });
    const sim = await runSimulated(scenario());
    const rows = (ss: Summary[]) => new Map(ss.filter((s) => s.group === '*').map((s) => [s.scope, s]));
    const L = rows(live.summaries);
    const S = rows(sim.summaries);
    for (const scope of ['tokens', 'requests', 'total']) {
      const l = L.get(scope)!;
      const s = S.get(scope)!;
      expect(s.attempts, `${scope}: attempts`).toBe(l.attempts);
      const tol = countTolerance(l.attempts);
      for (const o of ['ok', 'rate_limited_requests', 'rate_limited_tokens'] as const) {
        expect(Math.abs(s.counts[o] - l.counts[o]), `${scope}: ${o} live ${l.counts[o]} sim ${s.counts[o]} (± ${tol})`).toBeLessThanOrEqual(tol);
      }
      // Both limits really bit.
      if (scope === 'tokens') expect(l.counts.rate_limited_tokens).toBeGreaterThan(10);
      if (scope === 'requests') expect(l.counts.rate_limited_requests).toBeGreaterThan(20);

      // Latency: the model has no jitter, so every simulated ok attempt takes the model's time
      // and the live run's spread (p99 − min) is its own scheduling noise (loopback, JSON/SSE
      // handling, timer lateness, GC; on a loaded machine the whole live run shifts, which its
      // schedule lag shows). The simulated percentiles must not be above the live ones (live
      // only adds overhead) and no further below them than that noise (2 ms slack for rounding).
      const noise = l.latency.p99! - l.latency.min! + (l.scheduleLag.p99 ?? 0);
      for (const p of ['p50', 'p95', 'p99'] as const) {
        const lv = l.latency[p]!;
        const sv = s.latency[p]!;
        const what = `${scope}: latency ${p} live ${lv} sim ${sv} (live min ${l.latency.min}, noise ${noise.toFixed(1)} ms)`;
        expect(sv - lv, what).toBeLessThanOrEqual(2);
        expect(lv - sv, what).toBeLessThanOrEqual(noise + 2);
      }
    }
    // The ground truth agrees as well: the two mocks admitted (nearly) the same number.
    const lm = live.mockState as { admitted: number };
    expect(Math.abs(sim.mockState.admitted - lm.admitted)).toBeLessThanOrEqual(countTolerance(L.get('total')!.attempts));
  });
});
