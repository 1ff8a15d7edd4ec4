/**
 * `limitprobe compare` through the built CLI: two runs of the same deterministic mock scenario
 * pass with the default tolerances (exit 0); a run against tighter limits is a regression
 * (exit 99, compare.csv and JUnit say which metrics); bad input exits 2 naming what is wrong.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';


const scenario = (rpm: number) => `
name: compare-check
seed: 5
target:
  kind: mock
  profile: qwen2
  model: qwen2-7b-instruct
  limits: { rpm: ${rpm}, tpm: 1000000 }
  latency: { ttftMs: 150, tokensPerSecond: 200 }
request:
  promptTokens: { dist: uniform, min: 100, max: 400 }
  maxTokens: 32
  stream: true
phases:
  - name: warmup
    duration: 2s
    arrival: { type: constant, rate: 5 }
  - name: steady
    duration: 3s
    arrival: { type: constant, rate: 10 }
  - name: burst
    duration: 2s
    arrival: { type: constant, rate: 30 }
`;

const dir = tempDir('limitprobe-compare-');
const run = (name: string) => join(dir, name);

describe('limitprobe compare', () => {
  beforeAll(async () => {
    writeFileSync(join(dir, 'ok.yaml'), scenario(600));
    writeFileSync(join(dir, 'tight.yaml'), scenario(60));
    for (const [name, file] of [['baseline', 'ok.yaml'], ['current', 'ok.yaml'], ['tight', 'tight.yaml']]) {
      const r = await runCli(['run', join(dir, file!), '--out', run(name!), '--quiet']);
      if (r.code !== 0) throw new Error(`run ${name} exited ${r.code}: ${r.stderr}`);
    }
  }, 150_000);

  it('two runs of the same scenario against the deterministic mock pass with the defaults', async () => {
    const r = await runCli(['compare', run('baseline'), run('current'), '--junit', join(dir, 'same.xml')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`compare: baseline ${run('baseline')} → current ${run('current')}`);
    expect(r.stdout).toMatch(/^scope\s+metric\s+baseline\s+current\s+change\s+tolerance\s+verdict$/m);
    expect(r.stdout).toMatch(/^total\s+rate\(ok\)\s+100\.00%\s+100\.00%\s+±0\.00pp\s+1pp,2req\s+ok$/m);
    expect(r.stdout).toMatch(/no regression; \d+ improved; \d+ metric\(s\) compared/);
    expect(r.stdout).toContain(`compare.csv: ${join(run('current'), 'compare.csv')}, JUnit: ${join(dir, 'same.xml')}`);
    const csv = readFileSync(join(run('current'), 'compare.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('scope,metric,baseline,current,delta,delta_pct,tolerance,verdict');
    expect(new Set(csv.slice(1).map((l) => l.split(',')[0]))).toEqual(new Set(['warmup', 'steady', 'burst', 'total']));
    // deterministic counts: the rates are identical
    for (const l of csv.filter((x) => /^\w+,rate\(/.test(x))) expect(l).toMatch(/,0\.000000,0\.00,|,0\.000000,,/);
    expect(csv.filter((l) => /,(regression|missing)$/.test(l))).toEqual([]);
    const xml = readFileSync(join(dir, 'same.xml'), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml).testsuites.failures).toBe('0');
  }, 30_000);

  it('tighter limits are a regression: exit 99, the table, compare.csv and JUnit name the metrics', async () => {
    const r = await runCli(['compare', run('baseline'), run('tight'), '--junit', join(dir, 'tight.xml')]);
    expect(r.code, r.stdout + r.stderr).toBe(99);
    expect(r.stdout).toMatch(/^burst\s+rate\(ok\)\s+100\.00%\s+\d+\.\d\d%\s+−\d+\.\d\dpp\s+1pp,2req\s+REGRESSION$/m);
    expect(r.stdout).toMatch(/^burst\s+rate\(rate_limited_requests\)\s+0\.00%.*REGRESSION$/m);
    expect(r.stdout).toMatch(/^total\s+value\(ok_rps\).*REGRESSION$/m);
    expect(r.stderr).toMatch(/^limitprobe: \d+ regression\(s\) against the baseline$/m);
    const csv = readFileSync(join(run('tight'), 'compare.csv'), 'utf8');
    expect(csv).toMatch(/^burst,rate\(ok\),1\.000000,0\.\d{6},-0\.\d{6},-\d+\.\d\d,"1pp,2req",regression$/m);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => n === 'testsuite' || n === 'testcase' }).parse(readFileSync(join(dir, 'tight.xml'), 'utf8'));
    const burst = doc.testsuites.testsuite.find((s: { name: string }) => s.name === 'limitprobe compare: burst');
    const failed = burst.testcase.filter((c: { failure?: unknown }) => c.failure).map((c: { name: string }) => c.name);
    expect(failed).toEqual(expect.arrayContaining(['rate(ok)', 'rate(rate_limited_requests)', 'value(ok_rps)']));

    // --quiet prints only the failures; a tolerance can accept the change
    const quiet = await runCli(['compare', run('baseline'), run('tight'), '--quiet']);
    expect(quiet.code).toBe(99);
    expect(quiet.stdout.split('\n').filter((l) => /\s(ok|improved)$/.test(l))).toEqual([]);
    const accepted = await runCli(['compare', run('baseline'), run('tight'), '--tolerance', 'rate(*)=off', '--tolerance', 'value(*)=off', '--tolerance', 'p*(*)=off']);
    expect(accepted.code, accepted.stdout + accepted.stderr).toBe(0);
    expect(accepted.stdout).toMatch(/^burst\s+rate\(ok\).*\soff\s+ignored$/m);
  }, 30_000);

  it('bad input exits 2 and names what is wrong', async () => {
    const missing = await runCli(['compare', join(dir, 'nope'), run('current')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`limitprobe: baseline run directory ${join(dir, 'nope')}: expected a directory written by "limitprobe run", found nothing there`);

    const empty = tempDir('limitprobe-empty-');
    const noSummary = await runCli(['compare', run('baseline'), empty]);
    expect(noSummary.code).toBe(2);
    expect(noSummary.stderr).toContain(`${join(empty, 'summary.csv')}: expected the run's summary.csv, found no such file`);

    const malformed = await runCli(['compare', run('baseline'), run('current'), '--tolerance', 'p95(response_time_ms)=+ten%']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain(`limitprobe: --tolerance 'p95(response_time_ms)=+ten%': expected parts like +10%, 5ms, 1pp, 2req or a plain number, joined by ",", found "+ten%"`);
    const unknown = await runCli(['compare', run('baseline'), run('current'), '--tolerance', 'p95(latency)=+10%']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--tolerance 'p95\(latency\)=\+10%': expected a metric such as .*, found "p95\(latency\)", which names no metric/);
    expect(existsSync(join(empty, 'compare.csv'))).toBe(false);

    const noArgs = await runCli(['compare', run('baseline')]);
    expect(noArgs.code).toBe(2);
  }, 30_000);
});
