/**
 * Live, over HTTP: the mock's referee counts no early retry for the Retry-After-aware policy
 * and early retries for a policy built to ignore the advice (a fixed 200 ms).
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/index.js';
import { runMatrix } from '../../src/run-matrix.js';

describe('referee: early retries (live HTTP mock)', () => {
  it('0 for retry-after, > 0 for ignore-retry-after', async () => {
    const s = parseScenario({
      name: 'retry-referee',
      seed: 3,
      target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct', limits: { rpm: 240, tpm: 10_000_000 }, latency: { ttftMs: 5, tokensPerSecond: 5000 } },
      request: { promptTokens: 50, maxTokens: 8 },
      maxInFlight: 1000,
      // 250 at once: 240 pass on the full bucket, 10 wait for slots at 4/s.
      phases: [{ name: 'burst', requests: 250, arrival: { type: 'constant', rate: 2000 } }],
      matrix: ['retry-after', 'ignore-retry-after'],
    });
    const r = await runMatrix(s);
    const t = Object.fromEntries(r.rows.filter((x) => x.group === 'total').map((x) => [x.policy, x]));
    expect(t['retry-after']!.successRatio).toBe(1);
    expect(t['retry-after']!.retries).toBeGreaterThan(0);
    expect(t['retry-after']!.refereeEarlyRetries).toBe(0);
    expect(t['retry-after']!.earlyRetries).toBe(0);
    expect(t['ignore-retry-after']!.refereeEarlyRetries).toBeGreaterThan(0);
    expect(t['ignore-retry-after']!.refereeEarlyMsMax).toBeGreaterThan(10);
    expect(t['ignore-retry-after']!.earlyRetries).toBeGreaterThan(0);
  }, 60_000);
});
