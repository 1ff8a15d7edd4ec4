/**
 * Ctrl-C keeps the data: a real run is interrupted with SIGINT; it stops scheduling, lets
 * in-flight requests finish, writes every finished attempt to requests.csv, marks the summary
 * interrupted and exits 130.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../helpers/csv.js';
import { startCli, tempDir } from '../helpers/cli.js';

describe('interrupting a run', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s flushes every finished attempt and exits 130', { timeout: 60_000 }, async (sig) => {
    const dir = tempDir();
    const file = join(dir, 'long.yaml');
    writeFileSync(
      file,
      `name: long
target: { kind: mock, profile: qwen2, model: qwen2-7b-instruct, latency: { ttftMs: 300, tokensPerSecond: 50 } }
request: { promptTokens: 50, maxTokens: 20, stream: true }
phases:
  - { duration: 5m, arrival: { type: constant, rate: 20 } }
`,
    );
    const out = join(dir, 'out');
    const run = startCli(['run', file, '--out', out]);
    // Let it send for a while (rows are streamed as attempts finish); requests take ~0.7 s,
    // so at 20 req/s about 14 are always in flight when the signal arrives.
    const csv = join(out, 'requests.csv');
    const lines = () => (existsSync(csv) ? readFileSync(csv, 'utf8').split('\n').length - 2 : 0);
    for (let i = 0; i < 200 && lines() < 30; i++) await new Promise((r) => setTimeout(r, 100));
    run.child.kill(sig);
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted/);

    const { rows } = readCsv(join(out, 'requests.csv'));
    expect(rows.length).toBeGreaterThan(20);
    // The mock's own count of requests it answered equals the rows we kept: nothing lost.
    const mock = JSON.parse(readFileSync(join(out, 'mock-state.json'), 'utf8'));
    expect(rows.filter((x) => x.status !== '')).toHaveLength(mock.admitted + mock.rejectedTotal);
    // In-flight requests were allowed to finish, not cut.
    expect(rows.every((x) => x.outcome === 'ok')).toBe(true);
    const total = readCsv(join(out, 'summary.csv')).rows.find((x) => x.scope === 'total')!;
    expect(total.interrupted).toBe('true');
    expect(Number(total.attempts)).toBe(rows.length);
    expect(existsSync(join(out, 'timeseries.csv'))).toBe(true);
  });
});
