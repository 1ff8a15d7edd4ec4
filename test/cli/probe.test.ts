/** `limitprobe probe` through the built CLI: cost control, fail-fast, and findings a mock can replay. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockServer, type MockServer } from '../../mock-server/index.js';
import { runCli, startCli, tempDir } from '../helpers/cli.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await createMockServer({ port: 0, contextWindow: 6000, latency: { ttftMs: 1, tokensPerSecond: 5000 } });
});
afterAll(() => mock.close());

describe('limitprobe probe', () => {
  it('fails fast with exit 2 and spends nothing when the target is unreachable', async () => {
    const dir = tempDir();
    const t0 = Date.now();
    const r = await runCli(['probe', '--base-url', 'http://127.0.0.1:9/v1', '--model', 'm', '--yes', '--price-input', '1', '--price-output', '1', '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/127\.0\.0\.1:9/);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(existsSync(join(dir, 'limits.json'))).toBe(false);
  });

  it('refuses to spend without confirmation when there is no terminal to ask', async () => {
    const before = mock.core.state().admitted;
    const r = await runCli(['probe', '--base-url', `${mock.url}/v1`, '--model', 'qwen2-7b-instruct', '--out', tempDir()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
    expect(mock.core.state().admitted).toBe(before);
  });

  it('finds the context window exactly, within budget, and emits a profile the mock loads', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const profile = join(dir, 'profile.yaml');
    const r = await runCli([
      'probe', '--base-url', `${mock.url}/v1`, '--model', 'qwen2-7b-instruct', '--only', 'context', '--yes',
      '--profile', 'qwen2', '--budget-usd', '0.05', '--out', dir, '--emit-profile', profile,
    ]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const limits = JSON.parse(readFileSync(join(dir, 'limits.json'), 'utf8'));
    const ctx = limits.limits?.context ?? limits.context ?? Object.values(limits.limits ?? limits).find((l: any) => l?.name === 'context');
    expect(ctx.value).toBe(6000);
    expect(limits.spent_usd).toBeLessThanOrEqual(0.05);
    expect(existsSync(join(dir, 'probe.csv'))).toBe(true);
    // The emitted profile is a valid mock profile.
    const m = startCli(['mock', '--profile', profile, '--port', '0']);
    const first = await m.line(/./);
    expect(first).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
    m.child.kill('SIGTERM');
    expect((await m.done).code).toBe(0);
  });
});
