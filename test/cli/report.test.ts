/** `limitprobe report DIR` through the built CLI: regenerates report.html and prints the summary. */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';


const SCENARIO = `
name: report-check
seed: 3
target:
  kind: mock
  profile: qwen2
  model: qwen2-7b-instruct
  limits: { rpm: 60 }
  latency: { ttftMs: 30, tokensPerSecond: 1000 }
request:
  promptTokens: 200
  maxTokens: 16
  stream: true
phases:
  - name: calm
    duration: 1s
    arrival: { type: constant, rate: 5 }
  - name: flood
    duration: 2s
    arrival: { type: constant, rate: 40 }
`;

describe('limitprobe report', () => {
  const dir = tempDir('limitprobe-report-');
  const out = join(dir, 'run');
  let runStdout = '';

  beforeAll(async () => {
    writeFileSync(join(dir, 'scenario.yaml'), SCENARIO);
    const r = await runCli(['run', join(dir, 'scenario.yaml'), '--out', out]);
    if (r.code !== 0) throw new Error(`run exited ${r.code}: ${r.stderr}`);
    runStdout = r.stdout;
  }, 60_000);

  it("regenerates report.html from the run's files and prints the same summary the run printed", async () => {
    rmSync(join(out, 'report.html'), { force: true });
    const r = await runCli(['report', out]);
    expect(r.code, r.stderr).toBe(0);
    const table = (s: string) => s.slice(s.indexOf('Summary'), s.indexOf('lat = end'));
    expect(table(r.stdout)).toContain('calm');
    expect(table(r.stdout)).toBe(table(runStdout));
    expect(r.stdout).toContain(`report: ${join(out, 'report.html')}`);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<title>limitprobe — report-check</title>');
    expect(html).toMatch(/"limits":\{"rpm":60,"tpm":\d+/);
    expect(html).toContain('All 8 counters agree'); // the embedded mock's referee
    expect(html).toContain('rate_limited_requests');

    const quiet = await runCli(['report', out, '--quiet']);
    expect(quiet.stdout).toBe(`report: ${join(out, 'report.html')}\n`);
  }, 30_000);

  it('exits 2 naming a missing directory or summary.csv', async () => {
    const missing = await runCli(['report', join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`limitprobe: run directory ${join(dir, 'nope')}: expected a directory written by "limitprobe run", found nothing there\n`);
    const empty = tempDir('limitprobe-empty-');
    const noSummary = await runCli(['report', empty]);
    expect(noSummary.code).toBe(2);
    expect(noSummary.stderr).toContain(`${join(empty, 'summary.csv')}: expected the run's summary.csv, found no such file`);
    expect(existsSync(join(empty, 'report.html'))).toBe(false);
  }, 30_000);
});
