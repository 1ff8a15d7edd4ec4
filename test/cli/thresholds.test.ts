/** Thresholds gate CI through the real CLI: 0 when they hold, 99 when one fails, 2 when malformed. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../helpers/csv.js';
import { runCli, tempDir } from '../helpers/cli.js';

function scenario(dir: string, thresholds: string[], duration = '2s'): string {
  const f = join(dir, 's.yaml');
  writeFileSync(
    f,
    `name: gate
target: { kind: mock, profile: qwen2, model: qwen2-7b-instruct, limits: { rpm: 60 }, latency: { ttftMs: 1, tokensPerSecond: 5000 } }
request: { promptTokens: 20, maxTokens: 2 }
phases:
  - { duration: ${duration}, arrival: { type: constant, rate: 50 } }
thresholds: ${JSON.stringify(thresholds)}
`,
  );
  return f;
}

describe('thresholds through the CLI', () => {
  it('exit 0 when every threshold holds, 99 when one fails, and the output says which', { timeout: 180_000 }, async () => {
    const dir = tempDir();
    // 60 RPM: the first 60 of 100 requests pass, the rest are 429s.
    const pass = await runCli(['run', scenario(dir, ['count(server_error) == 0', 'rate(ok) > 0.5']), '--out', join(dir, 'a')]);
    expect(pass.code).toBe(0);
    expect(pass.stdout).toMatch(/rate\(ok\) > 0\.5/);

    const fail = await runCli(['run', scenario(dir, ['count(server_error) == 0', 'rate(rate_limited) < 0.05']), '--out', join(dir, 'b')]);
    expect(fail.code).toBe(99);
    expect(fail.stdout).toMatch(/rate\(rate_limited\) < 0\.05/);
    expect(fail.stdout).toMatch(/FAIL|fail|✗/);

    const flag = await runCli(['run', scenario(dir, []), '--out', join(dir, 'c'), '--threshold', 'rate(ok) > 0.99']);
    expect(flag.code).toBe(99);
  });

  it('an abort-on-fail threshold stops the run early and exits 99', { timeout: 180_000 }, async () => {
    const dir = tempDir();
    const out = join(dir, 'o');
    const r = await runCli(['run', scenario(dir, ['rate(rate_limited) < 0.2 !abort'], '60s'), '--out', out]);
    expect(r.code).toBe(99);
    const total = readCsv(join(out, 'summary.csv')).rows.find((x) => x.scope === 'total')!;
    expect(total.interrupted).toBe('true');
    // 60 s at 50 req/s would be 3,000 requests; the abort comes within a few seconds of the 429s starting.
    expect(Number(total.attempts)).toBeLessThan(500);
  });

  it('exit 2 for a malformed threshold, naming it, before anything is sent', async () => {
    const dir = tempDir();
    const r = await runCli(['run', scenario(dir, ['p95(latency_ms) <<< 3']), '--out', join(dir, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/p95\(latency_ms\) <<< 3/);
    const flag = await runCli(['run', scenario(dir, []), '--out', join(dir, 'y'), '--threshold', 'p95(nonsense_ms) < 3']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--threshold/);
  });
});
