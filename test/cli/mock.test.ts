import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';

describe('limitprobe mock', () => {
  it('prints "listening on" first, serves chat completions with the limits given, and stops on SIGTERM', async () => {
    const run = startCli(['mock', '--profile', 'qwen2', '--rpm', '2', '--tpm', '100000', '--port', '0']);
    const first = await run.line(/./);
    const m = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(first);
    expect(m, first).not.toBeNull();
    const url = m![1]!;
    const body = JSON.stringify({ model: 'qwen2-7b-instruct', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await request(`${url}/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      statuses.push(res.statusCode);
      await res.body.text();
    }
    // Two requests per minute: the third is a 429 on requests.
    expect(statuses).toEqual([200, 200, 429]);
    const state = (await (await request(`${url}/__limitprobe/state`)).body.json()) as { admitted: number; rejected: Record<string, number> };
    expect(state.admitted).toBe(2);
    expect(state.rejected.rate_limited_requests).toBe(1);
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code).toBe(0);
  });

  it('rejects a non-positive limit with exit 2 and names the flag', async () => {
    const r = await runCli(['mock', '--rpm', '-1', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--rpm: expected a positive number, found -1/);
  });

  it('rejects an unknown profile with exit 2 and lists the known ones', async () => {
    const r = await runCli(['mock', '--profile', 'nope', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/qwen2/);
  });
});
