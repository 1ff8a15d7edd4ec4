/** Token-targeted load, requests-bounded phases, think time, client groups and conversations, through buildPlan. */
import { describe, expect, it } from 'vitest';
import { buildPlan, meanCost, splitWorkers, type PhasePlan, type Plan } from '../../src/plan/index.js';
import { exactMean, expectation, normalCdf, sample } from '../../src/plan/distributions.js';
import { expectedConversationPrompt } from '../../src/plan/conversation.js';
import { createRng } from '../../src/plan/rng.js';
import { parseScenario, type Scenario, type TokenDist } from '../../src/scenario/index.js';
import { countPromptTokens, countTokens } from '../../src/tokens/count.js';
import { ConfigError } from '../../src/errors.js';

const MODEL = 'qwen2-7b-instruct';

function scenario(over: Record<string, unknown>): Scenario {
  return parseScenario({ name: 'w', seed: 42, target: { kind: 'mock', model: MODEL }, request: { promptTokens: 100, maxTokens: 20 }, ...over });
}
const plan = (over: Record<string, unknown>): Plan => buildPlan(scenario(over));
const slots = (p: PhasePlan) => [...p.slots!()];

describe('exact means of the samplers', () => {
  it('fixed, uniform and empirical exactly', () => {
    expect(exactMean({ dist: 'fixed', value: 7 })).toBe(7);
    expect(exactMean({ dist: 'uniform', min: 200, max: 2000 })).toBe(1100);
    expect(exactMean({ dist: 'empirical', values: [1, 2, 3, 10] })).toBe(4);
  });

  it('normal, clipped symmetrically, is its mean; asymmetrically, the clipped mean computed by hand', () => {
    expect(exactMean({ dist: 'normal', mean: 500, stddev: 100, min: 200, max: 800 })).toBeCloseTo(500, 9);
    // By hand for X ~ N(64, 16²) clipped to [8, 128]: a·Φ(α) + b·(1 − Φ(β)) + μ(Φ(β) − Φ(α)) + σ(φ(α) − φ(β)),
    // α = (8 − 64)/16 = −3.5, β = (128 − 64)/16 = 4; rounding moves it by far less than 1e-3.
    const phi = (z: number) => Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);
    const [a, b, mu, s, al, be] = [8, 128, 64, 16, -3.5, 4];
    const byHand = a * normalCdf(al) + b * (1 - normalCdf(be)) + mu * (normalCdf(be) - normalCdf(al)) + s * (phi(al) - phi(be));
    expect(exactMean({ dist: 'normal', mean: 64, stddev: 16, min: 8, max: 128 })).toBeCloseTo(byHand, 3);
    // Heavy clipping at min: E = 100·P(X ≤ 100.5) + … — compare with the sampler itself.
    const d: TokenDist = { dist: 'normal', mean: 100, stddev: 80, min: 100, max: 400 };
    const rng = createRng(3);
    const n = 400_000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sample(d, rng);
    expect(Math.abs(sum / n - exactMean(d))).toBeLessThan(6 * (80 / Math.sqrt(n)));
  });

  it('lognormal by median or mean, within [min, max], mean matching the sampler', () => {
    const byMedian: TokenDist = { dist: 'lognormal', median: 800, sigma: 0.8, min: 200, max: 8000 };
    const byMean: TokenDist = { dist: 'lognormal', mean: 800 * Math.exp(0.32), sigma: 0.8, min: 200, max: 8000 };
    expect(exactMean(byMean)).toBeCloseTo(exactMean(byMedian), 6);
    const rng = createRng(11);
    const xs = Array.from({ length: 300_000 }, () => sample(byMedian, rng));
    xs.sort((a, b) => a - b);
    expect(xs[0]).toBe(200); // about 4% fall below min and pile up there
    expect(xs.at(-1)).toBeLessThanOrEqual(8000);
    expect(Math.abs(xs[150_000]! - 800)).toBeLessThan(12); // median ≈ 800
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length);
    expect(Math.abs(m - exactMean(byMedian))).toBeLessThan(6 * (sd / Math.sqrt(xs.length)));
    // Unclipped, the mean is median·e^(σ²/2) (up to rounding).
    expect(exactMean({ dist: 'lognormal', median: 800, sigma: 0.8, min: 1, max: 10_000_000 })).toBeCloseTo(800 * Math.exp(0.32), 1);
  });

  it('empirical samples only its values, uniformly', () => {
    const d: TokenDist = { dist: 'empirical', values: [5, 50, 500, 5000] };
    const rng = createRng(5);
    const seen = new Map<number, number>();
    for (let i = 0; i < 40_000; i++) {
      const v = sample(d, rng);
      seen.set(v, (seen.get(v) ?? 0) + 1);
    }
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual([5, 50, 500, 5000]);
    for (const c of seen.values()) expect(Math.abs(c - 10_000)).toBeLessThan(6 * Math.sqrt(40_000 * 0.25 * 0.75));
  });

  it('expectation of a function (second moments for conversation lengths)', () => {
    expect(expectation({ dist: 'uniform', min: 1, max: 3 }, (k) => k * k)).toBeCloseTo(14 / 3, 12);
  });
});

