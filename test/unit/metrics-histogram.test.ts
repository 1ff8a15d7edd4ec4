import { describe, expect, it } from 'vitest';
import { Histogram } from '../../src/metrics/histogram.js';
import { nearestRank } from '../../src/metrics/series.js';

/** A deterministic spread of latencies: 0.5 ms … ~40 s, log-ish. */
function values(n: number, seed = 1): number[] {
  let x = seed;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out.push(Math.round(0.5 * Math.exp((x / 2 ** 31) * 11) * 1000) / 1000);
  }
  return out;
}

const within = (got: number | undefined, want: number, rel = 1e-3) => {
  expect(got).toBeDefined();
  expect(Math.abs(got! - want)).toBeLessThanOrEqual(want * rel + 0.001);
};

describe('Histogram', () => {
  it('percentiles match exact nearest-rank values within 0.1 %', () => {
    const v = values(20_000);
    const h = new Histogram();
    for (const x of v) h.record(x);
    const sorted = [...v].sort((a, b) => a - b);
    for (const p of [1, 10, 50, 90, 95, 99, 99.9]) within(h.percentile(p), nearestRank(sorted, p)!);
    expect(h.count).toBe(v.length);
    expect(h.max).toBe(sorted.at(-1));
    within(h.mean, v.reduce((a, b) => a + b, 0) / v.length, 1e-12);
  });

  it('is empty-safe and never reports a percentile above the exact max', () => {
    const h = new Histogram();
    expect(h.percentile(50)).toBeUndefined();
    expect(h.max).toBeUndefined();
    expect(h.stats()).toEqual({ count: 0, p50: undefined, p90: undefined, p95: undefined, p99: undefined, max: undefined, mean: undefined });
    h.record(1234.567);
    expect(h.percentile(100)).toBe(1234.567);
    expect(h.percentile(50)).toBeLessThanOrEqual(1234.567);
  });

  it('keeps µs resolution for small values and clamps out-of-range ones', () => {
    const h = new Histogram();
    h.record(0.001);
    h.record(0.002);
    expect(h.percentile(50)).toBe(0.001);
    expect(h.percentile(100)).toBe(0.002);
    h.record(-5);
    h.record(5_000_000); // > 1 h
    h.record(Number.NaN);
    expect(h.clamped).toBe(2);
    expect(h.count).toBe(4);
    expect(h.max).toBe(5_000_000);
    within(h.percentile(100)!, 3_600_000);
  });

  it('merges losslessly via encode/decode/add', () => {
    const a = values(5000, 3);
    const b = values(7000, 7);
    const whole = new Histogram();
    const ha = new Histogram();
    const hb = new Histogram();
    for (const x of a) (ha.record(x), whole.record(x));
    for (const x of b) (hb.record(x), whole.record(x));
    const merged = Histogram.decode(ha.encode());
    merged.add(Histogram.decode(hb.encode()));
    expect(merged.count).toBe(whole.count);
    expect(merged.max).toBe(whole.max);
    expect(merged.mean).toBeCloseTo(whole.mean!, 9);
    for (const p of [50, 90, 95, 99, 99.99]) expect(merged.percentile(p)).toBe(whole.percentile(p));
  });

  it('decodes an empty histogram and rejects unknown encodings', () => {
    const e = Histogram.decode(new Histogram().encode());
    expect(e.count).toBe(0);
    expect(e.max).toBeUndefined();
    expect(() => Histogram.decode(JSON.stringify({ v: 99 }))).toThrow(/v99/);
  });
});
