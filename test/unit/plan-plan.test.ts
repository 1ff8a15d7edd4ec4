import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { ExecPlan } from '../../src/exec/ports.js';
import { buildPlan, type Plan } from '../../src/plan/index.js';
import { parseScenario, type Scenario } from '../../src/scenario/index.js';
import { countPromptTokens, countTokens } from '../../src/tokens/count.js';

const MODEL = 'qwen2-7b-instruct';

function scenario(over: Record<string, unknown> = {}, request: Record<string, unknown> = {}): Scenario {
  return parseScenario({
    name: 'p',
    seed: 42,
    target: { kind: 'mock', model: MODEL },
    request: { promptTokens: { dist: 'uniform', min: 20, max: 300 }, maxTokens: { dist: 'normal', mean: 64, stddev: 16, min: 8, max: 128 }, ...request },
    phases: [
      { name: 'warm', duration: '10s', arrival: { type: 'constant', rate: 2 } },
      { name: 'burst', duration: '30s', arrival: { type: 'poisson', rate: '600/min' } },
      { name: 'closed', duration: '20s', concurrency: 8 },
    ],
    ...over,
  });
}

// The executor consumes a Plan through its own port: keep them compatible.
const asExecPlan = (p: Plan): ExecPlan => p;

describe('buildPlan: phases', () => {
  const plan = buildPlan(scenario());

  it('lays phases end to end', () => {
    expect(plan.phases.map(({ name, index, startMs, durationMs, kind }) => ({ name, index, startMs, durationMs, kind }))).toEqual([
      { name: 'warm', index: 0, startMs: 0, durationMs: 10_000, kind: 'open' },
      { name: 'burst', index: 1, startMs: 10_000, durationMs: 30_000, kind: 'open' },
      { name: 'closed', index: 2, startMs: 40_000, durationMs: 20_000, kind: 'closed' },
    ]);
    expect(plan.totalDurationMs).toBe(60_000);
    expect(asExecPlan(plan).phases).toHaveLength(3);
  });

  it('gives open phases absolute arrival times inside their window, closed phases a worker count', () => {
    const [warm, burst, closed] = plan.phases;
    expect([...warm!.arrivals!()]).toEqual(Array.from({ length: 20 }, (_, k) => k * 500));
    const b = [...burst!.arrivals!()];
    expect(b[0]!).toBeGreaterThanOrEqual(10_000);
    expect(b.at(-1)!).toBeLessThan(40_000);
    expect(Math.abs(b.length - 300)).toBeLessThan(4 * Math.sqrt(300));
    expect(closed).toMatchObject({ kind: 'closed', concurrency: 8 });
    expect(closed!.arrivals).toBeUndefined();
  });

  it('seeds poisson arrivals by scenario seed and phase index', () => {
    const again = buildPlan(scenario());
    expect([...again.phases[1]!.arrivals!()]).toEqual([...plan.phases[1]!.arrivals!()]);
    const other = buildPlan(scenario({ seed: 43 }));
    expect([...other.phases[1]!.arrivals!()]).not.toEqual([...plan.phases[1]!.arrivals!()]);
  });
});

describe('buildPlan: requests', () => {
  it('are deterministic by requestId, whatever the order or phase they are made in', () => {
    const a = buildPlan(scenario());
    const b = buildPlan(scenario());
    const forward = Array.from({ length: 40 }, (_, id) => a.makeRequest(id, a.phases[0]!, 0));
    const backward = Array.from({ length: 40 }, (_, i) => b.makeRequest(39 - i, b.phases[1]!, 0)).reverse();
    const content = (r: (typeof forward)[number]) => [r.requestId, r.messages, r.promptTokens, r.maxTokens];
    expect(backward.map(content)).toEqual(forward.map(content));
    expect(new Set(forward.map((r) => r.messages[0]!.content)).size).toBe(40);
    expect(buildPlan(scenario({ seed: 1 })).makeRequest(3, a.phases[0]!, 0).messages).not.toEqual(forward[3]!.messages);
  });

  it('have exactly the sampled number of prompt tokens, and max tokens within bounds', () => {
    const plan = buildPlan(scenario());
    for (let id = 0; id < 200; id++) {
      const r = plan.makeRequest(id, plan.phases[1]!, 12_345);
      expect(countPromptTokens(r.messages, MODEL)).toBe(r.promptTokens);
      expect(r.promptTokens).toBeGreaterThanOrEqual(20);
      expect(r.promptTokens).toBeLessThanOrEqual(300);
      expect(r.maxTokens).toBeGreaterThanOrEqual(8);
      expect(r.maxTokens).toBeLessThanOrEqual(128);
      expect(r).toMatchObject({ requestId: id, phase: 'burst', group: 'default', targetedStartMs: 12_345, model: MODEL, stream: false });
    }
  });

  it('count a system prompt towards the prompt size', () => {
    const system = 'You are a careful assistant. Answer in one short paragraph.';
    const sys = countTokens(system, MODEL);
    const plan = buildPlan(scenario({}, { promptTokens: 100, system, stream: true }));
    const r = plan.makeRequest(5, plan.phases[0]!, 0);
    expect(r.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(r.messages[0]!.content).toBe(system);
    expect(countTokens(r.messages[1]!.content, MODEL)).toBe(100 - sys);
    expect(r.promptTokens).toBe(100);
    expect(r.stream).toBe(true);
  });

  it('keep one user token when the system prompt alone is over the sampled size, and report the true count', () => {
    const system = 'word '.repeat(50).trim();
    const sys = countTokens(system, MODEL);
    expect(sys).toBeGreaterThan(10);
    const plan = buildPlan(scenario({}, { promptTokens: 10, system }));
    const r = plan.makeRequest(0, plan.phases[0]!, 0);
    expect(countTokens(r.messages[1]!.content, MODEL)).toBe(1);
    expect(r.promptTokens).toBe(sys + 1);
    expect(countPromptTokens(r.messages, MODEL)).toBe(r.promptTokens);
  });

  it('count in the model encoding (o200k for gpt-4o)', () => {
    const s = scenario({ target: { kind: 'http', baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini' } }, { promptTokens: 777 });
    const plan = buildPlan(s);
    const r = plan.makeRequest(1, plan.phases[0]!, 0);
    expect(r.model).toBe('gpt-4o-mini');
    expect(countPromptTokens(r.messages, 'gpt-4o-mini')).toBe(777);
  });

  it('use the scenario model, else the caller-given default, else fail as a config error', () => {
    expect(buildPlan(scenario(), { model: 'other' }).model).toBe(MODEL);
    const noModel = scenario({ target: { kind: 'mock' } });
    expect(buildPlan(noModel, { model: 'qwen2-72b-instruct' }).model).toBe('qwen2-72b-instruct');
    expect(() => buildPlan(noModel)).toThrow(ConfigError);
  });

  it('are quick to make: thousands per second for ~300-token prompts', () => {
    const plan = buildPlan(scenario());
    const t0 = performance.now();
    for (let id = 0; id < 2000; id++) plan.makeRequest(id, plan.phases[0]!, 0);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
