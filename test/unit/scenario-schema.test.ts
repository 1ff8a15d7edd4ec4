import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { parseScenario, parseScenarioText, toInput, type Scenario } from '../../src/scenario/index.js';

const QUICKSTART = `# yaml-language-server: $schema=../scenario.schema.json
name: quickstart
description: optional text
seed: 42
target:
  kind: mock
  profile: qwen2
  model: qwen2-7b-instruct
  limits: { rpm: 800, tpm: 800000, contextWindow: 32768 }
  latency: { ttftMs: 200, tokensPerSecond: 100, jitter: 0.1 }
request:
  promptTokens: 500
  maxTokens: { dist: uniform, min: 16, max: 64 }
  stream: false
  system: You are terse.
client: { timeoutMs: 60000 }
maxInFlight: 512
phases:
  - name: warmup
    duration: 10s
    arrival: { type: constant, rate: 20 }
  - duration: 30s
    arrival: { type: poisson, rate: 1200/min }
  - duration: 20s
    concurrency: 8
thresholds: []
output: { dir: reports/quickstart }
`;

const minimal = (over: Record<string, unknown> = {}) => ({
  name: 'm',
  target: { kind: 'mock' },
  request: { promptTokens: 10, maxTokens: 5 },
  phases: [{ duration: 1, concurrency: 1 }],
  ...over,
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

describe('scenario schema: accepted forms', () => {
  it('parses the documented quickstart into the normalized Scenario', () => {
    const s = parseScenarioText(QUICKSTART, 'quickstart.yaml');
    expect(s).toEqual<Scenario>({
      name: 'quickstart',
      description: 'optional text',
      seed: 42,
      target: {
        kind: 'mock',
        profile: 'qwen2',
        model: 'qwen2-7b-instruct',
        limits: { rpm: 800, tpm: 800000, contextWindow: 32768 },
        latency: { ttftMs: 200, tokensPerSecond: 100, jitter: 0.1 },
      },
      request: {
        promptTokens: { dist: 'fixed', value: 500 },
        maxTokens: { dist: 'uniform', min: 16, max: 64 },
        stream: false,
        system: 'You are terse.',
      },
      client: { timeoutMs: 60000 },
      maxInFlight: 512,
      phases: [
        { name: 'warmup', durationMs: 10_000, kind: 'open', arrival: { type: 'constant', rate: 20 } },
        { name: 'phase-2', durationMs: 30_000, kind: 'open', arrival: { type: 'poisson', rate: 20 } },
        { name: 'phase-3', durationMs: 20_000, kind: 'closed', concurrency: 8 },
      ],
      thresholds: [],
      engine: 'chat',
      flood: { connections: 64, pipelining: 1 },
      mode: 'live',
      output: { dir: 'reports/quickstart' },
    });
  });

  it('accepts thresholds as strings or objects, the autocannon engine and simulation mode', () => {
    const s = parseScenario(
      minimal({
        thresholds: ['rate(ok) > 0.9', { expr: 'p95(latency_ms) < 100', abortOnFail: true, delayAbortEvalMs: 5000 }],
        engine: 'autocannon',
        flood: { pipelining: 4 },
        mode: 'sim',
      }),
    );
    expect(s.thresholds).toEqual(['rate(ok) > 0.9', { expr: 'p95(latency_ms) < 100', abortOnFail: true, delayAbortEvalMs: 5000 }]);
    expect(s.engine).toBe('autocannon');
    expect(s.flood).toEqual({ connections: 64, pipelining: 4 });
    expect(s.mode).toBe('sim');
    const bad = issuesOf(() => parseScenario(minimal({ engine: 'wrk', mode: 'virtual', thresholds: [{ expr: '', colour: 1 }] })));
    expect(bad.map((i) => i.path)).toEqual(expect.arrayContaining(['engine', 'mode']));
    expect(bad.some((i) => i.path.startsWith('thresholds[0]'))).toBe(true);
  });

  it('applies every default', () => {
    const s = parseScenario(minimal());
    expect(s.seed).toBe(1);
    expect(s.target).toEqual({ kind: 'mock', profile: 'qwen2' });
    expect(s.request.stream).toBe(false);
    expect(s.client).toEqual({ timeoutMs: 60_000 });
    expect(s.maxInFlight).toBe(512);
    expect(s.thresholds).toEqual([]);
    expect(s.output).toEqual({ dir: 'reports/m' });
    expect(s.phases[0]!.name).toBe('phase-1');
    expect('description' in s).toBe(false);
  });

  it('accepts an http target with every field, and defaults dialect and headers', () => {
    const full = parseScenario(
      minimal({
        target: {
          kind: 'http',
          baseUrl: 'https://dashscope.aliyuncs.com/compatible-mode/v1/',
          model: 'qwen2-72b-instruct',
          apiKeyEnv: 'DASHSCOPE_API_KEY',
          dialect: 'dashscope',
          pricing: { inputPerMillionUsd: 0.2, outputPerMillionUsd: 0.6 },
          headers: { 'X-Foo': 'bar' },
        },
      }),
    );
    expect(full.target).toEqual({
      kind: 'http',
      baseUrl: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
      model: 'qwen2-72b-instruct',
      apiKeyEnv: 'DASHSCOPE_API_KEY',
      dialect: 'dashscope',
      pricing: { inputPerMillionUsd: 0.2, outputPerMillionUsd: 0.6 },
      headers: { 'X-Foo': 'bar' },
    });
    const bare = parseScenario(minimal({ target: { kind: 'http', baseUrl: 'http://127.0.0.1:8080/v1', model: 'm' } }));
    expect(bare.target).toEqual({ kind: 'http', baseUrl: 'http://127.0.0.1:8080/v1', model: 'm', dialect: 'openai', headers: {} });
  });

  it.each(['openai', 'azure', 'dashscope', 'anthropic', 'groq'])('accepts dialect %s', (dialect) => {
    expect(parseScenario(minimal({ target: { kind: 'http', baseUrl: 'https://x.test', model: 'm', dialect } })).target).toMatchObject({ dialect });
  });

  it.each([
    [2, 2000],
    [0.25, 250],
    ['500ms', 500],
    ['10s', 10_000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
  ])('duration %j → %d ms', (duration, ms) => {
    expect(parseScenario(minimal({ phases: [{ duration, concurrency: 1 }] })).phases[0]!.durationMs).toBe(ms);
  });

  it.each([
    [20, 20],
    [0.5, 0.5],
    ['20/s', 20],
    ['1200/min', 20],
    ['30/min', 0.5],
  ])('rate %j → %d req/s', (rate, perSecond) => {
    const s = parseScenario(minimal({ phases: [{ duration: 1, arrival: { type: 'constant', rate } }] }));
    expect(s.phases[0]).toMatchObject({ kind: 'open', arrival: { rate: perSecond } });
  });

  it('normalizes every size form', () => {
    const forms = [
      [7, { dist: 'fixed', value: 7 }],
      [{ dist: 'fixed', value: 7 }, { dist: 'fixed', value: 7 }],
      [{ dist: 'uniform', min: 3, max: 3 }, { dist: 'uniform', min: 3, max: 3 }],
      [{ dist: 'normal', mean: 100, stddev: 20, min: 1, max: 300 }, { dist: 'normal', mean: 100, stddev: 20, min: 1, max: 300 }],
    ] as const;
    for (const [input, out] of forms) {
      expect(parseScenario(minimal({ request: { promptTokens: input, maxTokens: input } })).request).toMatchObject({ promptTokens: out, maxTokens: out });
    }
  });

  it('accepts a JSON "$schema" key and drops it', () => {
    const s = parseScenario(minimal({ $schema: '../scenario.schema.json' }));
    expect('$schema' in s).toBe(false);
  });

  it('round-trips through its input form', () => {
    const s = parseScenarioText(QUICKSTART, 'q.yaml');
    expect(parseScenario(toInput(s))).toEqual(s);
    const custom = parseScenario(minimal({ output: { dir: 'elsewhere' } }));
    expect(parseScenario(toInput(custom))).toEqual(custom);
  });
});

describe('scenario schema: errors', () => {
  it('reports every problem at once, each with path, expected and found', () => {
    const issues = issuesOf(() =>
      parseScenario({
        name: 'bad name',
        seed: -1,
        target: { kind: 'http', baseUrl: 'ftp://example.com', dialect: 'bedrock' },
        request: { promptTokens: 0, maxTokens: { dist: 'uniform', min: 50, max: 10 }, stream: 'yes' },
        maxInFlight: 1.5,
        phases: [
          { duration: 'soon', arrival: { type: 'constant', rate: 'fast' } },
          { duration: '5s', arrival: { type: 'sawtooth', rate: 1 } },
          { duration: '5s' },
          { duration: '5s', arrival: { type: 'poisson', rate: 1 }, concurrency: 2 },
        ],
        thresholds: 'p95 < 1s',
      }),
    );
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
    expect(byPath['phases[0].arrival.rate']).toMatchObject({ expected: 'a positive number or "N/s" / "N/min"', found: '"fast"' });
    expect(byPath['phases[0].duration']).toMatchObject({ expected: expect.stringContaining('"10s"'), found: '"soon"' });
    expect(byPath['phases[1].arrival.type']).toMatchObject({ expected: '"constant", "poisson", "gamma", "ramp", "steps" or "spike"', found: '"sawtooth"' });
    expect(byPath['phases[2]']).toMatchObject({ expected: expect.stringContaining('exactly one of arrival'), found: 'neither' });
    expect(byPath['phases[3]']).toMatchObject({ found: 'both' });
    expect(byPath['name']).toMatchObject({ found: '"bad name"' });
    expect(byPath['seed']).toMatchObject({ expected: 'an integer ≥ 0', found: '-1' });
    expect(byPath['target.baseUrl']).toMatchObject({ expected: expect.stringContaining('http(s) URL'), found: '"ftp://example.com"' });
    expect(byPath['target.model']).toMatchObject({ expected: 'a model name', found: 'nothing' });
    expect(byPath['target.dialect']).toMatchObject({ expected: 'one of openai, azure, dashscope, anthropic, groq', found: '"bedrock"' });
    expect(byPath['request.promptTokens']).toMatchObject({ expected: expect.stringContaining('a positive integer'), found: '0' });
    expect(byPath['request.maxTokens.max']).toMatchObject({ expected: 'an integer ≥ min (50)', found: '10' });
    expect(byPath['request.stream']).toMatchObject({ expected: 'true or false', found: '"yes"' });
    expect(byPath['maxInFlight']).toMatchObject({ found: '1.5' });
    expect(byPath['thresholds']).toMatchObject({ expected: 'a list of threshold expressions', found: '"p95 < 1s"' });
    expect(issues).toHaveLength(15);
  });

  it('puts the count and every issue in the error message', () => {
    try {
      parseScenario(minimal({ seed: 'x', maxInFlight: 0 }), 'my.yaml');
      expect.unreachable();
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toMatch(/^invalid scenario my\.yaml: 2 problems/);
      expect(msg).toContain('seed: expected an integer ≥ 0, found "x"');
      expect(msg).toContain('maxInFlight: expected a positive integer, found 0');
      expect((e as ConfigError).code).toBe('E_CONFIG');
    }
  });

  it('rejects unknown keys at every level, listing the allowed ones and a near miss', () => {
    const issues = issuesOf(() =>
      parseScenario(
        minimal({
          seeed: 1,
          target: { kind: 'mock', limits: { rps: 1 } },
          request: { promptTokens: 1, maxTokens: 1, temperature: 0.2 },
          phases: [{ duration: 1, concurrency: 1, rampUp: 2 }],
          client: { timeout: 5 },
        }),
      ),
    );
    expect(issues.map((i) => i.path).sort()).toEqual(
      ['client.timeout', 'phases[0].rampUp', 'request.temperature', 'seeed', 'target.limits.rps'].sort(),
    );
    const seeed = issues.find((i) => i.path === 'seeed')!;
    expect(seeed.found).toBe('unknown key "seeed"');
    expect(seeed.expected).toMatch(/^one of the keys .*\bseed\b/);
    expect(seeed.message).toBe('did you mean "seed"?');
    expect(issues.find((i) => i.path === 'target.limits.rps')!.expected).toBe('one of the keys rpm, tpm, contextWindow, rpmCapacity, tpmCapacity');
  });

  it('rejects a literal apiKey, says to use apiKeyEnv, and never echoes it', () => {
    for (const kind of ['http', 'mock']) {
      const target = kind === 'http' ? { kind, baseUrl: 'https://x.test', model: 'm', apiKey: 'sk-live-123' } : { kind, apiKey: 'sk-live-123' };
      try {
        parseScenario(minimal({ target }));
        expect.unreachable();
      } catch (e) {
        const [issue] = (e as ConfigError).issues;
        expect(issue).toMatchObject({ path: 'target.apiKey', expected: expect.stringContaining('apiKeyEnv') });
        expect((e as Error).message).not.toContain('sk-live-123');
      }
    }
  });

  it('does not echo a key pasted into apiKeyEnv or a secret header', () => {
    try {
      parseScenario(
        minimal({ target: { kind: 'http', baseUrl: 'https://x.test', model: 'm', apiKeyEnv: 'sk-proj-abc', headers: { Authorization: 42 } } }),
      );
      expect.unreachable();
    } catch (e) {
      const issues = (e as ConfigError).issues;
      expect(issues.map((i) => i.path)).toEqual(['target.apiKeyEnv', 'target.headers.Authorization']);
      expect((e as Error).message).not.toContain('sk-proj-abc');
      expect(issues[0]!.found).toContain('not shown');
    }
  });

  it('explains a wrong target kind, a non-object target and a bad size distribution', () => {
    const issues = issuesOf(() =>
      parseScenario(
        minimal({
          target: { kind: 'bedrock' },
          request: { promptTokens: { dist: 'gauss' }, maxTokens: { dist: 'normal', mean: 5, stddev: -1, min: 1, max: 'x' } },
        }),
      ),
    );
    expect(issues).toEqual([
      { path: 'target.kind', expected: '"mock" or "http"', found: '"bedrock"' },
      { path: 'request.promptTokens.dist', expected: '"fixed", "uniform", "normal", "lognormal" or "empirical"', found: '"gauss"' },
      { path: 'request.maxTokens.stddev', expected: 'a number ≥ 0', found: '-1' },
      { path: 'request.maxTokens.max', expected: 'a positive integer (tokens)', found: '"x"' },
    ]);
    expect(issuesOf(() => parseScenario(minimal({ target: 'mock' })))[0]).toMatchObject({ path: 'target', expected: expect.stringContaining('an object'), found: '"mock"' });
  });

  it('rejects zero rates, non-positive durations and an empty phase list', () => {
    expect(issuesOf(() => parseScenario(minimal({ phases: [{ duration: 0, arrival: { type: 'constant', rate: '0/s' } }] }))).map((i) => i.path)).toEqual([
      'phases[0].duration',
      'phases[0].arrival.rate',
    ]);
    expect(issuesOf(() => parseScenario(minimal({ phases: [] })))).toEqual([{ path: 'phases', expected: 'at least one phase', found: 'an empty list' }]);
  });

  it('requires unique phase names, counting default names', () => {
    const issues = issuesOf(() => parseScenario(minimal({ phases: [{ duration: 1, concurrency: 1 }, { name: 'phase-1', duration: 1, concurrency: 1 }] })));
    expect(issues).toEqual([{ path: 'phases[1].name', expected: 'a unique phase name', found: '"phase-1", already the name of phases[0]' }]);
  });

  it('rejects a missing or non-object scenario', () => {
    expect(issuesOf(() => parseScenario(null))).toEqual([{ path: '', expected: 'an object', found: 'null' }]);
    expect(issuesOf(() => parseScenario({})).map((i) => i.path)).toEqual(['name', 'target', 'request', 'phases']);
  });
});
