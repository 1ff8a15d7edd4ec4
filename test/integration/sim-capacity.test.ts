/**
 * The plan's arithmetic checks itself: for constant-rate arrivals of fixed-size requests the
 * largest rate that keeps every request admitted is the closed form min(RPM, TPM / tokens
 * per request), and `planCapacity` finds it within 1 %. A first phase drains the buckets'
 * burst allowance (a full bucket would let a rate above the limit through for a while),
 * then the steady phase is judged.
 */
import { describe, expect, it } from 'vitest';
import { parseSlos, planCapacity } from '../../src/capacity/index.js';
import { parseScenario } from '../../src/scenario/index.js';

const RPM = 800;
const TPM = 800_000;

function scenario(promptTokens: number, maxTokens: number) {
  return parseScenario({
    name: 'closed-form',
    seed: 1,
    mode: 'sim',
    target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct', limits: { rpm: RPM, tpm: TPM } },
    request: { promptTokens, maxTokens, stream: false },
    maxInFlight: 100_000,
    phases: [
      { name: 'drain', duration: '1m', arrival: { type: 'constant', rate: '2000/min' } },
      { name: 'steady', duration: '10m', arrival: { type: 'constant', rate: '100/min' } },
    ],
  });
}

describe('capacity plan vs closed form', () => {
  for (const [prompt, max] of [
    [300, 100], // 400 tokens: TPM allows 2,000/min, RPM binds at 800
    [1500, 500], // 2,000 tokens: TPM binds at 400/min
    [700, 300], // 1,000 tokens: both at 800/min
    [3000, 200], // 3,200 tokens: TPM binds at 250/min
  ] as const) {
    const closedForm = Math.min(RPM, TPM / (prompt + max));
    it(`prompt ${prompt} + max_tokens ${max}: min(RPM, TPM / ${prompt + max}) = ${closedForm}/min`, { timeout: 120_000 }, async () => {
      const plan = await planCapacity(scenario(prompt, max), {
        vary: 'rate',
        from: 50,
        to: 1600,
        in: ['steady'],
        slos: parseSlos(['phase=steady: rate(ok) > 0.999']),
      });
      expect(plan.monotonic).toBe(true);
      expect(plan.answer).toBeDefined();
      expect(Math.abs(plan.answer! / closedForm - 1)).toBeLessThan(0.01);
      // Just above the answer the limit that binds is the one the closed form names.
      const fail = plan.points.find((p) => p.value === plan.firstFail)!;
      expect(fail.binding).toBe(TPM / (prompt + max) < RPM ? 'tokens' : 'requests');
    });
  }
});
