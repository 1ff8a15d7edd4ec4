/** API keys and tenants, the control API (admin token, config, counters), on a VirtualClock. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { MockCore, type MockCoreOptions } from '../../mock-server/core/core.js';
import { inProcess } from '../../mock-server/testing.js';

const INSTANT = { ttftMs: 0, tokensPerSecond: 0, jitter: 0 };
const MSG = [{ role: 'user', content: 'hi' }];
function setup(opts: MockCoreOptions) {
  const clock = new VirtualClock(0);
  const core = new MockCore({ latency: INSTANT, clock, ...opts });
  return { clock, core, mock: inProcess(core) };
}

describe('API keys', () => {
  it("missing or wrong key → 401 in each dialect's shape", async () => {
    const o = setup({ profile: 'openai', apiKeys: ['sk-good-key-123456'] });
    const missing = await o.mock.post('/v1/chat/completions', { messages: MSG });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { type: 'invalid_request_error', code: null, message: expect.stringMatching(/^You didn't provide an API key/) } });
    const wrong = await o.mock.post('/v1/chat/completions', { messages: MSG }, { authorization: 'Bearer sk-wrong-key-987654' });
    expect(await wrong.json()).toEqual({
      error: { message: 'Incorrect API key provided: sk-*************7654. You can find your API key at https://platform.openai.com/account/api-keys.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' },
    });
    expect((await o.mock.post('/v1/chat/completions', { messages: MSG }, { authorization: 'Bearer sk-good-key-123456' })).status).toBe(200);
    expect(o.core.state().rejected.unauthorized).toBe(2);

    const a = setup({ dialect: 'anthropic', apiKeys: ['ak'] });
    const ar = await a.mock.post('/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 1, messages: MSG }, { 'x-api-key': 'nope' });
    expect(ar.status).toBe(401);
    expect(await ar.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });

    const z = setup({ profile: 'azure', apiKeys: ['az'] });
    const zr = await z.mock.post('/openai/deployments/gpt-4o/chat/completions', { messages: MSG }, { 'api-key': 'bad' });
    expect(await zr.json()).toMatchObject({ error: { code: '401' } });
    expect((await z.mock.post('/openai/deployments/gpt-4o/chat/completions', { messages: MSG, max_tokens: 1 }, { 'api-key': 'az' })).status).toBe(200);
  });

  it('each key is its own tenant with its own limits (§7.1)', async () => {
    const { core, mock } = setup({ profile: 'openai', rpm: 1, apiKeys: { 'sk-a': { name: 'alice' }, 'sk-b': { name: 'bob', limits: { rpm: 2 } } } });
    const send = (k: string) => mock.post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: MSG, max_tokens: 1 }, { authorization: `Bearer ${k}` });
    expect((await send('sk-a')).status).toBe(200);
    expect((await send('sk-a')).status).toBe(429);
    const b1 = await send('sk-b');
    expect(b1.status).toBe(200);
    expect(b1.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect((await send('sk-b')).status).toBe(200);
    expect((await send('sk-b')).status).toBe(429);
    const st = core.state();
    expect(Object.keys(st.tenants!)).toEqual(['alice', 'bob']);
    expect(st.tenants!.bob!.models['gpt-4o-mini']!.rpm).toMatchObject({ limit: 2, remaining: 0 });
  });

  it('exhausting model A leaves model B untouched (§7.1)', async () => {
    const { mock } = setup({ profile: 'openai', rpm: 1 });
    expect((await mock.post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: MSG, max_tokens: 1 })).status).toBe(200);
    expect((await mock.post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: MSG, max_tokens: 1 })).status).toBe(429);
    const b = await mock.post('/v1/chat/completions', { model: 'gpt-4o', messages: MSG, max_tokens: 1 });
    expect(b.status).toBe(200);
    expect(b.headers.get('x-ratelimit-remaining-requests')).toBe('0');
  });
});

describe('control API', () => {
  it('requires the admin token when one is set', async () => {
    const { mock } = setup({ adminToken: 'sekret' });
    expect((await mock.get('/__limitprobe/state')).status).toBe(401);
    expect((await mock.get('/__limitprobe/state', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await mock.get('/__limitprobe/state', { authorization: 'Bearer sekret' })).status).toBe(200);
    expect((await mock.get('/__limitprobe/counters', { 'x-limitprobe-admin-token': 'sekret' })).status).toBe(200);
    expect((await mock.request('/__limitprobe/reset', { method: 'POST' })).status).toBe(401);
  });

  it('POST /__limitprobe/config cuts a quota mid-run; GET shows it; counters and referee routes answer', async () => {
    const { mock, core } = setup({ rpm: 100 });
    const send = () => mock.post('/v1/chat/completions', { messages: MSG, max_tokens: 1 });
    expect((await send()).status).toBe(200);
    const cut = await mock.post('/__limitprobe/config', { limits: { rpm: 2 } });
    expect(cut.status).toBe(200);
    expect(((await cut.json()) as { limitChanges: unknown[] }).limitChanges).toEqual([{ rpm: 2 }]);
    expect((await send()).headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(429);
    const bad = await mock.post('/__limitprobe/config', { limits: { rpm: -1 } });
    expect(bad.status).toBe(400);
    expect((await mock.post('/__limitprobe/config', 'nope')).status).toBe(400);
    const counters = (await (await mock.get('/__limitprobe/counters')).json()) as { admitted: number; rejected: { rate_limited_requests: number } };
    expect(counters).toMatchObject({ admitted: 3, rejected: { rate_limited_requests: 1 } });
    const ledger = (await (await mock.get('/__limitprobe/referee')).json()) as Record<string, { requests: number }>;
    expect(ledger.default!.requests).toBe(4);
    const csv = await (await mock.get('/__limitprobe/referee.csv')).text();
    expect(csv.split('\n')[0]).toMatch(/^tenant,requests,ok,rate_limited,/);
    // overload and faults at run time
    await mock.post('/__limitprobe/config', { overload: { timeline: [{ fromMs: 0, toMs: 1e9, status: 503 }] } });
    expect((await send()).status).toBe(503);
    await mock.post('/__limitprobe/config', { overload: null });
    expect(core.overload).toBeUndefined();
  });
});
