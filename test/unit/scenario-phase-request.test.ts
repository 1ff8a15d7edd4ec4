import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/plan.js';
import { applyOverrides, parseScenario } from '../../src/scenario/index.js';

const base = {
  name: 'p',
  target: { kind: 'mock', model: 'qwen2-7b-instruct' },
  request: { promptTokens: 100, maxTokens: 10, system: 'Be brief.' },
  phases: [
    { name: 'a', duration: 1, arrival: { type: 'constant', rate: 2 } },
    { name: 'b', duration: 1, arrival: { type: 'constant', rate: 2 }, request: { promptTokens: { dist: 'uniform', min: 500, max: 600 }, stream: true } },
  ],
};

describe('per-phase request overrides', () => {
  it('override only the fields they name, for that phase only', () => {
    const s = parseScenario(base);
    expect(s.phases[0]!.request).toBeUndefined();
    expect(s.phases[1]!.request).toEqual({ promptTokens: { dist: 'uniform', min: 500, max: 600 }, stream: true });
    const plan = buildPlan(s);
    const a = plan.makeRequest(0, plan.phases[0]!, 0);
    const b = plan.makeRequest(1, plan.phases[1]!, 1000);
    expect(a.promptTokens).toBe(100);
    expect(a.stream).toBe(false);
    expect(b.promptTokens).toBeGreaterThanOrEqual(500);
    expect(b.promptTokens).toBeLessThanOrEqual(600);
    expect(b.stream).toBe(true);
    expect(b.maxTokens).toBe(10); // inherited
    expect(b.messages[0]).toEqual({ role: 'system', content: 'Be brief.' }); // inherited
  });

  it('are validated like the scenario request, with the phase path in the error', () => {
    const bad = structuredClone(base) as any;
    bad.phases[1].request = { promptTokens: -3, colour: 'red' };
    expect(() => parseScenario(bad)).toThrow(/phases\[1\]\.request\.promptTokens: expected a positive integer/);
    expect(() => parseScenario(bad)).toThrow(/phases\[1\]\.request.*colour/);
  });

  it('survive command-line overrides (round trip through the input form)', () => {
    const s = applyOverrides(parseScenario(base), { rate: 7 });
    expect(s.phases[1]!.request).toEqual({ promptTokens: { dist: 'uniform', min: 500, max: 600 }, stream: true });
    expect(s.phases.every((p) => p.kind === 'open' && p.arrival !== undefined && 'rate' in p.arrival && p.arrival.rate === 7)).toBe(true);
  });
});
