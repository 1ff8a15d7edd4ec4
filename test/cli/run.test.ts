/**
 * The `limitprobe run` command as users run it: the built bin in a child process, exit codes,
 * report files, and secrets that never reach any output.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockServer, type MockServer } from '../../mock-server/index.js';
import { REQUEST_COLUMNS } from '../../src/report/columns.js';
import { readCsv } from '../helpers/csv.js';
import { runCli, tempDir } from '../helpers/cli.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await createMockServer({ port: 0, latency: { ttftMs: 2, tokensPerSecond: 2000 } });
});
afterAll(() => mock.close());

function httpScenario(dir: string, body: string): string {
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, body.replaceAll('MOCK_URL', `${mock.url}/v1`));
  return file;
}

const sentToMock = () => {
  const s = mock.core.state();
  return s.admitted + s.rejectedTotal;
};

describe('limitprobe run', () => {
  it('runs a scenario, exits 0 and writes the three CSVs with the contract header', async () => {
    const dir = tempDir();
    const file = httpScenario(
      dir,
      `name: cli-ok
target: { kind: http, baseUrl: MOCK_URL, model: qwen2-7b-instruct }
request: { promptTokens: 30, maxTokens: 4 }
phases:
  - { duration: 1s, arrival: { type: constant, rate: 10 } }
`,
    );
    const out = join(dir, 'out');
    const r = await runCli(['run', file, '--out', out]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/total/);
    for (const f of ['requests.csv', 'timeseries.csv', 'summary.csv', 'scenario.resolved.json']) expect(existsSync(join(out, f)), f).toBe(true);
    const { header, rows } = readCsv(join(out, 'requests.csv'));
    expect(header).toEqual(REQUEST_COLUMNS.map((c) => c.name));
    expect(rows).toHaveLength(10);
    expect(rows.every((x) => x.outcome === 'ok')).toBe(true);
  });

  it('applies --rate, --duration and --seed overrides and prints JSON with --json', async () => {
    const dir = tempDir();
    const file = httpScenario(
      dir,
      `name: cli-over
target: { kind: http, baseUrl: MOCK_URL, model: qwen2-7b-instruct }
request: { promptTokens: 10, maxTokens: 2 }
phases:
  - { duration: 10s, arrival: { type: constant, rate: 1 } }
`,
    );
    const r = await runCli(['run', file, '--out', join(dir, 'o'), '--rate', '40', '--duration', '500ms', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    const total = json.summaries.find((s: { scope: string }) => s.scope === 'total');
    expect(total.requests).toBe(20);
  });

  it('exits 2 on an invalid scenario, listing every problem, and sends nothing', async () => {
    const dir = tempDir();
    const file = httpScenario(
      dir,
      `name: bad
target: { kind: http, baseUrl: MOCK_URL, model: qwen2-7b-instruct }
request: { promptTokens: -5, maxTokens: 4, colour: blue }
phases:
  - { duration: 1s, arrival: { type: constant, rate: fast } }
`,
    );
    const before = sentToMock();
    const r = await runCli(['run', file, '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/request\.promptTokens: expected a positive integer/);
    expect(r.stderr).toMatch(/colour/);
    expect(r.stderr).toMatch(/phases\[0\]\.arrival\.rate: expected a positive number or "N\/s" \/ "N\/min", found "fast"/);
    expect(r.stderr).not.toMatch(/internal error|    at /);
    expect(sentToMock()).toBe(before);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('exits 2 on bad arguments and a missing file', async () => {
    expect((await runCli(['run'])).code).toBe(2);
    expect((await runCli(['frobnicate'])).code).toBe(2);
    const missing = await runCli(['run', '/nonexistent/scenario.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nonexistent\/scenario\.yaml/);
    const badRate = await runCli(['run', 'scenarios/quickstart.yaml', '--rate', 'lots']);
    expect(badRate.code).toBe(2);
    expect(badRate.stderr).toMatch(/--rate/);
  });

  it('exits 2 before sending anything when the API key variable is unset', async () => {
    const dir = tempDir();
    const file = httpScenario(
      dir,
      `name: nokey
target: { kind: http, baseUrl: MOCK_URL, model: qwen2-7b-instruct, apiKeyEnv: LIMITPROBE_TEST_UNSET_KEY }
request: { promptTokens: 10, maxTokens: 2 }
phases:
  - { duration: 1s, arrival: { type: constant, rate: 5 } }
`,
    );
    const before = sentToMock();
    const r = await runCli(['run', file, '--out', join(dir, 'out')], { env: { LIMITPROBE_TEST_UNSET_KEY: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/LIMITPROBE_TEST_UNSET_KEY/);
    expect(sentToMock()).toBe(before);
  });

  it('never writes the API key to any report, log or resolved scenario', async () => {
    const dir = tempDir();
    const key = 'sk-limitprobe-test-7f3a9c1e5b';
    const file = httpScenario(
      dir,
      `name: secret
target:
  kind: http
  baseUrl: MOCK_URL
  model: qwen2-7b-instruct
  apiKeyEnv: LIMITPROBE_TEST_KEY
request: { promptTokens: 10, maxTokens: 2 }
phases:
  - { duration: 500ms, arrival: { type: constant, rate: 10 } }
`,
    );
    const out = join(dir, 'out');
    const r = await runCli(['run', file, '--out', out], { env: { LIMITPROBE_TEST_KEY: key } });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(key);
    const files = readdirSync(out);
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) expect(readFileSync(join(out, f), 'utf8'), f).not.toContain(key);
    const resolved = JSON.parse(readFileSync(join(out, 'scenario.resolved.json'), 'utf8'));
    expect(resolved.target.apiKeyEnv).toBe('LIMITPROBE_TEST_KEY');
  });
});
