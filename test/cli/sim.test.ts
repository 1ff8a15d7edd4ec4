/** Simulation and capacity planning through the built CLI. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../helpers/csv.js';
import { runCli, tempDir } from '../helpers/cli.js';

describe('run --sim', () => {
  it('runs the quickstart in virtual time, deterministically, marked simulated, with the limits biting', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const a = await runCli(['run', 'scenarios/quickstart.yaml', '--sim', '--quiet', '--out', join(dir, 'a')]);
    const b = await runCli(['run', 'scenarios/quickstart.yaml', '--sim', '--quiet', '--out', join(dir, 'b')]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    for (const f of ['requests.csv', 'timeseries.csv', 'summary.csv']) {
      expect(readFileSync(join(dir, 'a', f), 'utf8'), f).toBe(readFileSync(join(dir, 'b', f), 'utf8'));
    }
    const total = readCsv(join(dir, 'a', 'summary.csv')).rows.find((r) => r.scope === 'total')!;
    expect(total.simulated).toBe('true');
    // The same bucket arithmetic as the live quickstart: 800 + 13.3/s × 10 s in the flood …
    const flood = readCsv(join(dir, 'a', 'summary.csv')).rows.find((r) => r.scope === 'request-flood')!;
    expect(Math.abs(Number(flood.ok) - 933)).toBeLessThanOrEqual(1);
    expect(Number(total.rate_limited_tokens)).toBeGreaterThan(0);
  });

  it('refuses an http target and the autocannon engine in simulation (exit 2, nothing sent)', async () => {
    const r = await runCli(['run', 'scenarios/flood-qwen2.yaml', '--sim', '--out', join(tempDir(), 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/autocannon/);
    const h = await runCli(['run', 'scenarios/quickstart.yaml', '--sim', '--target-url', 'http://127.0.0.1:9/v1', '--out', join(tempDir(), 'y')]);
    expect(h.code).toBe(2);
    expect(h.stderr).toMatch(/mock/);
  });
});

describe('limitprobe plan', () => {
  it('finds the closed-form capacity of a simple workload and writes plan.csv', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const r = await runCli([
      'plan', 'scenarios/capacity-qwen2.yaml', '--phases', 'drain,steady', '--in', 'steady',
      '--vary', 'rate', '--from', '100', '--to', '1600', '--slo', 'phase=steady: rate(ok) > 0.99', '--out', dir,
    ]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const rows = readCsv(join(dir, 'plan.csv')).rows;
    expect(rows.length).toBeGreaterThan(3);
    // TPM / 1,200 tokens per request = 666.7/min; Poisson arrivals and the 1 % allowance: within 2 %.
    const answer = /(\d+(?:\.\d+)?)\s*(?:requests?\/min|\/min)/.exec(r.stdout);
    expect(answer, r.stdout).not.toBeNull();
    expect(Math.abs(Number(answer![1]) - 666.7) / 666.7).toBeLessThan(0.02);
  });
});

describe('run with a policy matrix', () => {
  it('runs the same workload once per policy and writes policies.csv, per-policy reports and a ranked table', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const f = join(dir, 'matrix.yaml');
    writeFileSync(
      f,
      `name: matrix-cli
mode: sim
target: { kind: mock, profile: qwen2, model: qwen2-7b-instruct, limits: { rpm: 60 } }
request: { promptTokens: 50, maxTokens: 8 }
maxInFlight: 1000
phases:
  - { requests: 120, arrival: { type: constant, rate: 40 } }
matrix: [none, retry-after]
output: { dir: ${JSON.stringify(join(dir, 'out'))} }
`,
    );
    const r = await runCli(['run', f, '--quiet']);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/retry-after/);
    const rows = readCsv(join(dir, 'out', 'policies.csv')).rows;
    expect(new Set(rows.map((x) => x.policy))).toEqual(new Set(['none', 'retry-after']));
    for (const p of ['none', 'retry-after']) expect(readFileSync(join(dir, 'out', p, 'requests.csv'), 'utf8').length).toBeGreaterThan(100);
    // Retrying after the advised wait gets every request through; no retries leaves 429s.
    const okOf = (p: string) => readCsv(join(dir, 'out', p, 'summary.csv')).rows.find((x) => x.scope === 'total')!;
    expect(Number(okOf('retry-after').ok)).toBe(120);
    expect(Number(okOf('none').ok)).toBeLessThan(120);
  });
});
