/**
 * Each arrival shape against its definition, with a fixed seed and bounds of 5–6 standard
 * deviations (or exact, for deterministic processes), so these cannot flake.
 */
import { describe, expect, it } from 'vitest';
import { arrivalSchedule, processSchedule, toProcess, type ScheduleWindow } from '../../src/plan/arrivals.js';
import { sampleGamma } from '../../src/plan/gamma.js';
import { cumulative, inverseCursor } from '../../src/plan/intensity.js';
import { createRng } from '../../src/plan/rng.js';
import type { Arrival } from '../../src/scenario/index.js';

const win = (startMs: number, durationMs: number, extra: Partial<ScheduleWindow> = {}): ScheduleWindow => ({ startMs, durationMs, seed: 42, phaseIndex: 0, ...extra });
const times = (a: Arrival, w: ScheduleWindow) => [...arrivalSchedule(a, w)()];

/** Counts of times in `n` equal windows of [start, start + duration). */
function counts(ts: number[], start: number, duration: number, n: number): number[] {
  const c = new Array<number>(n).fill(0);
  for (const t of ts) c[Math.min(n - 1, Math.floor(((t - start) / duration) * n))]!++;
  return c;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[]) => {
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
};
const gaps = (ts: number[]) => ts.slice(1).map((t, i) => t - ts[i]!);

describe('gamma sampler (Marsaglia–Tsang)', () => {
  it.each([0.1, 0.25, 0.5, 1, 2.5, 9])('Gamma(%d, 1) has mean k and variance k', (k) => {
    const rng = createRng(7, 'gamma', k);
    const n = 200_000;
    const xs = Array.from({ length: n }, () => sampleGamma(rng, k));
    expect(xs.every((x) => x >= 0 && Number.isFinite(x))).toBe(true);
    // sd of the sample mean is √(k/n); of the sample variance ≈ √((μ4 − σ⁴)/n) with μ4 = 3k² + 6k.
    expect(Math.abs(mean(xs) - k)).toBeLessThan(6 * Math.sqrt(k / n));
    expect(Math.abs(variance(xs) - k)).toBeLessThan(6 * Math.sqrt((3 * k * k + 6 * k - k * k) / n));
  });

  it('rejects a non-positive shape', () => {
    expect(() => sampleGamma(createRng(1), 0)).toThrow(RangeError);
  });
});

describe('gamma arrivals', () => {
  const rate = 50;
  const durationMs = 400_000; // 20 000 arrivals
  it.each([0.25, 1, 4])('burstiness %d: mean gap 1/rate, coefficient of variation 1/√k', (k) => {
    const ts = times({ type: 'gamma', rate, burstiness: k }, win(1000, durationMs));
    const g = gaps(ts);
    const cv = Math.sqrt(variance(g)) / mean(g);
    expect(Math.abs(mean(g) - 1000 / rate) / (1000 / rate)).toBeLessThan(6 / Math.sqrt(k * g.length));
    expect(Math.abs(cv - 1 / Math.sqrt(k))).toBeLessThan(0.06 / Math.sqrt(k));
    expect(ts[0]!).toBeGreaterThanOrEqual(1000);
    expect(ts.at(-1)!).toBeLessThan(1000 + durationMs);
  });

  it('burstier is burstier: counts per second over-dispersed for k < 1, under-dispersed for k > 1', () => {
    const dispersion = (k: number) => {
      const c = counts(times({ type: 'gamma', rate, burstiness: k }, win(0, durationMs)), 0, durationMs, durationMs / 1000);
      return variance(c) / mean(c);
    };
    // For a renewal process, index of dispersion of counts → CV² = 1/k over long windows.
    expect(dispersion(0.25)).toBeGreaterThan(2.5);
    expect(dispersion(1)).toBeGreaterThan(0.75);
    expect(dispersion(1)).toBeLessThan(1.25);
    expect(dispersion(4)).toBeLessThan(0.5);
  });

  it('is deterministic by seed and lazy', () => {
    const a: Arrival = { type: 'gamma', rate: 10, burstiness: 0.5 };
    expect(times(a, win(0, 10_000))).toEqual(times(a, win(0, 10_000)));
    expect(times(a, win(0, 10_000, { seed: 43 }))).not.toEqual(times(a, win(0, 10_000)));
    const it = arrivalSchedule({ type: 'gamma', rate: 1e6, burstiness: 0.5 }, win(0, 1e12))()[Symbol.iterator]();
    expect(it.next().done).toBe(false);
  });
});

