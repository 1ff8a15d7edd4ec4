/**
 * The retry shootout (scenarios/retry-shootout.yaml) in virtual time, on two seeds, under the
 * production conditions the literature describes: a 429 still costs one request of the limits
 * (`target.rejectedConsumeRequests: true`) and the limits are also enforced per second
 * (`target.subMinute: 1s`). What holds (margins checked on seeds 1–4, see docs/retry.md):
 * pacing < adaptive < the reactive arms, in completion time and in amplification; the reactive
 * arms (Retry-After-aware, full jitter, no jitter) do not complete the batch at all: their
 * retry storms spend the request budget (congestion collapse), so their relative order is not
 * asserted. The referee sees no early retry from the policies that wait for the advice and
 * early retries from full jitter, which ignores it; openai-node gives up inside the minute.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadScenario } from '../../src/scenario/index.js';
import { runMatrix } from '../../src/run-matrix.js';
import type { ScoreRow } from '../../src/metrics/scorecard.js';

const file = join(import.meta.dirname, '../../scenarios/retry-shootout.yaml');
const ARMS = ['pacing', 'adaptive', 'retry-after', 'full-jitter', 'no-jitter', 'openai-node'];
const REACTIVE = ['retry-after', 'full-jitter', 'no-jitter'];

describe('retry shootout (simulated, costed 429s, per-second enforcement)', () => {
  it('the scenario models the production conditions', async () => {
    const s = await loadScenario(file);
    expect(s.target).toMatchObject({ kind: 'mock', rejectedConsumeRequests: true, subMinute: '1s' });
  });

  for (const seed of [1, 2]) {
    it(`seed ${seed}: pacing < adaptive < reactive arms in completion time and amplification`, async () => {
      const s = { ...(await loadScenario(file)), seed };
      const entries = s.matrix!.filter((e) => ARMS.includes(e.name));
      const r = await runMatrix(s, entries);
      const t = Object.fromEntries(r.rows.filter((x) => x.group === 'total').map((x) => [x.policy, x])) as Record<string, ScoreRow>;
      const amp = (p: string) => t[p]!.attempts / t[p]!.requests;
      // Completion time of the batch: the makespan when every request succeeded, else never.
      const done = (p: string) => (t[p]!.successRatio === 1 ? t[p]!.makespanMs : Infinity);
      expect(t.pacing!.successRatio).toBe(1);
      expect(t.adaptive!.successRatio).toBe(1);
      // Completion time: pacing finishes well before adaptive (1.67–1.80× on seeds 1–4) …
      expect(done('pacing') * 1.3).toBeLessThan(done('adaptive'));
      // … and the reactive arms never finish: under costed 429s their storms collapse (15–27 % success).
      for (const p of REACTIVE) expect(t[p]!.successRatio, p).toBeLessThan(0.5);
      for (const p of REACTIVE) expect(done('adaptive'), p).toBeLessThan(done(p));
      // Amplification and 429 rate.
      expect(amp('pacing')).toBeLessThan(1.02);
      expect(amp('adaptive')).toBeLessThan(1.3);
      expect(amp('pacing') + 0.05).toBeLessThan(amp('adaptive'));
      for (const p of REACTIVE) expect(amp('adaptive') + 10, p).toBeLessThan(amp(p));
      expect(t.pacing!.rate429).toBeLessThan(0.01);
      expect(t.adaptive!.rate429).toBeLessThan(0.2);
      for (const p of REACTIVE) expect(t[p]!.rate429, p).toBeGreaterThan(0.9);
      // Referee (the mock's ledger): waiting for the advice means no early retry; ignoring it does not.
      for (const p of ['pacing', 'adaptive', 'retry-after']) expect(t[p]!.refereeEarlyRetries, p).toBe(0);
      expect(t['full-jitter']!.refereeEarlyRetries).toBeGreaterThan(50);
      // Our own records (retry sent before the previous answer's end + advice) agree with the referee to within 5 %.
      for (const p of ARMS) expect(Math.abs(t[p]!.earlyRetries - t[p]!.refereeEarlyRetries!), p).toBeLessThanOrEqual(Math.ceil(0.05 * t[p]!.refereeEarlyRetries!));
      // Pacing stays within 2× of the scorecard's bound (which banks a full minute: the per-second layer alone needs ~1.6×).
      expect(t.pacing!.makespanRatio!).toBeLessThan(2);
      expect(t['openai-node']!.successRatio).toBeLessThan(0.8);
      expect(r.ranked[0]!.policy).toBe('pacing');
      expect(r.ranked[1]!.policy).toBe('adaptive');
    }, 120_000);
  }
});
