import { describe, expect, it } from 'vitest';
import { parseApiKeySpec, parseFaultSpec, parseOverloadCapacity, parseOverloadWindow } from '../../mock-server/cli-options.js';

describe('mock CLI spec parsers', () => {
  it('--fault', () => {
    expect(parseFaultSpec('cut:0.05')).toEqual({ kind: 'cut', probability: 0.05 });
    expect(parseFaultSpec('stall:0.01:3s')).toEqual({ kind: 'stall', probability: 0.01, ms: 3000 });
    expect(parseFaultSpec('reset@10s-20s')).toEqual({ kind: 'reset', fromMs: 10_000, toMs: 20_000 });
    expect(parseFaultSpec('slow-first-byte::250')).toEqual({ kind: 'slow-first-byte', ms: 250 });
    expect(() => parseFaultSpec('explode')).toThrow(/--fault/);
    expect(() => parseFaultSpec('cut:2')).toThrow(/probability/);
    expect(() => parseFaultSpec('cut@5s-1s')).toThrow(/FROM before TO/);
  });
  it('--overload-capacity and --overload-window', () => {
    expect(parseOverloadCapacity('50:0.5')).toEqual({ concurrency: 50, maxProbability: 0.5 });
    expect(parseOverloadCapacity('8::2')).toEqual({ concurrency: 8, slowdown: 2 });
    expect(() => parseOverloadCapacity('0')).toThrow(ConfigErrorLike);
    expect(parseOverloadWindow('30s-45s:0.8:529')).toEqual({ fromMs: 30_000, toMs: 45_000, probability: 0.8, status: 529 });
    expect(() => parseOverloadWindow('1s-2s:1:418')).toThrow(/STATUS/);
  });
  it('--api-key', () => {
    expect(parseApiKeySpec('sk-a')).toEqual(['sk-a', {}]);
    expect(parseApiKeySpec('sk-b=team-b,rpm=10,concurrent=2,budget=1.5,account=acme')).toEqual(['sk-b', { name: 'team-b', limits: { rpm: 10, maxConcurrent: 2 }, budgetUsd: 1.5, account: 'acme' }]);
    expect(() => parseApiKeySpec('sk,rpm=0')).toThrow(/--api-key/);
    expect(() => parseApiKeySpec('sk,colour=red')).toThrow(/--api-key/);
  });
});

const ConfigErrorLike = /--overload-capacity/;
