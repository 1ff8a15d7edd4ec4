/**
 * `limitprobe mock --rpm-capacity N / --tpm-capacity N`: a bucket whose size differs from its
 * refill, over real HTTP (headers: limit = the rate, remaining from the capacity), and exit 2
 * with the flag named on bad values.
 */
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';

describe('limitprobe mock --rpm-capacity / --tpm-capacity', () => {
  it('serves a request bucket of 3 refilled at 6 per minute: three 200s, then a 429; headers name the rate', async () => {
    const run = startCli(['mock', '--profile', 'qwen2', '--rpm', '6', '--rpm-capacity', '3', '--tpm', '100000', '--port', '0', '--ttft-ms', '0']);
    const first = await run.line(/./);
    const url = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first)?.[1];
    expect(url, first).toBeDefined();
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 });
    const seen: [number, string | undefined, string | undefined][] = [];
    for (let i = 0; i < 4; i++) {
      const res = await request(`${url}/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      seen.push([res.statusCode, res.headers['x-ratelimit-limit-requests'] as string | undefined, res.headers['x-ratelimit-remaining-requests'] as string | undefined]);
      await res.body.text();
    }
    expect(seen).toEqual([
      [200, '6', '2'],
      [200, '6', '1'],
      [200, '6', '0'],
      [429, '6', '0'],
    ]);
    const state = (await (await request(`${url}/__limitprobe/state`)).body.json()) as { buckets: { requests: { limit: number; capacity?: number } } };
    expect(state.buckets.requests).toMatchObject({ limit: 6, capacity: 3 });
    run.child.kill('SIGTERM');
    expect((await run.done).code).toBe(0);
  });

  it('exit 2 naming the flag: a fractional capacity, or a capacity Azure cannot apply', async () => {
    const a = await runCli(['mock', '--rpm', '60', '--rpm-capacity', '2.5', '--port', '0']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--rpm-capacity: expected an integer ≥ 1, found 2\.5/);
    const b = await runCli(['mock', '--dialect', 'azure', '--rpm', '600', '--rpm-capacity', '50', '--port', '0']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/rpmCapacity/);
    expect(b.stderr).toMatch(/requests per 10 s/);
  });
});