describe('piecewise intensity', () => {
  it('inverts its cumulative intensity exactly', () => {
    const intensity = { segments: [{ durationMs: 2000, from: 0, to: 10 }, { durationMs: 1000, from: 10, to: 10 }, { durationMs: 3000, from: 10, to: 4 }], tailRate: 4 };
    const inv = inverseCursor(intensity);
    for (let m = 0; m < 40; m += 0.37) expect(cumulative(intensity, inv(m))).toBeCloseTo(m, 9);
    expect(cumulative(intensity, 2000)).toBeCloseTo(10, 12);
    expect(cumulative(intensity, 6000)).toBeCloseTo(10 + 10 + 21, 12);
  });

  it('gives Infinity once a zero tail is reached', () => {
    const inv = inverseCursor({ segments: [{ durationMs: 1000, from: 5, to: 5 }], tailRate: 0 });
    expect(inv(4.5)).toBeCloseTo(900, 9);
    expect(inv(5)).toBe(Infinity);
  });
});

describe('ramp arrivals', () => {
  const D = 60_000;
  const intensityIntegral = (from: number, to: number, a: number, b: number) => {
    // ∫ over [a, b] ms of from + (to − from)·t/D req/s
    const r = (t: number) => (from * t + ((to - from) * t * t) / (2 * D)) / 1000;
    return r(b) - r(a);
  };

  it.each([
    [0, 100],
    [100, 0],
    [20, 80],
    [30, 30],
  ])('constant process %d → %d req/s: arrival n at Λ⁻¹(n), each tenth within 1 of the integral', (from, to) => {
    const ts = times({ type: 'ramp', from, to, process: 'constant' }, win(5000, D));
    const c = counts(ts, 5000, D, 10);
    c.forEach((n, i) => expect(Math.abs(n - intensityIntegral(from, to, (i * D) / 10, ((i + 1) * D) / 10))).toBeLessThanOrEqual(1));
    expect(Math.abs(ts.length - intensityIntegral(from, to, 0, D))).toBeLessThanOrEqual(1);
    expect(ts[0]).toBe(5000);
    const inv = inverseCursor({ segments: [{ durationMs: D, from, to }], tailRate: to });
    ts.forEach((t, n) => expect(t - 5000).toBeCloseTo(inv(n), 6));
  });

  it('poisson process: each tenth ≈ the integral (±6 sd), gaps random', () => {
    const from = 10;
    const to = 200;
    const ts = times({ type: 'ramp', from, to, process: 'poisson' }, win(0, D));
    const c = counts(ts, 0, D, 10);
    c.forEach((n, i) => {
      const expected = intensityIntegral(from, to, (i * D) / 10, ((i + 1) * D) / 10);
      expect(Math.abs(n - expected)).toBeLessThan(6 * Math.sqrt(expected));
    });
    const g = gaps(ts.filter((t) => t > 54_000)); // last tenth: rate ≈ 190–200/s
    expect(Math.sqrt(variance(g)) / mean(g)).toBeGreaterThan(0.85); // exponential gaps: CV ≈ 1 (constant would be 0)
  });
});

