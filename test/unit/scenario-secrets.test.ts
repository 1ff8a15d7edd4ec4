import { describe, expect, it } from 'vitest';
import { MissingSecretError } from '../../src/errors.js';
import { parseScenario, resolvedForReport, resolveSecrets, type Scenario } from '../../src/scenario/index.js';

const withTarget = (target: Record<string, unknown>): Scenario =>
  parseScenario({ name: 's', target, request: { promptTokens: 1, maxTokens: 1 }, phases: [{ duration: 1, concurrency: 1 }] });

const http = (extra: Record<string, unknown> = {}) => withTarget({ kind: 'http', baseUrl: 'https://api.test/v1', model: 'm', ...extra });

describe('resolveSecrets', () => {
  it('reads the key from the named variable', () => {
    expect(resolveSecrets(http({ apiKeyEnv: 'MY_KEY' }), { MY_KEY: 'sk-1' })).toEqual({ apiKey: 'sk-1' });
  });

  it('needs nothing for a mock target or an http target without apiKeyEnv', () => {
    expect(resolveSecrets(withTarget({ kind: 'mock' }), {})).toEqual({});
    expect(resolveSecrets(http(), {})).toEqual({});
  });

  it.each([undefined, '', '   '])('throws MissingSecretError for %j', (value) => {
    const s = http({ apiKeyEnv: 'MY_KEY' });
    const env = value === undefined ? {} : { MY_KEY: value };
    expect(() => resolveSecrets(s, env)).toThrow(MissingSecretError);
    try {
      resolveSecrets(s, env);
    } catch (e) {
      expect(e).toMatchObject({ code: 'E_SECRET', variable: 'MY_KEY', field: 'target.apiKeyEnv' });
      expect((e as Error).message).toContain('MY_KEY');
    }
  });
});

describe('resolvedForReport', () => {
  it('redacts secret-looking headers and URL credentials, keeps the rest', () => {
    const s = http({
      baseUrl: 'https://user:pw@api.test/v1?api-key=abc&region=eu',
      apiKeyEnv: 'MY_KEY',
      headers: { Authorization: 'Bearer sk-1', 'api-key': 'k', 'X-Goog-Api-Key': 'g', 'X-Auth-Token': 't', 'X-Team': 'blue' },
    });
    const r = resolvedForReport(s);
    const text = JSON.stringify(r);
    for (const secret of ['sk-1', '"k"', '"g"', '"t"', 'pw', 'abc']) expect(text).not.toContain(secret);
    expect(r.target).toMatchObject({
      apiKeyEnv: 'MY_KEY',
      headers: { Authorization: '[redacted]', 'api-key': '[redacted]', 'X-Goog-Api-Key': '[redacted]', 'X-Auth-Token': '[redacted]', 'X-Team': 'blue' },
    });
    expect(r.target.kind === 'http' && r.target.baseUrl).toContain('region=eu');
    expect(JSON.parse(text)).toEqual(r);
  });

  it('leaves a clean scenario as it is and does not touch the original', () => {
    const s = http({ headers: { Authorization: 'Bearer sk-1' } });
    const r = resolvedForReport(withTarget({ kind: 'mock' }));
    expect(r).toEqual(withTarget({ kind: 'mock' }));
    resolvedForReport(s);
    expect(s.target.kind === 'http' && s.target.headers.Authorization).toBe('Bearer sk-1');
    expect(resolvedForReport(http()).target).toMatchObject({ baseUrl: 'https://api.test/v1' });
  });
});
