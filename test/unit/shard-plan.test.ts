/**
 * N shards ≡ one generator (scale-anchors.md §4 B1–B3): the shard specs, k6's striping golden
 * vectors, and the union of N shards' planned requests equal to the single generator's
 * schedule bit for bit (ids, times, groups, contents) for constant, Poisson and ramp phases.
 * Requests are made the way the executor makes them: ids nextId++ in slot order.
 */
import { describe, expect, it } from 'vitest';
import type { PlannedRequest } from '../../src/exec/ports.js';
import { buildPlan, type Plan } from '../../src/plan/plan.js';
import { parseScenario } from '../../src/scenario/index.js';
import { applyShard } from '../../src/shard/plan.js';
import { formatShard, parseShardSpec, scaleInt, shareOf, stripeOwners } from '../../src/shard/spec.js';
import { isConfigError } from '../../src/errors.js';

/** What the executor does with an all-open plan: ids in slot order across phases. */
function schedule(plan: Plan): PlannedRequest[] {
  const out: PlannedRequest[] = [];
  let nextId = 0;
  for (const phase of plan.phases) {
    for (const s of phase.slots!()) out.push(plan.makeRequest(nextId++, phase, s.atMs, { group: s.group, seq: s.seq }));
  }
  return out;
}

const base = {
  name: 'shard-plan',
  seed: 11,
  target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct' },
  request: { promptTokens: { dist: 'uniform', min: 20, max: 400 }, maxTokens: { dist: 'uniform', min: 4, max: 64 } },
};

const scenarios = {
  constant: { phases: [{ name: 'c', duration: '3s', arrival: { type: 'constant', rate: 37 } }] },
  poisson: { phases: [{ name: 'p', duration: '3s', arrival: { type: 'poisson', rate: 41 } }] },
  ramp: {
    phases: [
      { name: 'up', duration: '2s', arrival: { type: 'ramp', from: 0, to: 50 } },
      { name: 'down', duration: '2s', arrival: { type: 'ramp', from: 50, to: 5, process: 'poisson' } },
    ],
  },
  mixed: {
    phases: [
      { name: 'c', duration: '1s', arrival: { type: 'constant', rate: 20 } },
      { name: 'p', requests: 50, arrival: { type: 'poisson', rate: 30 } },
      { name: 'r', duration: '2s', arrival: { type: 'ramp', from: 10, to: 60 } },
    ],
  },
  groups: {
    phases: [{ name: 'g', duration: '3s', arrival: { type: 'poisson', rate: 30 } }],
    groups: [
      { name: 'a', weight: 2 },
      { name: 'b', weight: 1, request: { promptTokens: 900 } },
      { name: 'own', arrival: { type: 'constant', rate: 7 } },
    ],
  },
} as const;

const key = (r: PlannedRequest) => JSON.stringify(r);

