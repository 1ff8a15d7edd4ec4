import { describe, expect, it } from 'vitest';
import { createRng, hashSeed } from '../../src/plan/rng.js';

describe('seeded RNG', () => {
  it('repeats the same stream for the same seed and keys, and differs for others', () => {
    const a = createRng(42, 'request', 7);
    const b = createRng(42, 'request', 7);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(createRng(42, 'request', 8).next()).not.toBe(xs[0]);
    expect(createRng(43, 'request', 7).next()).not.toBe(xs[0]);
    expect(hashSeed(1, 'a', 'bc')).not.toBe(hashSeed(1, 'ab', 'c'));
  });

  it('is uniform enough: mean, range and bucket counts for 100k draws', () => {
    const r = createRng(1);
    const buckets = new Array(10).fill(0);
    let sum = 0;
    let outOfRange = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = r.next();
      if (x < 0 || x >= 1) outOfRange++;
      sum += x;
      buckets[Math.floor(x * 10)]++;
    }
    expect(outOfRange).toBe(0);
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
    // Each bucket expects 10,000 with sd ≈ 95: 6 sd bounds cannot flake with a fixed seed.
    for (const c of buckets) expect(Math.abs(c - 10_000)).toBeLessThan(600);
  });

  it('draws integers inclusively and normals with mean 0 and sd 1', () => {
    const r = createRng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(r.int(1, 3));
    expect([...seen].sort()).toEqual([1, 2, 3]);
    let s = 0, s2 = 0;
    for (let i = 0; i < 50_000; i++) {
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    expect(s / 50_000).toBeCloseTo(0, 1);
    expect(Math.sqrt(s2 / 50_000)).toBeCloseTo(1, 1);
  });
});
