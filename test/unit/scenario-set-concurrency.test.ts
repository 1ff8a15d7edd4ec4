import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { applyOverrides, parseScenario } from '../../src/scenario/index.js';

const base = parseScenario({
  name: 'o',
  target: { kind: 'mock' },
  request: { promptTokens: 10, maxTokens: 5 },
  phases: [
    { name: 'a', duration: 1, arrival: { type: 'constant', rate: 2 } },
    { name: 'b', duration: 2, arrival: { type: 'poisson', rate: 4 } },
  ],
});

describe('--set and --concurrency', () => {
  it('--set changes any field, with YAML values, validated like the file', () => {
    const s = applyOverrides(base, {
      set: ['phases[1].arrival.rate=1200/min', 'request.promptTokens={dist: uniform, min: 5, max: 50}', 'request.stream=true', 'maxInFlight=7'],
    });
    expect(s.phases[1]!.kind === 'open' && s.phases[1]!.arrival!).toMatchObject({ type: 'poisson', rate: 20 });
    expect(s.request.promptTokens).toEqual({ dist: 'uniform', min: 5, max: 50 });
    expect(s.request.stream).toBe(true);
    expect(s.maxInFlight).toBe(7);
  });

  it('--set errors name the flag, the path, what was expected and what was found', () => {
    const err = (() => {
      try {
        applyOverrides(base, { set: ['phases[0].arrival.rate=fast', 'nonsense', 'request.colour=red'] });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    const text = err!.message;
    expect(text).toMatch(/--set phases\[0\]\.arrival\.rate.*expected a positive number or "N\/s" \/ "N\/min", found "fast"/);
    expect(text).toMatch(/--set: expected path\.to\.field=value/);
    expect(text).toMatch(/colour/);
  });

  it('--concurrency turns every phase into a closed loop of N workers', () => {
    const s = applyOverrides(base, { concurrency: '3' });
    expect(s.phases.map((p) => (p.kind === 'closed' ? p.concurrency : 'open'))).toEqual([3, 3]);
    expect(() => applyOverrides(base, { concurrency: '0' })).toThrow(/--concurrency/);
  });
});