describe('token-targeted load', () => {
  const phase = (arrival: Record<string, unknown>) => [{ name: 'p', duration: '60s', arrival }];

  it('derives rate = TPM / (60 × E[prompt + max_tokens]) exactly', () => {
    // E[prompt] = (200 + 1800)/2 = 1000, E[max] = 200: 1200 tokens a request; 600 000/min → 8.333… req/s.
    const p = plan({ request: { promptTokens: { dist: 'uniform', min: 200, max: 1800 }, maxTokens: 200 }, phases: phase({ type: 'constant', tokensPerMinute: 600_000 }) });
    expect(p.phases[0]!.derivedRate).toBeCloseTo(600_000 / 60 / 1200, 12);
    expect([...p.phases[0]!.arrivals!()]).toHaveLength(500); // 8.333/s × 60 s
    expect(p.phases[0]!.groups[0]!.meanCostTokens).toBe(1200);
  });

  it('uses the exact clipped-normal mean of max_tokens', () => {
    const maxTokens = { dist: 'normal', mean: 64, stddev: 16, min: 8, max: 128 } as const;
    const p = plan({ request: { promptTokens: 1000, maxTokens }, phases: phase({ type: 'poisson', tokensPerMinute: 120_000 }) });
    expect(p.phases[0]!.derivedRate).toBeCloseTo(2000 / (1000 + exactMean(maxTokens)), 12);
  });

  it('with rate as well, the lower binds', () => {
    const req = { request: { promptTokens: 900, maxTokens: 100 } }; // 1000 tokens a request
    expect(plan({ ...req, phases: phase({ type: 'constant', rate: 5, tokensPerMinute: 600_000 }) }).phases[0]!.derivedRate).toBe(5);
    expect(plan({ ...req, phases: phase({ type: 'constant', rate: 50, tokensPerMinute: 600_000 }) }).phases[0]!.derivedRate).toBe(10);
    expect(plan({ ...req, phases: phase({ type: 'constant', rate: 50 }) }).phases[0]!.derivedRate).toBeUndefined();
  });

  it('counts a system prompt, and the one-user-token floor', () => {
    const system = 'You are terse.';
    const sys = countTokens(system, MODEL);
    const s = scenario({ request: { promptTokens: { dist: 'uniform', min: 1, max: 10 }, maxTokens: 5, system }, phases: phase({ type: 'constant', rate: 1 }) });
    // prompt = max(sampled, sys + 1)
    let byHand = 0;
    for (let k = 1; k <= 10; k++) byHand += Math.max(k, sys + 1) / 10;
    expect(meanCost(s.request, sys)).toBeCloseTo(byHand + 5, 12);
  });

  it('gamma with a token target: derived rate and the right count (±6 sd)', () => {
    const p = plan({ request: { promptTokens: 500, maxTokens: 100 }, phases: [{ duration: '100s', arrival: { type: 'gamma', burstiness: 0.5, tokensPerMinute: 1_800_000 } }] });
    expect(p.phases[0]!.derivedRate).toBe(50);
    const n = [...p.phases[0]!.arrivals!()].length;
    expect(Math.abs(n - 5000)).toBeLessThan(6 * Math.sqrt(5000 * 2)); // counts' variance ≈ n·CV²
  });
});

