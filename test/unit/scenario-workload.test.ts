/** The workload fields of the schema: shapes, token targets, requests, think time, sizes, groups, conversations. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { applyOverrides, loadScenario, parseScenario, parseScenarioText, resolveSecrets, toInput, type Scenario } from '../../src/scenario/index.js';

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

const FULL = {
  name: 'full',
  target: { kind: 'http', baseUrl: 'https://x.test/v1', model: 'm', apiKeyEnv: 'KEY' },
  request: {
    promptTokens: { dist: 'lognormal', median: 800, sigma: 0.7, min: 16, max: 8000 },
    maxTokens: { dist: 'empirical', values: [16, 64, 256] },
    conversation: { turns: { dist: 'uniform', min: 2, max: 6 }, sessions: 4 },
  },
  phases: [
    { name: 'const', duration: '10s', arrival: { type: 'constant', tokensPerMinute: 600000 } },
    { name: 'both', duration: '10s', arrival: { type: 'poisson', rate: '600/min', tokensPerMinute: 600000 } },
    { name: 'gamma', requests: 500, arrival: { type: 'gamma', rate: 20, burstiness: 0.5 } },
    { name: 'ramp', duration: '30s', arrival: { type: 'ramp', from: 0, to: '1200/min', process: 'poisson' } },
    { name: 'steps', arrival: { type: 'steps', steps: [{ duration: '5s', rate: 5 }, { duration: 5, rate: 0 }] } },
    { name: 'spike', duration: '20s', arrival: { type: 'spike', rate: 5, spikeRate: 50, spikeAt: '5s', spikeDuration: '2s' } },
    { name: 'closed', requests: 100, concurrency: 4, thinkTime: { dist: 'uniform', min: 100, max: 500 } },
    { name: 'think', duration: '5s', concurrency: 2, thinkTime: '1.5s', request: { maxTokens: { dist: 'lognormal', mean: 100, sigma: 0.5, min: 1, max: 1000 } } },
    { name: 'groups-only', duration: '5s' },
  ],
  groups: [
    { name: 'polite', weight: 3, arrival: { type: 'poisson', rate: 2 }, apiKeyEnv: 'POLITE_KEY' },
    { name: 'greedy', arrival: { type: 'constant', rate: 40 }, activeIn: ['groups-only', 'closed'], request: { promptTokens: 4000 } },
  ],
};

describe('workload fields: accepted forms', () => {
  it('normalizes every new form', () => {
    const s = parseScenario(FULL);
    expect(s.phases.map((p) => [p.name, p.durationMs, p.requests])).toEqual([
      ['const', 10_000, undefined],
      ['both', 10_000, undefined],
      ['gamma', 0, 500],
      ['ramp', 30_000, undefined],
      ['steps', 10_000, undefined],
      ['spike', 20_000, undefined],
      ['closed', 0, 100],
      ['think', 5000, undefined],
      ['groups-only', 5000, undefined],
    ]);
    expect(s.phases[0]).toMatchObject({ kind: 'open', arrival: { type: 'constant', tokensPerMinute: 600000 } });
    expect(s.phases[1]).toMatchObject({ arrival: { type: 'poisson', rate: 10, tokensPerMinute: 600000 } });
    expect(s.phases[3]).toMatchObject({ arrival: { type: 'ramp', from: 0, to: 20, process: 'poisson' } });
    expect(s.phases[4]).toMatchObject({ arrival: { type: 'steps', steps: [{ durationMs: 5000, rate: 5 }, { durationMs: 5000, rate: 0 }], process: 'constant' } });
    expect(s.phases[5]).toMatchObject({ arrival: { type: 'spike', rate: 5, spikeRate: 50, spikeAtMs: 5000, spikeDurationMs: 2000 } });
    expect(s.phases[6]).toMatchObject({ kind: 'closed', concurrency: 4, thinkTime: { dist: 'uniform', min: 100, max: 500 } });
    expect(s.phases[7]).toMatchObject({ thinkTime: { dist: 'fixed', value: 1500 } });
    expect(s.phases[8]).toEqual({ name: 'groups-only', durationMs: 5000, kind: 'open' });
    expect(s.request.conversation).toEqual({ turns: { dist: 'uniform', min: 2, max: 6 }, sessions: 4 });
    expect(s.groups).toEqual([
      { name: 'polite', weight: 3, arrival: { type: 'poisson', rate: 2 }, apiKeyEnv: 'POLITE_KEY' },
      { name: 'greedy', weight: 1, arrival: { type: 'constant', rate: 40 }, activeIn: ['groups-only', 'closed'], request: { promptTokens: { dist: 'fixed', value: 4000 } } },
    ]);
    expect(parseScenario(minimal({ phases: [{ duration: 1, concurrency: 1, thinkTime: 250 }] })).phases[0]).toMatchObject({ thinkTime: { dist: 'fixed', value: 250 } });
  });

  it('round-trips through its input form', () => {
    const s = parseScenario(FULL);
    expect(parseScenario(toInput(s))).toEqual(s);
    expect(parseScenario(JSON.parse(JSON.stringify(toInput(s))))).toEqual(s);
  });

  it('resolves each group its own key, naming the field when unset', () => {
    const s = parseScenario(FULL);
    expect(resolveSecrets(s, { KEY: 'k', POLITE_KEY: 'p' })).toEqual({ apiKey: 'k', groupApiKeys: { polite: 'p' } });
    expect(() => resolveSecrets(s, { KEY: 'k' })).toThrow(/groups\[0\]\.apiKeyEnv.*POLITE_KEY/);
  });
});

describe('workload fields: errors name path, expected and found', () => {
  it('rate targets, shapes, durations and think time', () => {
    const issues = issuesOf(() =>
      parseScenario(
        minimal({
          phases: [
            { duration: 1, arrival: { type: 'constant' } },
            { duration: 1, arrival: { type: 'gamma', rate: 1, burstiness: 0 } },
            { duration: 1, arrival: { type: 'ramp', from: 0, to: 0 } },
            { requests: 10, arrival: { type: 'ramp', from: 1, to: 5 } },
            { duration: '5s', arrival: { type: 'spike', rate: 1, spikeRate: 5, spikeAt: '4s', spikeDuration: '2s' } },
            { arrival: { type: 'constant', rate: 1 } },
            { duration: 1, arrival: { type: 'constant', rate: 1 }, thinkTime: 100 },
            { duration: 1, arrival: { type: 'steps', steps: [] } },
          ],
        }),
      ),
    );
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
    expect(byPath['phases[0].arrival']).toMatchObject({ expected: 'rate or tokensPerMinute (or both: the lower binds)', found: 'neither' });
    expect(byPath['phases[1].arrival.burstiness']).toMatchObject({ expected: expect.stringContaining('1 = Poisson'), found: '0' });
    expect(byPath['phases[2].arrival.to']).toMatchObject({ found: '0 at both ends' });
    expect(byPath['phases[3].duration']).toMatchObject({ expected: expect.stringContaining('a ramp goes'), found: 'nothing' });
    expect(byPath['phases[4].arrival.spikeDuration']).toMatchObject({ expected: expect.stringContaining('≤ 5000 ms'), found: 'it ends at 6000 ms' });
    expect(byPath['phases[5]']).toMatchObject({ expected: 'a duration or a number of requests', found: 'neither' });
    expect(byPath['phases[6].thinkTime']).toMatchObject({ expected: expect.stringContaining('closed-loop'), found: 'a phase without concurrency' });
    expect(byPath['phases[7].arrival.steps']).toMatchObject({ expected: 'at least one step', found: 'an empty list' });
  });

  it('size distributions', () => {
    const issues = issuesOf(() =>
      parseScenario(
        minimal({
          request: {
            promptTokens: { dist: 'lognormal', median: 5, mean: 6, sigma: 1, min: 1, max: 10 },
            maxTokens: { dist: 'empirical', file: 'lengths.txt' },
          },
          phases: [{ duration: 1, concurrency: 1, request: { promptTokens: { dist: 'empirical', values: [3, 0] }, maxTokens: { dist: 'empirical' } } }],
        }),
      ),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'request.promptTokens', expected: 'exactly one of median or mean', found: 'both' },
        { path: 'request.maxTokens.file', expected: expect.stringContaining('loadScenario reads it'), found: '"lengths.txt" (not read)' },
        { path: 'phases[0].request.promptTokens.values[1]', expected: 'a positive integer (tokens)', found: '0' },
        { path: 'phases[0].request.maxTokens', expected: 'file or values', found: 'neither' },
      ]),
    );
  });

  it('groups', () => {
    const issues = issuesOf(() =>
      parseScenario(
        minimal({
          phases: [{ name: 'a', duration: 1 }, { name: 'b', duration: 1, concurrency: 2 }],
          groups: [
            { name: 'x', arrival: { type: 'constant', rate: 1 }, activeIn: ['a', 'c'], apiKeyEnv: 'K' },
            { name: 'y' },
            { name: 'x', arrival: { type: 'constant', rate: 1 } },
          ],
        }),
      ),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'phases[0]', expected: expect.stringContaining('every group active in the phase to have an arrival'), found: 'neither, and group(s) "y" have no arrival of their own' },
        { path: 'groups[2].name', expected: 'a unique group name', found: '"x", already the name of groups[0]' },
      ]),
    );
    const later = issuesOf(() =>
      parseScenario(minimal({ phases: [{ name: 'a', duration: 1, concurrency: 1 }], groups: [{ name: 'x', activeIn: ['c'], apiKeyEnv: 'K' }] })),
    );
    expect(later).toEqual([
      { path: 'groups[0].activeIn[0]', expected: 'a phase name (one of a)', found: '"c"' },
      { path: 'groups[0].apiKeyEnv', expected: 'an http target (the mock takes no keys)', found: 'target kind "mock"' },
    ]);
  });
});

describe('empirical lengths from files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'limitprobe-empirical-'));
  writeFileSync(join(dir, 'lengths.txt'), '# prompt lengths\n120\n340\n\n560\n');
  writeFileSync(join(dir, 'bad.txt'), '120\n34O\n');
  writeFileSync(join(dir, 'logs.csv'), 'ts,prompt,completion\n1,100,20\n2,"300",40\n');
  const yaml = (promptTokens: string) => `name: e
target: { kind: mock }
request: { promptTokens: ${promptTokens}, maxTokens: 5 }
phases: [{ duration: 1, concurrency: 1 }]
`;

  it('reads one integer per line, relative to the scenario file, keeping the file name', async () => {
    writeFileSync(join(dir, 's.yaml'), yaml('{ dist: empirical, file: lengths.txt }'));
    const s = await loadScenario(join(dir, 's.yaml'));
    expect(s.request.promptTokens).toEqual({ dist: 'empirical', values: [120, 340, 560], file: 'lengths.txt' });
    expect(parseScenario(toInput(s))).toEqual(s);
  });

  it('reads a CSV column by name or number (header skipped)', () => {
    expect(parseScenarioText(yaml('{ dist: empirical, file: logs.csv, column: completion }'), join(dir, 'c.yaml')).request.promptTokens).toMatchObject({ values: [20, 40] });
    expect(parseScenarioText(yaml('{ dist: empirical, file: logs.csv, column: 2 }'), join(dir, 'c.yaml')).request.promptTokens).toMatchObject({ values: [100, 300] });
  });

  it('a missing file names the field and the path; a bad line names the file and line', () => {
    const missing = issuesOf(() => parseScenarioText(yaml('{ dist: empirical, file: nope.txt }'), join(dir, 'm.yaml')));
    expect(missing).toEqual([
      { path: 'request.promptTokens.file', expected: expect.stringContaining('readable file of token lengths'), found: `no such file: ${join(dir, 'nope.txt')}`, message: expect.stringContaining('m.yaml:3') },
    ]);
    const bad = issuesOf(() => parseScenarioText(yaml('{ dist: empirical, file: bad.txt }'), join(dir, 'b.yaml')));
    expect(bad[0]).toMatchObject({ path: 'request.promptTokens.file', expected: 'one positive integer (tokens) per line', found: expect.stringContaining('"34O" in bad.txt:2') });
    const col = issuesOf(() => parseScenarioText(yaml('{ dist: empirical, file: logs.csv, column: tokens }'), join(dir, 'c.yaml')));
    expect(col[0]).toMatchObject({ expected: 'a column named "tokens"', found: expect.stringContaining('"ts", "prompt", "completion"') });
  });
});

describe('--rate on the new shapes', () => {
  const shaped = (): Scenario =>
    parseScenario(
      minimal({
        phases: [
          { name: 'r', duration: 10, arrival: { type: 'ramp', from: 10, to: 40 } },
          { name: 's', arrival: { type: 'steps', steps: [{ duration: 1, rate: 5 }, { duration: 1, rate: 20 }] } },
          { name: 'k', duration: 10, arrival: { type: 'spike', rate: 5, spikeRate: 50, spikeAt: 1, spikeDuration: 1 } },
          { name: 't', duration: 10, arrival: { type: 'gamma', burstiness: 2, tokensPerMinute: 1000 } },
        ],
      }),
    );

  it('scales shapes so their peak is the rate; replaces a token target with the rate', () => {
    const s = applyOverrides(shaped(), { rate: '80' });
    expect(s.phases.map((p) => p.kind === 'open' && p.arrival)).toEqual([
      { type: 'ramp', from: 20, to: 80, process: 'constant' },
      { type: 'steps', steps: [{ durationMs: 1000, rate: 20 }, { durationMs: 1000, rate: 80 }], process: 'constant' },
      { type: 'spike', rate: 8, spikeRate: 80, spikeAtMs: 1000, spikeDurationMs: 1000, process: 'constant' },
      { type: 'gamma', burstiness: 2, rate: 80 },
    ]);
    expect(applyOverrides(shaped(), { rate: '600/min' }).phases[0]).toMatchObject({ arrival: { from: 2.5, to: 10 } });
  });

  it('reports a bad rate under the flag (once per kind of rate field)', () => {
    const issues = issuesOf(() => applyOverrides(shaped(), { rate: 'fast' }));
    expect(issues.length).toBeLessThanOrEqual(2);
    for (const i of issues) expect(i).toEqual({ path: '--rate', expected: expect.stringContaining('"N/s"'), found: '"fast"' });
  });

  it('is rejected when groups bring their own arrivals', () => {
    const s = parseScenario(minimal({ phases: [{ duration: 1 }], groups: [{ name: 'g', arrival: { type: 'constant', rate: 1 } }] }));
    expect(issuesOf(() => applyOverrides(s, { rate: 5 }))).toEqual([
      { path: '--rate', expected: 'a scenario whose load comes from phase arrivals', found: expect.stringContaining('groups[0] ("g")') },
    ]);
  });

  it('--duration on a requests-only phase bounds it by both', () => {
    const s = applyOverrides(parseScenario(minimal({ phases: [{ requests: 10, arrival: { type: 'constant', rate: 1 } }] })), { duration: '5s' });
    expect(s.phases[0]).toMatchObject({ durationMs: 5000, requests: 10 });
  });
});
