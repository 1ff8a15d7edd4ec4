import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/index.js';
import { runCli, tempDir } from '../helpers/cli.js';

describe('limitprobe validate', () => {
  it('accepts a valid scenario, exits 0 and describes its phases', async () => {
    const r = await runCli(['validate', 'scenarios/quickstart.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid — "quickstart", 3 phase\(s\), 28\.0 s/);
    expect(r.stdout).toMatch(/request-flood: 10\.0 s, constant at 120 req\/s/);
  });

  it('exits 2 and lists every problem of an invalid scenario', async () => {
    const dir = tempDir();
    const f = join(dir, 's.yaml');
    writeFileSync(f, 'name: x\ntarget: { kind: mock }\nrequest: { promptTokens: 0, maxTokens: 1 }\nphases: []\n');
    const r = await runCli(['validate', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/request\.promptTokens/);
    expect(r.stderr).toMatch(/phases: expected at least one phase/);
  });
});

describe('limitprobe init', () => {
  it('writes a starter scenario that validates, and refuses to overwrite without --force', async () => {
    const dir = tempDir();
    const f = join(dir, 'starter.yaml');
    expect((await runCli(['init', f])).code).toBe(0);
    const s = await loadScenario(f);
    expect(s.phases.map((p) => p.name)).toEqual(['warmup', 'steady']);
    expect(readFileSync(f, 'utf8')).toMatch(/apiKeyEnv/);
    const again = await runCli(['init', f]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/--force/);
    expect((await runCli(['init', f, '--force'])).code).toBe(0);
  });
});
