/** The capacity search: grid, bisection, auto (grid then bisection), non-monotonic responses. */
import { describe, expect, it } from 'vitest';
import { searchLargestPassing } from '../../src/capacity/search.js';

const threshold = (limit: number) => async (v: number) => ({ pass: v <= limit, result: v });

describe('searchLargestPassing', () => {
  it('bisects to the boundary within the resolution', async () => {
    const r = await searchLargestPassing({ from: 10, to: 1000, mode: 'bisect', relative: 0.001 }, threshold(437.25));
    expect(r.answer!).toBeLessThanOrEqual(437.25);
    expect(r.firstFail!).toBeGreaterThan(437.25);
    expect(r.firstFail! - r.answer!).toBeLessThanOrEqual(0.001 * r.answer! + 1e-9);
    expect(r.tried.length).toBeLessThan(20);
  });

  it('integers stop at a bracket of width 1', async () => {
    const r = await searchLargestPassing({ from: 1, to: 500, integer: true }, threshold(123));
    expect([r.answer, r.firstFail]).toEqual([123, 124]);
    expect(r.tried.every((t) => Number.isInteger(t.value))).toBe(true);
    expect(r.tried.slice(0, 5).every((t) => t.stage === 'grid')).toBe(true);
  });

  it('reports the ends: everything passes, nothing passes', async () => {
    expect((await searchLargestPassing({ from: 1, to: 9 }, threshold(100))).answer).toBe(9);
    const none = await searchLargestPassing({ from: 1, to: 9, mode: 'bisect' }, threshold(0));
    expect(none.answer).toBeUndefined();
    expect(none.firstFail).toBe(1);
  });

  it('grid mode tries exactly the grid', async () => {
    const r = await searchLargestPassing({ from: 0, to: 80, mode: 'grid', steps: 9 }, threshold(45));
    expect(r.tried.map((t) => t.value)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80]);
    expect([r.answer, r.firstFail]).toEqual([40, 50]);
  });

  it('flags a non-monotonic response and refines above the largest passing grid value', async () => {
    // passes below 30 and again between 70 and 85
    const r = await searchLargestPassing({ from: 0, to: 100, steps: 5, integer: true }, async (v) => ({ pass: v < 30 || (v >= 70 && v <= 85), result: v }));
    expect(r.monotonic).toBe(false);
    expect([r.answer, r.firstFail]).toEqual([85, 86]);
  });
});
