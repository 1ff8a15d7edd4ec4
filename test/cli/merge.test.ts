/**
 * `limitprobe merge` and docs/distributed.md's shell recipe, end to end with the built CLI
 * (`node dist/src/cli/main.js`, as users run it; `limitprobe` is a shim on PATH): N = 3 shard
 * processes started with --shard i/3 --start-at T against one `limitprobe mock` process, then
 * merged. The merged requests.csv holds exactly the single generator's schedule (ids 0…M−1 once
 * each, at the plan's times), the shards started together, and merge refuses an incomplete set
 * with exit 2, naming what is missing.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/plan.js';
import { parseScenario } from '../../src/scenario/index.js';
import { readCsv } from '../helpers/csv.js';
import { BIN, runBash, ROOT, runCli, startCli, tempDir } from '../helpers/cli.js';



const SCENARIO = {
  name: 'shard-recipe',
  seed: 21,
  target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct' },
  request: { promptTokens: { dist: 'uniform', min: 50, max: 300 }, maxTokens: 16, stream: true },
  phases: [
    { name: 'steady', duration: '2s', arrival: { type: 'constant', rate: 20 } },
    { name: 'bursty', duration: '2s', arrival: { type: 'poisson', rate: 30 } },
  ],
};

export function extractShardRecipe(markdown: string): string {
  const m = /<!-- shard-recipe:start -->\s*```bash\n([\s\S]*?)```\s*<!-- shard-recipe:end -->/.exec(markdown);
  if (!m) throw new Error('docs/distributed.md: expected a ```bash block between <!-- shard-recipe:start --> and <!-- shard-recipe:end -->, found none');
  return m[1]!;
}


describe('docs/distributed.md shell recipe (N = 3 processes against one mock)', () => {
  it('runs as written; the merge is the single schedule; merge refuses a missing shard', async () => {
    const work = tempDir();
    const bin = join(work, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'limitprobe'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(bin, 'limitprobe'), 0o755);
    const recipe = join(work, 'distributed.sh');
    writeFileSync(recipe, extractShardRecipe(readFileSync(join(ROOT, 'docs/distributed.md'), 'utf8')));
    writeFileSync(join(work, 'scenario.json'), JSON.stringify(SCENARIO));

    // One mock for all shards, limits far above the load: every request is answered ok.
    const mock = startCli(['mock', '--port', '0', '--rpm', '1000000', '--tpm', '1000000000', '--ttft-ms', '20', '--tokens-per-second', '2000']);
    try {
      const url = /listening on (\S+)/.exec(await mock.line(/listening on/))![1]!;
      const r = await runBash(recipe, work, {
        PATH: `${bin}:${process.env.PATH}`,
        SCENARIO: 'scenario.json',
        N: '3',
        OUT: 'out',
        LEAD_MS: '8000',
        TARGET_URL: `${url}/v1`,
      });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toContain('merged 3 shards');

      // The single generator's schedule: ids 0…M−1 once each, at the plan's times.
      const plan = buildPlan(parseScenario(SCENARIO));
      const times = plan.phases.flatMap((p) => [...p.arrivals!()]);
      const rows = readCsv(join(work, 'out/merged/requests.csv')).rows.filter((x) => x.attempt === '1');
      expect(rows.map((x) => Number(x.request_id))).toEqual(times.map((_, k) => k));
      expect(rows.map((x) => Number(x.targeted_start_ms))).toEqual(times.map((t) => Number(t.toFixed(3))));
      expect(new Set(rows.map((x) => x.outcome))).toEqual(new Set(['ok']));
      const total = readCsv(join(work, 'out/merged/summary.csv')).rows.find((x) => x.scope === 'total' && x.group === '*')!;
      expect(Number(total.requests)).toBe(times.length);

      // The shards started together: each recorded its skew against --start-at.
      const merge = JSON.parse(readFileSync(join(work, 'out/merged/merge.json'), 'utf8'));
      expect(merge.shards.map((s: { shard: string }) => s.shard)).toEqual(['0/3', '1/3', '2/3']);
      for (const s of merge.shards) expect(Math.abs(s.startSkewMs)).toBeLessThan(250);
      expect(merge.missing).toEqual([]);

      // Two of three: refused (exit 2), the missing shard named.
      const partial = await runCli(['merge', join(work, 'out/shard-0'), join(work, 'out/shard-2'), '--out', join(work, 'partial')]);
      expect(partial.code).toBe(2);
      expect(partial.stderr).toContain('missing shards: 1/3');
      // A plain run directory is no shard.
      const plain = await runCli(['merge', join(work, 'out/merged'), '--out', join(work, 'x')]);
      expect(plain.code).toBe(2);
    } finally {
      mock.child.kill('SIGTERM');
      await mock.done;
    }
  }, 120_000);
});

describe('limitprobe merge --json', () => {
  it('prints the merge as JSON', async () => {
    const out = tempDir();
    const dirs = [0, 1].map((i) => join(out, `s${i}`));
    const scen = join(out, 'scenario.json');
    writeFileSync(scen, JSON.stringify({ ...SCENARIO, mode: 'sim', phases: [{ name: 'p', duration: '5s', arrival: { type: 'constant', rate: 10 } }] }));
    for (const [i, d] of dirs.entries()) {
      const r = await runCli(['run', scen, '--shard', `${i}/2`, '--out', d, '--quiet']);
      expect(r.code, r.stderr).toBe(0);
    }
    const r = await runCli(['merge', ...dirs, '--out', join(out, 'merged'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.missing).toEqual([]);
    expect(j.requestRows).toBe(50);
  }, 60_000);
});
