import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { applyOverrides, parseScenario, type Scenario } from '../../src/scenario/index.js';

const base = (): Scenario =>
  parseScenario({
    name: 'o',
    seed: 7,
    target: { kind: 'mock', model: 'qwen2-7b-instruct', limits: { rpm: 60 } },
    request: { promptTokens: 10, maxTokens: 5 },
    phases: [
      { name: 'a', duration: '10s', arrival: { type: 'poisson', rate: 2 } },
      { name: 'b', duration: '5s', concurrency: 4 },
    ],
  });

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('applyOverrides', () => {
  it('returns the scenario unchanged when nothing is given', () => {
    const s = base();
    expect(applyOverrides(s, {})).toBe(s);
    expect(applyOverrides(s, { rate: undefined })).toBe(s);
  });

  it('--target-url turns a mock target into http, keeping the model', () => {
    const s = applyOverrides(base(), { targetUrl: 'http://127.0.0.1:9999/v1/' });
    expect(s.target).toEqual({ kind: 'http', baseUrl: 'http://127.0.0.1:9999/v1', model: 'qwen2-7b-instruct', dialect: 'openai', headers: {} });
  });

  it('--target-url with --model, --api-key-env and --dialect', () => {
    const s = applyOverrides(base(), { targetUrl: 'https://api.groq.com/openai/v1', model: 'llama', apiKeyEnv: 'GROQ_API_KEY', dialect: 'groq' });
    expect(s.target).toMatchObject({ kind: 'http', model: 'llama', apiKeyEnv: 'GROQ_API_KEY', dialect: 'groq' });
  });

  it('--target-url on an http target replaces only the URL', () => {
    const http = applyOverrides(base(), { targetUrl: 'https://a.test', apiKeyEnv: 'K', dialect: 'azure' });
    expect(applyOverrides(http, { targetUrl: 'https://b.test' }).target).toMatchObject({ baseUrl: 'https://b.test', apiKeyEnv: 'K', dialect: 'azure' });
  });

  it('--target-url without any model names the missing field', () => {
    const noModel = parseScenario({ name: 'o', target: { kind: 'mock' }, request: { promptTokens: 1, maxTokens: 1 }, phases: [{ duration: 1, concurrency: 1 }] });
    expect(issuesOf(() => applyOverrides(noModel, { targetUrl: 'https://x.test' }))).toEqual([
      { path: 'target.model', expected: 'a model name', found: 'nothing', message: 'after applying --target-url' },
    ]);
  });

  it('--rate sets every phase, turning closed-loop phases into constant arrivals', () => {
    const s = applyOverrides(base(), { rate: '600/min' });
    expect(s.phases).toEqual([
      { name: 'a', durationMs: 10_000, kind: 'open', arrival: { type: 'poisson', rate: 10 } },
      { name: 'b', durationMs: 5_000, kind: 'open', arrival: { type: 'constant', rate: 10 } },
    ]);
    expect(applyOverrides(base(), { rate: '3' }).phases.map((p) => p.kind === 'open' && p.arrival && 'rate' in p.arrival && p.arrival.rate)).toEqual([3, 3]);
  });

  it('--duration, --seed and --out', () => {
    const s = applyOverrides(base(), { duration: '1m', seed: '99', outDir: 'out/x' });
    expect(s.phases.map((p) => p.durationMs)).toEqual([60_000, 60_000]);
    expect(s.seed).toBe(99);
    expect(s.output.dir).toBe('out/x');
    expect(applyOverrides(base(), { duration: 3 }).phases[0]!.durationMs).toBe(3000);
  });

  it('validates flag values like the file, once per flag, under the flag name', () => {
    const issues = issuesOf(() => applyOverrides(base(), { rate: 'fast', duration: '-1s', seed: 'abc', targetUrl: 'not a url' }));
    expect(issues).toHaveLength(4);
    expect(issues).toEqual(expect.arrayContaining([
      { path: '--seed', expected: 'an integer ≥ 0', found: '"abc"' },
      { path: '--target-url', expected: expect.stringContaining('http(s) URL'), found: '"not a url"' },
      { path: '--rate', expected: 'a positive number or "N/s" / "N/min"', found: '"fast"' },
      { path: '--duration', expected: expect.stringContaining('"10s"'), found: '"-1s"' },
    ]));
  });

  it('--api-key-env and --dialect need an http target', () => {
    expect(issuesOf(() => applyOverrides(base(), { apiKeyEnv: 'K', dialect: 'nope' })).map((i) => i.path)).toEqual(['--api-key-env', '--dialect']);
    expect(issuesOf(() => applyOverrides(base(), { targetUrl: 'https://x.test', dialect: 'nope' }))).toEqual([
      { path: '--dialect', expected: 'one of openai, azure, dashscope, anthropic, groq', found: '"nope"' },
    ]);
  });

  it('does not mutate its input', () => {
    const s = base();
    const copy = structuredClone(s);
    applyOverrides(s, { rate: 5, duration: 1, targetUrl: 'https://x.test' });
    expect(s).toEqual(copy);
  });
});
