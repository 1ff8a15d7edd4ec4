/**
 * A phase that ends when its work is done (closed loop, `requests` only) is reported for as long
 * as it ran, not for its 10-minute ceiling; later phases and the total follow.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.js';
import { parseScenario } from '../../src/scenario/index.js';

describe('phase durations as run', () => {
  it('a closed `requests` phase lasts as long as it took; rates are per second of that', async () => {
    const scenario = parseScenario({
      name: 'closed-requests',
      seed: 1,
      mode: 'sim',
      target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct', latency: { ttftMs: 50, tokensPerSecond: 2000 } },
      request: { promptTokens: 100, maxTokens: 16 },
      phases: [
        { name: 'work', requests: 100, concurrency: 4 },
        { name: 'after', duration: '2s', arrival: { type: 'constant', rate: 10 } },
      ],
    });
    const r = await runScenario(scenario, { outDir: mkdtempSync(join(tmpdir(), 'lp-phase-')), warn: () => {} });
    const row = (scope: string) => r.summaries.find((s) => s.scope === scope && s.group === '*')!;
    const work = r.execution.phases.find((p) => p.name === 'work')!;
    // 100 requests, 4 workers, ~58 ms each: about 1.5 s, nowhere near the 600 s ceiling.
    expect(work.durationMs).toBeGreaterThan(1_000);
    expect(work.durationMs).toBeLessThan(3_000);
    expect(row('work').durationS).toBeCloseTo(work.durationMs / 1000, 3);
    expect(row('work').okRps).toBeCloseTo(100 / (work.durationMs / 1000), 3);
    expect(row('after').durationS).toBe(2);
    expect(row('total').durationS).toBeCloseTo(work.durationMs / 1000 + 2, 3);
    expect(row('total').okRps).toBeCloseTo(120 / (work.durationMs / 1000 + 2), 3);
  });
});
