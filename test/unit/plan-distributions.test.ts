import { describe, expect, it } from 'vitest';
import { nominalMean, sample } from '../../src/plan/distributions.js';
import { createRng } from '../../src/plan/rng.js';
import type { TokenDist } from '../../src/scenario/index.js';

function draws(dist: TokenDist, n = 20_000, seed = 42): number[] {
  const rng = createRng(seed, 'dist-test');
  return Array.from({ length: n }, () => sample(dist, rng));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('sample', () => {
  it('fixed always gives its value', () => {
    expect(new Set(draws({ dist: 'fixed', value: 64 }, 100))).toEqual(new Set([64]));
  });

  it('uniform: integers in [min, max], every value hit, mean within tolerance', () => {
    const xs = draws({ dist: 'uniform', min: 10, max: 20 });
    expect(xs.every((x) => Number.isInteger(x) && x >= 10 && x <= 20)).toBe(true);
    expect(new Set(xs).size).toBe(11);
    // sd of the mean = sqrt((11² − 1)/12 / 20000) ≈ 0.022: 0.1 is > 4 sd.
    expect(Math.abs(mean(xs) - 15)).toBeLessThan(0.1);
  });

  it('uniform with min = max is constant', () => {
    expect(new Set(draws({ dist: 'uniform', min: 7, max: 7 }, 100))).toEqual(new Set([7]));
  });

  it('normal: integers, mean and spread within tolerance when bounds are far', () => {
    const xs = draws({ dist: 'normal', mean: 500, stddev: 50, min: 1, max: 10_000 });
    expect(xs.every(Number.isInteger)).toBe(true);
    expect(Math.abs(mean(xs) - 500)).toBeLessThan(2); // sd of the mean ≈ 0.35
    const sd = Math.sqrt(mean(xs.map((x) => (x - 500) ** 2)));
    expect(Math.abs(sd - 50)).toBeLessThan(2);
  });

  it('normal is clipped to [min, max]: draws beyond pile up at the bounds', () => {
    const xs = draws({ dist: 'normal', mean: 100, stddev: 50, min: 90, max: 110 });
    expect(Math.min(...xs)).toBe(90);
    expect(Math.max(...xs)).toBe(110);
    // P(|Z| > 0.2) ≈ 0.84 of draws land on a bound.
    const atBounds = xs.filter((x) => x === 90 || x === 110).length / xs.length;
    expect(atBounds).toBeGreaterThan(0.8);
    expect(atBounds).toBeLessThan(0.88);
  });

  it('normal with stddev 0 is its rounded mean', () => {
    expect(new Set(draws({ dist: 'normal', mean: 12.4, stddev: 0, min: 1, max: 100 }, 50))).toEqual(new Set([12]));
  });

  it('is deterministic for a seed', () => {
    const d: TokenDist = { dist: 'normal', mean: 100, stddev: 30, min: 1, max: 400 };
    expect(draws(d, 200, 7)).toEqual(draws(d, 200, 7));
    expect(draws(d, 200, 7)).not.toEqual(draws(d, 200, 8));
  });
});

describe('nominalMean', () => {
  it('is the centre of each form', () => {
    expect(nominalMean({ dist: 'fixed', value: 5 })).toBe(5);
    expect(nominalMean({ dist: 'uniform', min: 10, max: 21 })).toBe(15.5);
    expect(nominalMean({ dist: 'normal', mean: 300, stddev: 9, min: 1, max: 999 })).toBe(300);
  });
});
