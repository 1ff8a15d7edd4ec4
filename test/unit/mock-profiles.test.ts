import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { getProfile, profileNames, QWEN2_PROFILE } from '../../mock-server/profiles/index.js';
import { MockCore } from '../../mock-server/core/core.js';

describe('profiles', () => {
  it('qwen2: the seed’s five models, 800 RPM / 800,000 TPM, $0.20 / $0.60 per M', () => {
    const p = getProfile('qwen2');
    expect(p).toBe(QWEN2_PROFILE);
    expect(p.models.map((m) => [m.id, m.contextWindow])).toEqual([
      ['qwen2-0.5b-instruct', 32_768],
      ['qwen2-1.5b-instruct', 32_768],
      ['qwen2-7b-instruct', 131_072],
      ['qwen2-57b-a14b-instruct', 65_536],
      ['qwen2-72b-instruct', 131_072],
    ]);
    for (const m of p.models) {
      expect(m).toMatchObject({ rpm: 800, tpm: 800_000, priceInputPerMTokens: 0.2, priceOutputPerMTokens: 0.6 });
      expect(m.contextWindow).toBeGreaterThanOrEqual(8_192);
      expect(m.contextWindow).toBeLessThanOrEqual(131_072);
    }
  });

  it('openai-tier1 (alias openai) has gpt-4o-mini', () => {
    expect(getProfile('openai').models.find((m) => m.id === 'gpt-4o-mini')).toMatchObject({ contextWindow: 128_000, rpm: 500, tpm: 200_000 });
    expect(profileNames()).toEqual(['qwen2', 'openai-tier1', 'groq', 'azure', 'dashscope', 'anthropic-tier1']);
  });

  it('unknown profile → ConfigError listing the known ones', () => {
    let err: unknown;
    try {
      getProfile('qwen9');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('E_CONFIG');
    expect((err as Error).message).toContain('qwen9');
    expect((err as Error).message).toContain('qwen2');
    expect((err as Error).message).toContain('openai-tier1');
  });

  it('core options are validated as ConfigErrors', () => {
    expect(() => new MockCore({ model: 'gpt-4o' })).toThrow(/expected one of qwen2-0\.5b-instruct/);
    expect(() => new MockCore({ rpm: 0 })).toThrow(ConfigError);
    expect(() => new MockCore({ tpm: 1.5 })).toThrow(ConfigError);
    expect(() => new MockCore({ latency: { jitter: 1 } })).toThrow(ConfigError);
    expect(() => new MockCore({ outputLength: 'long' as never })).toThrow(ConfigError);
    expect(new MockCore({ rpm: 5, tpm: 50, contextWindow: 1000 }).state().models['qwen2-72b-instruct']!.buckets).toEqual({
      requests: { limit: 5, remaining: 5, resetMs: 0 },
      tokens: { limit: 50, remaining: 50, resetMs: 0 },
    });
  });
});

describe('latency layering', () => {
  it('profile → model → options, undefined fields never override', () => {
    const c = new MockCore({ latency: { ttftMs: undefined, tokensPerSecond: 10 } });
    expect(c.resolveModel('qwen2-72b-instruct')!.latency).toEqual({ ttftMs: 400, tokensPerSecond: 10, jitter: 0.1 });
    expect(c.resolveModel('qwen2-0.5b-instruct')!.latency).toEqual({ ttftMs: 80, tokensPerSecond: 10, jitter: 0.1 });
  });
});
