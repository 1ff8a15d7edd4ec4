/**
 * The retry shootout (scenarios/retry-shootout.yaml) in virtual time, on two seeds: the
 * amplification and 429-rate ordering the literature predicts, pacing < adaptive <
 * Retry-After-aware < full jitter < no jitter, with margins that held on seeds 1–4; the
 * referee sees no early retry from the policies that wait for the advice, and early retries
 * from those that ignore it; openai-node's ≤ 1.5 s of waiting gives up inside the minute.
 * (Completion time does not follow that order under the mock's free 429s and one-minute
 * buckets: see docs/retry.md "What the shootout shows".)
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadScenario } from '../../src/scenario/index.js';
import { runMatrix } from '../../src/run-matrix.js';
import type { ScoreRow } from '../../src/metrics/scorecard.js';

const file = join(import.meta.dirname, '../../scenarios/retry-shootout.yaml');
const ARMS = ['pacing', 'adaptive', 'retry-after', 'full-jitter', 'no-jitter', 'openai-node'];

describe('retry shootout (simulated)', () => {
  for (const seed of [1, 2]) {
    it(`seed ${seed}: pacing < adaptive < retry-after < full jitter < no jitter in amplification and 429 rate`, async () => {
      const s = { ...(await loadScenario(file)), seed };
      const entries = s.matrix!.filter((e) => ARMS.includes(e.name));
      const r = await runMatrix(s, entries);
      const t = Object.fromEntries(r.rows.filter((x) => x.group === 'total').map((x) => [x.policy, x])) as Record<string, ScoreRow>;
      const amp = (p: string) => t[p]!.attempts / t[p]!.requests;
      for (const p of ['pacing', 'adaptive', 'retry-after', 'full-jitter', 'no-jitter']) expect(t[p]!.successRatio, p).toBe(1);
      expect(amp('pacing')).toBeLessThan(1.05);
      expect(amp('adaptive')).toBeLessThan(1.15);
      expect(amp('pacing')).toBeLessThanOrEqual(amp('adaptive'));
      expect(amp('adaptive') + 2).toBeLessThan(amp('retry-after'));
      expect(amp('retry-after')).toBeLessThan(amp('full-jitter'));
      expect(amp('full-jitter') + 0.2).toBeLessThan(amp('no-jitter'));
      const r429 = (p: string) => t[p]!.rate429;
      expect(r429('pacing')).toBeLessThan(0.01);
      expect(r429('adaptive')).toBeLessThan(0.05);
      expect(r429('retry-after')).toBeLessThan(r429('full-jitter'));
      expect(r429('full-jitter')).toBeLessThan(r429('no-jitter'));
      // Referee (the mock's ledger): waiting for the advice means no early retry; ignoring it does not.
      for (const p of ['pacing', 'adaptive', 'retry-after']) expect(t[p]!.refereeEarlyRetries, p).toBe(0);
      expect(t['full-jitter']!.refereeEarlyRetries).toBeGreaterThan(50);
      expect(t['no-jitter']!.refereeEarlyRetries).toBeGreaterThan(0);
      // Our own records (retry sent before the previous answer's end + advice) agree with the referee to within 5 %.
      for (const p of ARMS) expect(Math.abs(t[p]!.earlyRetries - t[p]!.refereeEarlyRetries!), p).toBeLessThanOrEqual(Math.ceil(0.05 * t[p]!.refereeEarlyRetries!));
      // Pacing stays within 1.35× of the lower bound; openai-node gives most of the batch up.
      expect(t.pacing!.makespanRatio!).toBeLessThan(1.35);
      expect(t['openai-node']!.successRatio).toBeLessThan(0.8);
      expect(r.ranked[0]!.policy).toBe('pacing');
    }, 120_000);
  }
});
