import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { loadScenario, parseScenarioText } from '../../src/scenario/index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'limitprobe-scenario-'));
});

const YAML_OK = `name: y
target: { kind: mock }
request: { promptTokens: 10, maxTokens: 5 }
phases:
  - duration: 2s
    arrival: { type: constant, rate: 5/s }
`;

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ConfigError);
  return e as ConfigError;
}

describe('loadScenario', () => {
  it('loads YAML by extension', async () => {
    const f = join(dir, 'ok.yaml');
    writeFileSync(f, YAML_OK);
    const s = await loadScenario(f);
    expect(s.phases[0]).toMatchObject({ durationMs: 2000, arrival: { rate: 5 } });
  });

  it('loads JSON by extension, and by content without one', async () => {
    const json = JSON.stringify({ name: 'j', target: { kind: 'mock' }, request: { promptTokens: 1, maxTokens: 1 }, phases: [{ duration: 1, concurrency: 2 }] });
    writeFileSync(join(dir, 'ok.json'), json);
    writeFileSync(join(dir, 'noext'), json);
    writeFileSync(join(dir, 'noext-yaml'), YAML_OK);
    expect((await loadScenario(join(dir, 'ok.json'))).name).toBe('j');
    expect((await loadScenario(join(dir, 'noext'))).name).toBe('j');
    expect((await loadScenario(join(dir, 'noext-yaml'))).name).toBe('y');
  });

  it('says what is wrong with a missing file or a directory', async () => {
    const missing = join(dir, 'nope.yaml');
    const e = await configError(loadScenario(missing));
    expect(e.issues).toEqual([{ path: missing, expected: 'a YAML or JSON scenario file', found: 'no such file' }]);
    mkdirSync(join(dir, 'sub.yaml'));
    expect((await configError(loadScenario(join(dir, 'sub.yaml')))).issues[0]!.found).toBe('a directory');
  });

  it('reports an empty file plainly', async () => {
    writeFileSync(join(dir, 'empty.yaml'), '\n# nothing\n'.replace('# nothing', ''));
    expect((await configError(loadScenario(join(dir, 'empty.yaml')))).issues[0]!.found).toBe('an empty file');
  });
});

describe('parseScenarioText', () => {
  it('gives line and column of a YAML syntax error', () => {
    const text = 'name: x\ntarget:\n  kind: mock\n   profile: qwen2\nphases: [\n';
    try {
      parseScenarioText(text, 'broken.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const issues = (e as ConfigError).issues;
      expect(issues.length).toBeGreaterThan(0);
      expect(issues[0]!.path).toMatch(/^broken\.yaml:\d+:\d+$/);
      expect(issues[0]!.expected).toBe('valid YAML');
      expect((e as Error).message).toMatch(/^cannot parse broken\.yaml as YAML/);
    }
  });

  it('reports duplicate YAML keys as syntax errors', () => {
    expect(() => parseScenarioText('name: a\nname: b\n', 'dup.yaml')).toThrow(/dup\.yaml:2:1: expected valid YAML/);
  });

  it('gives line and column of a JSON syntax error', () => {
    try {
      parseScenarioText('{\n  "name": "x",\n}\n', 'broken.json');
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).issues).toEqual([{ path: 'broken.json:3:1', expected: 'valid JSON', found: expect.any(String) }]);
    }
  });

  it('points validation issues at their lines, in file order', () => {
    const text = `name: q
target:
  kind: mock
  limits: { rpm: 0 }
request:
  promptTokens: 500
  maxtokens: 64
phases:
  - duration: 10s
    arrival: { type: constant, rate: fast }
`;
    try {
      parseScenarioText(text, 'q.yaml');
      expect.unreachable();
    } catch (e) {
      const issues = (e as ConfigError).issues;
      expect(issues.map((i) => [i.path, i.message])).toEqual([
        ['target.limits.rpm', 'at q.yaml:4:18'],
        ['request.maxTokens', 'at q.yaml:6:3'], // missing: points at its parent's content
        ['request.maxtokens', 'at q.yaml:7:14; did you mean "maxTokens"?'],
        ['phases[0].arrival.rate', 'at q.yaml:10:38'],
      ]);
      expect((e as Error).message).toMatch(/^invalid scenario q\.yaml: 4 problems\n/);
    }
  });

  it('locates issues in JSON too', () => {
    const text = '{\n  "name": "j",\n  "target": { "kind": "mock" },\n  "request": { "promptTokens": 1, "maxTokens": 1 },\n  "phases": [{ "duration": "1x", "concurrency": 1 }]\n}';
    try {
      parseScenarioText(text, 'j.json');
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).issues[0]).toMatchObject({ path: 'phases[0].duration', message: 'at j.json:5:28' });
    }
  });
});
