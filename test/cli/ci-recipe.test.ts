/**
 * docs/ci.md's shell recipe, run end to end exactly as written (the block between the
 * ci-recipe markers) with bash against the built CLI: `limitprobe` is a shim on PATH. First run:
 * no baseline yet → stores one, exit 0. Second run of the same commit: compare passes, exit 0,
 * with compare.csv and JUnit XML. Third run against a mock with a much lower RPM limit: the
 * compare finds the regression and the script exits 99. The mock is stopped every time.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { BIN, runBash, ROOT, tempDir } from '../helpers/cli.js';


const SCENARIO = `
name: ci-smoke
seed: 11
target:
  kind: mock
  profile: qwen2
  model: qwen2-7b-instruct
request:
  promptTokens: { dist: uniform, min: 100, max: 400 }
  maxTokens: 32
  stream: true
phases:
  - name: warmup              # absorbs the cold start; too few samples to be judged
    duration: 2s
    arrival: { type: constant, rate: 5 }
  - name: steady
    duration: 3s
    arrival: { type: constant, rate: 10 }
  - name: burst
    duration: 2s
    arrival: { type: constant, rate: 30 }
`;

export function extractRecipe(markdown: string): string {
  const m = /<!-- ci-recipe:start -->\s*```bash\n([\s\S]*?)```\s*<!-- ci-recipe:end -->/.exec(markdown);
  if (!m) throw new Error('docs/ci.md: expected a ```bash block between <!-- ci-recipe:start --> and <!-- ci-recipe:end -->, found none');
  return m[1]!;
}


async function mockIsDown(work: string): Promise<boolean> {
  const url = /listening on (\S+)/.exec(readFileSync(join(work, 'reports/ci/mock.log'), 'utf8'))?.[1];
  if (!url) return false;
  try {
    await fetch(`${url}/v1/models`, { signal: AbortSignal.timeout(2000) });
    return false;
  } catch {
    return true;
  }
}

describe('docs/ci.md shell recipe', () => {
  it('stores a baseline, passes a second run of the same commit, fails (99) on a regression', async () => {
    const work = tempDir('limitprobe-ci-');
    const recipe = join(work, 'limitprobe-ci.sh');
    writeFileSync(recipe, extractRecipe(readFileSync(join(ROOT, 'docs/ci.md'), 'utf8')));
    writeFileSync(join(work, 'ci.yaml'), SCENARIO);
    const shims = join(work, 'bin');
    mkdirSync(shims);
    writeFileSync(join(shims, 'limitprobe'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(shims, 'limitprobe'), 0o755);
    const env = {
      PATH: `${shims}:${process.env.PATH}`,
      SCENARIO: 'ci.yaml',
      MOCK_FLAGS: '--profile qwen2 --ttft-ms 150 --tokens-per-second 200 --rpm 600',
    };

    const first = await runBash(recipe, work, env);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(first.stdout).toContain('no baseline at ci/baseline yet: stored this run there; commit it');
    expect(existsSync(join(work, 'ci/baseline/summary.csv'))).toBe(true);
    expect(await mockIsDown(work)).toBe(true);

    const second = await runBash(recipe, work, env);
    expect(second.code, second.stderr + second.stdout).toBe(0);
    expect(second.stdout).toMatch(/no regression; \d+ improved; \d+ metric\(s\) compared/);
    const csv = readFileSync(join(work, 'reports/ci/run/compare.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('scope,metric,baseline,current,delta,delta_pct,tolerance,verdict');
    expect(csv).toMatch(/^total,rate\(ok\),1\.000000,1\.000000,0\.000000,0\.00,"1pp,2req",pass$/m);
    const junit = readFileSync(join(work, 'reports/ci/junit.xml'), 'utf8');
    expect(XMLValidator.validate(junit)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(junit);
    expect(doc.testsuites.failures).toBe('0');
    expect(Number(doc.testsuites.tests)).toBeGreaterThan(20);
    expect(await mockIsDown(work)).toBe(true);

    // the same commit against a mock that allows 40 requests/min: the burst phase is throttled
    const third = await runBash(recipe, work, { ...env, MOCK_FLAGS: '--profile qwen2 --ttft-ms 150 --tokens-per-second 200 --rpm 40' });
    expect(third.code, third.stderr + third.stdout).toBe(99);
    expect(third.stdout).toMatch(/total\s+rate\(ok\)\s+100\.00%\s+\d+\.\d+%.*REGRESSION/);
    expect(third.stdout).toMatch(/total\s+rate\(rate_limited_requests\)\s+0\.00%.*REGRESSION/);
    expect(third.stderr).toMatch(/limitprobe: \d+ regression\(s\) against the baseline/);
    const failed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(join(work, 'reports/ci/junit.xml'), 'utf8'));
    expect(Number(failed.testsuites.failures)).toBeGreaterThan(0);
    expect(await mockIsDown(work)).toBe(true);
  }, 180_000);

  it('extracts exactly one bash block between the markers', () => {
    const recipe = extractRecipe(readFileSync(join(ROOT, 'docs/ci.md'), 'utf8'));
    expect(recipe.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(recipe).toContain('limitprobe mock --port 0');
    expect(recipe).toContain('limitprobe compare "$BASELINE" "$OUT/run"');
    expect(() => extractRecipe('no markers')).toThrow(/expected a ```bash block between/);
  });
});