describe('steps arrivals', () => {
  const steps: Arrival = { type: 'steps', steps: [{ durationMs: 2000, rate: 10 }, { durationMs: 3000, rate: 0 }, { durationMs: 1000, rate: 50 }, { durationMs: 4000, rate: 5 }], process: 'constant' };

  it('constant process: exact counts per step', () => {
    const ts = times(steps, win(1000, 10_000));
    const per = (a: number, b: number) => ts.filter((t) => t >= 1000 + a && t < 1000 + b).length;
    expect([per(0, 2000), per(2000, 5000), per(5000, 6000), per(6000, 10_000)]).toEqual([20, 0, 50, 20]);
    expect(ts.slice(0, 3)).toEqual([1000, 1100, 1200]);
    expect(ts[20]).toBeCloseTo(6000, 9); // the rate-0 step sends nothing
  });

  it('a longer phase holds the last rate; a shorter one cuts the steps', () => {
    expect(times(steps, win(0, 12_000)).length).toBe(20 + 50 + 30);
    expect(times(steps, win(0, 5500)).length).toBe(20 + 25);
  });

  it('poisson process: counts per step within ±6 sd', () => {
    const big: Arrival = { type: 'steps', steps: [{ durationMs: 20_000, rate: 20 }, { durationMs: 20_000, rate: 200 }, { durationMs: 20_000, rate: 50 }], process: 'poisson' };
    const ts = times(big, win(0, 60_000));
    [400, 4000, 1000].forEach((expected, i) => {
      const n = ts.filter((t) => t >= i * 20_000 && t < (i + 1) * 20_000).length;
      expect(Math.abs(n - expected)).toBeLessThan(6 * Math.sqrt(expected));
    });
  });
});

describe('spike arrivals', () => {
  it('constant process: base, spike and base again, exact counts', () => {
    const ts = times({ type: 'spike', rate: 5, spikeRate: 100, spikeAtMs: 4000, spikeDurationMs: 2000, process: 'constant' }, win(0, 10_000));
    const per = (a: number, b: number) => ts.filter((t) => t >= a && t < b).length;
    expect([per(0, 4000), per(4000, 6000), per(6000, 10_000)]).toEqual([20, 200, 20]);
  });

  it('poisson process: counts within ±6 sd in each part', () => {
    const ts = times({ type: 'spike', rate: 20, spikeRate: 400, spikeAtMs: 20_000, spikeDurationMs: 10_000, process: 'poisson' }, win(0, 60_000));
    const per = (a: number, b: number) => ts.filter((t) => t >= a && t < b).length;
    for (const [a, b, expected] of [[0, 20_000, 400], [20_000, 30_000, 4000], [30_000, 60_000, 600]] as const) {
      expect(Math.abs(per(a, b) - expected)).toBeLessThan(6 * Math.sqrt(expected));
    }
  });

  it('a spike at 0 starts the phase', () => {
    const ts = times({ type: 'spike', rate: 1, spikeRate: 10, spikeAtMs: 0, spikeDurationMs: 1000, process: 'constant' }, win(0, 3000));
    expect(ts.length).toBe(10 + 2);
  });
});

describe('schedules in general', () => {
  it('stop after maxArrivals, even in an unbounded window', () => {
    for (const a of [
      { type: 'constant', rate: 10 },
      { type: 'poisson', rate: 10 },
      { type: 'gamma', rate: 10, burstiness: 0.3 },
      { type: 'steps', steps: [{ durationMs: 1000, rate: 3 }], process: 'poisson' },
    ] as Arrival[]) {
      expect(times(a, win(0, Infinity, { maxArrivals: 25 }))).toHaveLength(25);
    }
  });

  it('are independent per stream key', () => {
    const p = toProcess({ type: 'poisson', rate: 10 }, 10_000);
    const a = [...processSchedule(p, win(0, 10_000, { stream: ['group', 'a'] }))()];
    const b = [...processSchedule(p, win(0, 10_000, { stream: ['group', 'b'] }))()];
    expect(a).not.toEqual(b);
  });

  it('are O(1) per arrival: a million shaped poisson arrivals in well under a few seconds, no arrays', () => {
    const s = arrivalSchedule({ type: 'ramp', from: 1000, to: 9000, process: 'poisson' }, win(0, 200_000));
    const t0 = performance.now();
    let n = 0;
    let last = -1;
    for (const t of s()) {
      if (t < last) throw new Error('not ascending');
      last = t;
      n++;
    }
    expect(Math.abs(n - 1_000_000)).toBeLessThan(6 * 1000);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
