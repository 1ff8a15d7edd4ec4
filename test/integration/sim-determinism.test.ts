/**
 * Simulation is deterministic: the same scenario and seed give byte-identical reports, run
 * after run, and the fast microtask drain gives the same bytes as the assumption-free
 * macrotask drain (one setImmediate per instant). The scenario mixes what can happen: JSON
 * and SSE, jittered latency, an RPM flood, a TPM flood, a closed loop, timeouts and prompts
 * over the context window.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSimulated } from '../../src/capacity/sim-run.js';
import { parseScenario } from '../../src/scenario/index.js';
import { readCsv } from '../helpers/csv.js';
import { tempDir } from '../helpers/cli.js';

const FILES = ['requests.csv', 'timeseries.csv', 'summary.csv', 'mock-state.json', 'scenario.resolved.json'];

function mixedScenario(seed = 7) {
  return parseScenario({
    name: 'sim-mixed',
    seed,
    target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct', latency: { ttftMs: 150, tokensPerSecond: 80, jitter: 0.2 } },
    request: { promptTokens: { dist: 'uniform', min: 100, max: 3000 }, maxTokens: { dist: 'uniform', min: 16, max: 400 }, stream: true },
    client: { timeoutMs: 4000 },
    maxInFlight: 256,
    phases: [
      { name: 'closed', duration: '1m', concurrency: 12 },
      { name: 'steady', duration: '2m', arrival: { type: 'poisson', rate: '400/min' } },
      { name: 'rpm-flood', duration: '1m', arrival: { type: 'constant', rate: 40 }, request: { promptTokens: 50, maxTokens: 8, stream: false } },
      { name: 'tpm-flood', duration: '1m', arrival: { type: 'poisson', rate: 6 }, request: { promptTokens: { dist: 'uniform', min: 10000, max: 140000 }, maxTokens: 256 } },
    ],
  });
}

describe('simulation determinism', () => {
  it('same scenario + seed → byte-identical CSVs, whichever drain', async () => {
    const dirs = [tempDir(), tempDir(), tempDir()];
    const a = await runSimulated(mixedScenario(), { outDir: dirs[0] });
    await runSimulated(mixedScenario(), { outDir: dirs[1] });
    await runSimulated(mixedScenario(), { outDir: dirs[2], drive: { drain: 'macrotask' } });
    for (const f of FILES) {
      const first = readFileSync(join(dirs[0]!, f));
      expect(readFileSync(join(dirs[1]!, f)).equals(first), `${f} differs between two runs`).toBe(true);
      expect(readFileSync(join(dirs[2]!, f)).equals(first), `${f} differs between microtask and macrotask drains`).toBe(true);
    }
    // The scenario exercised what it meant to: every kind of outcome is in the file.
    const rows = readCsv(join(dirs[0]!, 'requests.csv')).rows;
    const outcomes = new Set(rows.map((r) => r.outcome));
    for (const o of ['ok', 'rate_limited_requests', 'rate_limited_tokens', 'timeout', 'context_exceeded']) expect(outcomes, o).toContain(o);
    expect(rows.length).toBe(a.execution.attempts + a.execution.dropped);
    // The microtask drain's margin: continuations read the clock within a few hops.
    expect(a.stats.maxQuietHops).toBeLessThanOrEqual(8);
    const total = readCsv(join(dirs[0]!, 'summary.csv')).rows.at(-1)!;
    expect(total.simulated).toBe('true');
  });

  it('another seed gives another run', async () => {
    const [d1, d2] = [tempDir(), tempDir()];
    await runSimulated(mixedScenario(7), { outDir: d1 });
    await runSimulated(mixedScenario(8), { outDir: d2 });
    expect(readFileSync(join(d1, 'requests.csv')).equals(readFileSync(join(d2, 'requests.csv')))).toBe(false);
  });
});