describe('phases bounded by requests', () => {
  it('open loop, requests alone: N arrivals, the phase lasts until the next one would come', () => {
    const p = plan({ phases: [{ name: 'a', requests: 30, arrival: { type: 'constant', rate: 10 } }, { name: 'b', duration: 1, arrival: { type: 'constant', rate: 1 } }] });
    const a = p.phases[0]!;
    expect(a.maxRequests).toBe(30);
    expect(a.durationMs).toBe(3000);
    expect([...a.arrivals!()]).toHaveLength(30);
    expect(p.phases[1]!.startMs).toBe(3000);
    expect(p.totalDurationMs).toBe(4000);
  });

  it('open loop, poisson and gamma: exactly N arrivals inside the derived duration', () => {
    for (const arrival of [{ type: 'poisson', rate: 100 }, { type: 'gamma', rate: 100, burstiness: 0.2 }]) {
      const ph = plan({ phases: [{ requests: 1000, arrival }] }).phases[0]!;
      const ts = [...ph.arrivals!()];
      expect(ts).toHaveLength(1000);
      expect(ts.at(-1)!).toBeLessThan(ph.durationMs);
      expect(Math.abs(ph.durationMs - 10_000)).toBeLessThan(6 * 10_000 / Math.sqrt(1000) * (arrival.type === 'gamma' ? Math.sqrt(5) : 1));
    }
  });

  it('open loop with both: whichever comes first', () => {
    const few = plan({ phases: [{ duration: '10s', requests: 5, arrival: { type: 'constant', rate: 10 } }] }).phases[0]!;
    expect([...few.arrivals!()]).toHaveLength(5);
    expect(few.durationMs).toBe(10_000);
    const short = plan({ phases: [{ duration: '1s', requests: 500, arrival: { type: 'constant', rate: 10 } }] }).phases[0]!;
    expect([...short.arrivals!()]).toHaveLength(10);
  });

  it('steps last their sum (requests cap them); a requests-only shape that stops is a config error', () => {
    const ph = plan({ phases: [{ requests: 25, arrival: { type: 'steps', steps: [{ duration: '1s', rate: 10 }, { duration: '1s', rate: 20 }] } }] }).phases[0]!;
    expect([...ph.arrivals!()]).toHaveLength(25);
    expect(ph.durationMs).toBe(2000);
    const spike = plan({ phases: [{ requests: 40, arrival: { type: 'spike', rate: 10, spikeRate: 100, spikeAt: '1s', spikeDuration: '100ms' } }] }).phases[0]!;
    expect([...spike.arrivals!()]).toHaveLength(40); // 10 before, 10 in the spike, 20 after at the base rate
    expect(spike.durationMs).toBe(3100);
    expect(() => plan({ phases: [{ requests: 40, arrival: { type: 'spike', rate: 0, spikeRate: 10, spikeAt: 0, spikeDuration: '1s' } }] })).toThrow(ConfigError);
  });

  it('closed loop, requests alone: ends when done, 10 minutes at most', () => {
    const ph = plan({ phases: [{ requests: 100, concurrency: 4 }] }).phases[0]!;
    expect(ph).toMatchObject({ kind: 'closed', maxRequests: 100, endsWhenDone: true, durationMs: 600_000, concurrency: 4 });
    const both = plan({ phases: [{ duration: '5s', requests: 100, concurrency: 4 }] }).phases[0]!;
    expect(both.endsWhenDone).toBeUndefined();
    expect(both.durationMs).toBe(5000);
  });
});

describe('think time', () => {
  it('is a deterministic function of the request id, within its distribution', () => {
    const ph = plan({ phases: [{ duration: 5, concurrency: 2, thinkTime: { dist: 'uniform', min: 100, max: 500 } }] }).phases[0]!;
    const xs = Array.from({ length: 2000 }, (_, id) => ph.thinkTimeMs!(id));
    expect(xs.every((x) => x >= 100 && x <= 500)).toBe(true);
    expect(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length - 300)).toBeLessThan(6 * (400 / Math.sqrt(12) / Math.sqrt(2000)));
    expect(ph.thinkTimeMs!(17)).toBe(ph.thinkTimeMs!(17));
    expect(plan({ phases: [{ duration: 5, concurrency: 2, thinkTime: '250ms' }] }).phases[0]!.thinkTimeMs!(3)).toBe(250);
    expect(plan({ phases: [{ duration: 5, concurrency: 2 }] }).phases[0]!.thinkTimeMs).toBeUndefined();
  });
});

