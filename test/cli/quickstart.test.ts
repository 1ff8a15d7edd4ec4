/**
 * The README's quickstart stays true: `npm start` runs scenarios/quickstart.yaml against the
 * embedded mock, prints the summary and writes the reports, and the limits visibly bite:
 * successes, 429s on requests per minute and 429s on tokens per minute.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../helpers/csv.js';
import { ROOT, tempDir } from '../helpers/cli.js';

describe('quickstart', () => {
  it('npm start shows successes and both kinds of 429 and writes the reports', { timeout: 120_000 }, async () => {
    const out = join(tempDir(), 'quickstart');
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn('npm', ['start', '--silent', '--', '--out', out], { cwd: ROOT, env: { ...process.env, CI: '1' } });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('close', (c) => resolve({ code: c, stdout }));
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/within-limits/);
    expect(stdout).toMatch(/request-flood/);
    expect(stdout).toMatch(/token-flood/);
    for (const f of ['requests.csv', 'timeseries.csv', 'summary.csv', 'scenario.resolved.json']) expect(existsSync(join(out, f))).toBe(true);

    const total = readCsv(join(out, 'summary.csv')).rows.find((r) => r.scope === 'total')!;
    expect(Number(total.ok)).toBeGreaterThan(0);
    expect(Number(total.rate_limited_requests)).toBeGreaterThan(0);
    expect(Number(total.rate_limited_tokens)).toBeGreaterThan(0);
    const within = readCsv(join(out, 'summary.csv')).rows.find((r) => r.scope === 'within-limits')!;
    expect(Number(within.ok)).toBe(Number(within.attempts));

    const mock = JSON.parse(readFileSync(join(out, 'mock-state.json'), 'utf8'));
    expect(mock.admitted).toBe(Number(total.ok));
    expect(mock.rejected.rate_limited_requests).toBe(Number(total.rate_limited_requests));
    expect(mock.rejected.rate_limited_tokens).toBe(Number(total.rate_limited_tokens));
  });
});
