/**
 * The plan command module, in process (yargs parsing, SLOs, plan.csv, console answer). Once
 * main.ts registers it, the same arguments work on the built bin.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { describe, expect, it, vi } from 'vitest';
import { planCommand } from '../../src/cli/plan-command.js';
import { readCsv } from '../helpers/csv.js';
import { tempDir } from '../helpers/cli.js';

const SCENARIO = `name: plan-cli
seed: 1
mode: sim
target: { kind: mock, profile: qwen2, model: qwen2-7b-instruct }
request: { promptTokens: 1500, maxTokens: 500, stream: false }
maxInFlight: 100000
phases:
  - name: drain
    duration: 1m
    arrival: { type: constant, rate: 2000/min }
  - name: steady
    duration: 5m
    arrival: { type: constant, rate: 100/min }
`;

async function run(args: string[]): Promise<{ code: number; out: string }> {
  let code = -1;
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await yargs(args).command(planCommand((c) => (code = c))).strict().fail((msg, e) => {
      throw e ?? new Error(msg);
    }).parseAsync();
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
  return { code, out };
}

describe('limitprobe plan', () => {
  it('finds TPM / tokens per request, writes plan.csv and prints the answer', async () => {
    const dir = tempDir();
    const file = join(dir, 's.yaml');
    writeFileSync(file, SCENARIO);
    const { code, out } = await run(['plan', file, '--vary', 'rate', '--from', '50', '--to', '1000', '--in', 'steady', '--slo', 'phase=steady: rate(ok) > 0.999', '--out', dir]);
    expect(code).toBe(0);
    const m = /answer: rate = ([\d.,]+) requests\/min/.exec(out);
    expect(m, out).not.toBeNull();
    expect(Math.abs(Number(m![1]!.replace(/,/g, '')) / 400 - 1)).toBeLessThan(0.01); // 800,000 / 2,000
    const csv = readCsv(join(dir, 'plan.csv'));
    expect(csv.header.slice(0, 4)).toEqual(['point', 'stage', 'param', 'value']);
    expect(csv.header).toContain('slo1_observed');
    expect(csv.header).toContain('latency_p95_ms');
    expect(csv.rows.length).toBeGreaterThan(5);
    expect(csv.rows.every((r) => r.simulated === 'true')).toBe(true);
    expect(readFileSync(join(dir, 'plan.csv'), 'utf8')).toContain('phase=steady: rate(ok) > 0.999');
  });

  it('rejects a parameter that applies nowhere before simulating anything', async () => {
    const dir = tempDir();
    const file = join(dir, 's.yaml');
    writeFileSync(file, SCENARIO);
    await expect(run(['plan', file, '--vary', 'clients', '--from', '1', '--to', '10', '--slo', 'rate(ok) > 0.9', '--out', dir])).rejects.toThrow(/applies to nothing/);
  });
});