describe('client groups', () => {
  const noisy = {
    phases: [{ name: 'shared', duration: '20s' }],
    groups: [
      { name: 'polite-1', arrival: { type: 'poisson', rate: 2 } },
      { name: 'polite-2', arrival: { type: 'poisson', rate: 2 } },
      { name: 'polite-3', arrival: { type: 'poisson', rate: 2 } },
      { name: 'greedy', arrival: { type: 'constant', rate: 40 }, request: { promptTokens: 4000 } },
    ],
  };

  it('noisy neighbour: each group its own process, merged in time order, tagged', () => {
    const p = plan(noisy);
    const ph = p.phases[0]!;
    expect(p.groups.map((g) => g.name)).toEqual(['polite-1', 'polite-2', 'polite-3', 'greedy']);
    expect(ph.groups.map((g) => [g.name, g.rate])).toEqual([['polite-1', 2], ['polite-2', 2], ['polite-3', 2], ['greedy', 40]]);
    const ss = slots(ph);
    for (let i = 1; i < ss.length; i++) expect(ss[i]!.atMs).toBeGreaterThanOrEqual(ss[i - 1]!.atMs);
    const by = (g: number) => ss.filter((s) => s.group === g);
    expect(by(3)).toHaveLength(800);
    for (const g of [0, 1, 2]) expect(Math.abs(by(g).length - 40)).toBeLessThan(6 * Math.sqrt(40));
    for (const g of [0, 1, 2, 3]) expect(by(g).map((s) => s.seq)).toEqual(by(g).map((_, i) => i));
    expect([...ph.arrivals!()]).toEqual(ss.map((s) => s.atMs));
    const r = p.makeRequest(7, ph, ss[7]!.atMs, ss[7]);
    expect(r.group).toBe(p.groups[ss[7]!.group]!.name);
    const greedy = ss.find((s) => s.group === 3)!;
    expect(p.makeRequest(0, ph, greedy.atMs, greedy).promptTokens).toBe(4000);
  });

  it('requests derive from (seed, group, phase, index): adding a group changes no other group', () => {
    const a = plan(noisy);
    const b = plan({ ...noisy, groups: [...noisy.groups, { name: 'extra', arrival: { type: 'poisson', rate: 5 } }] });
    const only = (p: Plan, g: number) => slots(p.phases[0]!).filter((s) => s.group === g);
    expect(only(b, 0)).toEqual(only(a, 0));
    const s = only(a, 1)[3]!;
    expect(b.makeRequest(999, b.phases[0]!, s.atMs, s).messages).toEqual(a.makeRequest(12, a.phases[0]!, s.atMs, s).messages);
  });

  it('groups without an arrival share the phase arrival by weight: exact shares, evenly interleaved for constant', () => {
    const p = plan({ phases: [{ duration: '10s', arrival: { type: 'constant', rate: 40 } }], groups: [{ name: 'chat', weight: 3 }, { name: 'docs', weight: 1, request: { promptTokens: 8000 } }] });
    const ss = slots(p.phases[0]!);
    expect(ss).toHaveLength(400);
    expect(ss.filter((s) => s.group === 0)).toHaveLength(300);
    expect(ss.slice(0, 8).map((s) => s.group)).toEqual([0, 0, 1, 0, 0, 0, 1, 0]);
    expect(ss.map((s) => s.atMs)).toEqual(Array.from({ length: 400 }, (_, k) => k * 25));
    expect(p.phases[0]!.groups.map((g) => g.rate)).toEqual([30, 10]);
  });

  it('a shared token target uses the weighted mix of costs', () => {
    const p = plan({
      request: { promptTokens: 900, maxTokens: 100 },
      phases: [{ duration: '60s', arrival: { type: 'poisson', tokensPerMinute: 600_000 } }],
      groups: [{ name: 'small', weight: 1 }, { name: 'big', weight: 1, request: { promptTokens: 2900 } }],
    });
    // mix cost = (1000 + 3000)/2 = 2000 tokens → 5 req/s, 2.5 each.
    expect(p.phases[0]!.derivedRate).toBe(5);
    expect(p.phases[0]!.groups.map((g) => g.rate)).toEqual([2.5, 2.5]);
  });

  it('closed phases split workers by weight; activeIn limits a group to phases', () => {
    const p = plan({
      phases: [{ name: 'a', duration: 1, concurrency: 10 }, { name: 'b', duration: 1, concurrency: 10 }],
      groups: [{ name: 'x', weight: 2 }, { name: 'y', weight: 1 }, { name: 'z', activeIn: ['b'] }],
    });
    expect(p.phases[0]!.groups.map((g) => [g.name, g.concurrency])).toEqual([['x', 7], ['y', 3]]);
    expect(p.phases[1]!.groups.map((g) => [g.name, g.concurrency])).toEqual([['x', 5], ['y', 3], ['z', 2]]);
    expect(splitWorkers(3, [1, 1, 1, 1])).toEqual([1, 1, 1, 0]);
  });

  it('without groups everything is "default", keyed by request id as before', () => {
    const p = plan({ phases: [{ duration: 1, arrival: { type: 'poisson', rate: 10 } }] });
    expect(p.groups).toEqual([{ name: 'default' }]);
    const ss = slots(p.phases[0]!);
    expect(ss.every((s) => s.group === 0)).toBe(true);
    expect(p.makeRequest(3, p.phases[0]!, 0, ss[0]).messages).toEqual(p.makeRequest(3, p.phases[0]!, 0).messages);
  });

  it('requests bound the merged stream', () => {
    const ph = plan({ ...noisy, phases: [{ name: 'shared', requests: 100 }] }).phases[0]!;
    expect(slots(ph)).toHaveLength(100);
  });
});

