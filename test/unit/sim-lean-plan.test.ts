/** The lean plan draws exactly the sizes the real plan draws, and its text on demand is the real text. */
import { describe, expect, it } from 'vitest';
import { leanPlan } from '../../src/capacity/lean-plan.js';
import { buildPlan } from '../../src/plan/plan.js';
import { parseScenario } from '../../src/scenario/index.js';

const base = {
  name: 'lean',
  seed: 9,
  target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct' },
  request: { promptTokens: { dist: 'lognormal', median: 300, sigma: 0.8, min: 5, max: 4000 }, maxTokens: { dist: 'uniform', min: 1, max: 300 }, system: 'You are terse.' },
  phases: [
    { name: 'a', duration: 10, arrival: { type: 'poisson', rate: 5 } },
    { name: 'b', duration: 10, arrival: { type: 'constant', rate: 3 }, request: { promptTokens: 40, maxTokens: 8 } },
  ],
};

describe('leanPlan', () => {
  for (const withGroups of [false, true]) {
    it(`sizes and text equal the real plan's${withGroups ? ' (groups)' : ''}`, () => {
      const input = withGroups ? { ...base, groups: [{ name: 'x', weight: 2 }, { name: 'y', weight: 1, request: { maxTokens: 77 } }] } : base;
      const s = parseScenario(input);
      const real = buildPlan(s);
      const lean = leanPlan(buildPlan(s), s);
      let id = 0;
      for (const phase of real.phases) {
        const slots = [...(phase.slots?.() ?? [])].slice(0, 25);
        for (const slot of slots) {
          const r = real.makeRequest(id, phase, slot.atMs, slot);
          const l = lean.makeRequest(id, lean.phases[phase.index]!, slot.atMs, slot);
          const pick = (q: typeof r) => ({ requestId: q.requestId, group: q.group, phase: q.phase, targetedStartMs: q.targetedStartMs, model: q.model, promptTokens: q.promptTokens, maxTokens: q.maxTokens, stream: q.stream });
          expect(pick(l)).toEqual(pick(r));
          if (id % 10 === 0) expect(l.messages).toEqual(r.messages);
          id++;
        }
      }
      expect(id).toBeGreaterThan(40);
    });
  }
});