describe('shard spec', () => {
  it('parses i/N and refuses everything else with a config error', () => {
    expect(parseShardSpec('0/3')).toEqual({ index: 0, count: 3 });
    expect(parseShardSpec(' 2 / 3 ')).toEqual({ index: 2, count: 3 });
    expect(formatShard({ index: 1, count: 4 })).toBe('1/4');
    for (const bad of ['3/3', '1', '-1/3', '0/0', 'a/b', '1/2/3', '1.5/3']) {
      let err: unknown;
      try {
        parseShardSpec(bad);
      } catch (e) {
        err = e;
      }
      expect(isConfigError(err), bad).toBe(true);
      expect(String((err as Error).message)).toContain('i/N');
    }
  });

  it("reproduces k6's striping golden vectors (scale-anchors §2.2)", () => {
    const own = (owners: number[], j: number, n: number) => Array.from({ length: n }, (_, k) => k).filter((k) => owners[k % owners.length] === j);
    const a = stripeOwners([2, 1, 1]); // 0,1/2,3/4,1
    expect(own(a, 0, 8)).toEqual([0, 2, 4, 6]);
    expect(own(a, 1, 12)).toEqual([1, 5, 9]);
    expect(own(a, 2, 12)).toEqual([3, 7, 11]);
    const b = stripeOwners([3, 2]); // 0,3/5,1
    expect(own(b, 0, 13)).toEqual([0, 2, 4, 5, 7, 9, 10, 12]);
    expect(own(b, 1, 14)).toEqual([1, 3, 6, 8, 11, 13]);
    const c = stripeOwners([1, 3, 6]); // 0,1/10,4/10,1
    expect(own(c, 2, 10)).toEqual([0, 2, 4, 5, 7, 9]);
    expect(own(c, 1, 19)).toEqual([1, 6, 8, 11, 16, 18]);
    expect(own(c, 0, 24)).toEqual([3, 13, 23]);
    // ScaleInt64 for 0,1/2,3/4,1, v = 1…12 (the §2.2 table).
    const row = (j: number) => Array.from({ length: 12 }, (_, v) => scaleInt(a, j, v + 1));
    expect(row(0)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
    expect(row(1)).toEqual([0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3]);
    expect(row(2)).toEqual([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3]);
    expect(Array.from({ length: 12 }, (_, v) => scaleInt(b, 0, v + 1))).toEqual([1, 1, 2, 2, 3, 4, 4, 5, 5, 6, 7, 7]);
  });

  it('equal shards are round robin; shares sum to the whole and never decrease', () => {
    for (let n = 1; n <= 8; n++) {
      const owners = stripeOwners(Array(n).fill(1));
      expect(owners).toEqual(Array.from({ length: n }, (_, j) => j));
      let prev = Array(n).fill(0);
      for (let v = 0; v <= 300; v++) {
        const shares = Array.from({ length: n }, (_, j) => shareOf({ index: j, count: n }, v));
        expect(shares.reduce((x, y) => x + y, 0)).toBe(v);
        shares.forEach((s, j) => expect(s).toBe(scaleInt(owners, j, v)));
        shares.forEach((s, j) => expect(s).toBeGreaterThanOrEqual(prev[j]));
        prev = shares;
      }
    }
    // Random integer weights: the owned sets partition ℕ, shares sum to v.
    for (const w of [[1, 2, 3], [5, 1], [3, 3, 1, 7], [2, 0, 2]]) {
      const owners = stripeOwners(w);
      const L = w.reduce((x, y) => x + y, 0) / w.reduce((x, y) => gcd(x, y));
      expect(owners.length).toBe(L);
      for (let v = 0; v <= 500; v++) expect(w.reduce((s, _, j) => s + scaleInt(owners, j, v), 0)).toBe(v);
    }
  });
});

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

describe('N shards ≡ one generator', () => {
  for (const [name, phases] of Object.entries(scenarios)) {
    it(`${name}: the union of the shards' requests is the single schedule, bit for bit`, () => {
      const scenario = parseScenario({ ...base, ...phases });
      const single = schedule(buildPlan(scenario));
      expect(single.length).toBeGreaterThan(40);
      for (const N of [1, 2, 3, 4, 7]) {
        const parts = Array.from({ length: N }, (_, i) => {
          const plan = applyShard(buildPlan(scenario), { index: i, count: N });
          const reqs = schedule(plan);
          expect(plan.globalArrivals).toBe(single.length);
          expect(plan.ownArrivals).toBe(reqs.length);
          // Every request of shard i has a global id ≡ i (mod N), in ascending order.
          reqs.forEach((r, j) => {
            expect(r.requestId % N).toBe(i);
            if (j) expect(r.requestId).toBeGreaterThan(reqs[j - 1]!.requestId);
          });
          return reqs;
        });
        const union = parts.flat().sort((a, b) => a.requestId - b.requestId);
        expect(union.length, `N=${N}`).toBe(single.length);
        expect(union.map(key), `N=${N}`).toEqual(single.map(key));
      }
    });
  }

  it('equal shards of a constant phase are spaced N/rate apart, exactly the single times', () => {
    const scenario = parseScenario({ ...base, ...scenarios.constant });
    const single = [...buildPlan(scenario).phases[0]!.arrivals!()];
    const plan = applyShard(buildPlan(scenario), { index: 1, count: 3 });
    const mine = [...plan.phases[0]!.arrivals!()];
    expect(mine).toEqual(single.filter((_, k) => k % 3 === 1));
    // arrivals() consumers (no slots) get the same global ids, in order.
    const reqs = mine.map((t, j) => plan.makeRequest(j, plan.phases[0]!, t));
    expect(reqs.map((r) => r.requestId)).toEqual(mine.map((_, j) => 1 + 3 * j));
    const whole = buildPlan(scenario);
    expect(reqs.map(key)).toEqual(reqs.map((r) => key(whole.makeRequest(r.requestId, whole.phases[0]!, r.targetedStartMs))));
  });

  it('closed phases: workers and request caps split by striping, ids unique across shards', () => {
    const scenario = parseScenario({
      ...base,
      phases: [
        { name: 'open', duration: '1s', arrival: { type: 'constant', rate: 10 } },
        { name: 'closed', duration: '1s', concurrency: 7, requests: 20 },
      ],
      groups: [{ name: 'a', weight: 3 }, { name: 'b', weight: 1 }],
    });
    const whole = buildPlan(scenario);
    const N = 3;
    const plans = Array.from({ length: N }, (_, i) => applyShard(buildPlan(scenario), { index: i, count: N }));
    const closed = (p: Plan) => p.phases[1]!;
    expect(plans.reduce((n, p) => n + closed(p).concurrency!, 0)).toBe(7);
    expect(plans.reduce((n, p) => n + closed(p).maxRequests!, 0)).toBe(20);
    for (let g = 0; g < 2; g++) expect(plans.reduce((n, p) => n + closed(p).groups[g]!.concurrency!, 0)).toBe(whole.phases[1]!.groups[g]!.concurrency);
    const ids = plans.flatMap((p) => [0, 1, 2, 3].map((n) => p.makeRequest(100 + n, closed(p), 0, { group: 0, seq: n }).requestId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.min(...ids)).toBeGreaterThanOrEqual(10); // above every open index
  });
});