describe('multi-turn conversations', () => {
  const conv = (sessions: number) =>
    plan({
      request: { promptTokens: { dist: 'uniform', min: 20, max: 60 }, maxTokens: { dist: 'uniform', min: 10, max: 30 }, system: 'Be brief.', conversation: { turns: 4, sessions } },
      phases: [{ duration: 10, arrival: { type: 'constant', rate: 10 } }],
    });

  it('prompts grow with the history; token counts are exact', () => {
    const p = conv(1);
    const ph = p.phases[0]!;
    const rs = Array.from({ length: 12 }, (_, id) => p.makeRequest(id, ph, 0));
    expect(rs.map((r) => r.messages.length)).toEqual([2, 4, 6, 8, 2, 4, 6, 8, 2, 4, 6, 8]);
    expect(rs[1]!.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    for (const r of rs) expect(countPromptTokens(r.messages, MODEL)).toBe(r.promptTokens);
    // Turn j carries turns 0..j−1 verbatim, each assistant reply as long as that turn's max_tokens.
    expect(rs[2]!.messages.slice(0, 4)).toEqual(rs[1]!.messages);
    expect(countTokens(rs[1]!.messages[2]!.content, MODEL)).toBe(rs[0]!.maxTokens);
    for (let i = 1; i < 4; i++) expect(rs[i]!.promptTokens).toBeGreaterThan(rs[i - 1]!.promptTokens);
    expect(rs[4]!.messages[1]).not.toEqual(rs[0]!.messages[1]);
  });

  it('interleaves sessions round-robin and is the same in any order', () => {
    const p = conv(3);
    const ph = p.phases[0]!;
    const fwd = Array.from({ length: 30 }, (_, id) => p.makeRequest(id, ph, 0));
    expect(fwd.slice(0, 6).map((r) => r.messages.length)).toEqual([2, 2, 2, 4, 4, 4]);
    const q = conv(3);
    const back = Array.from({ length: 30 }, (_, i) => q.makeRequest(29 - i, q.phases[0]!, 0)).reverse();
    expect(back.map((r) => r.messages)).toEqual(fwd.map((r) => r.messages));
  });

  it('expected prompt size for token targets: E[u] + E[u + a]·E[T(T−1)]/(2E[T])', () => {
    const u: TokenDist = { dist: 'fixed', value: 100 };
    const a: TokenDist = { dist: 'fixed', value: 50 };
    // T = 4: turns carry 100, 250, 400, 550 → mean 325.
    expect(expectedConversationPrompt(u, a, { dist: 'fixed', value: 4 })).toBe(325);
    // T uniform on 1..3: turns over conversations of 1, 2, 3: (100) + (100 + 250) + (100 + 250 + 400) over 6 turns.
    expect(expectedConversationPrompt(u, a, { dist: 'uniform', min: 1, max: 3 })).toBeCloseTo(1200 / 6, 12);
  });
});
