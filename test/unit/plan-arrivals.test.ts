import { describe, expect, it } from 'vitest';
import { arrivalSchedule, type ScheduleWindow } from '../../src/plan/arrivals.js';

const win = (startMs: number, durationMs: number, extra: Partial<ScheduleWindow> = {}): ScheduleWindow => ({
  startMs,
  durationMs,
  seed: 42,
  phaseIndex: 0,
  ...extra,
});

describe('constant arrivals', () => {
  it('are evenly spaced at 1/rate from the window start, end excluded', () => {
    expect([...arrivalSchedule({ type: 'constant', rate: 4 }, win(1000, 1000))()]).toEqual([1000, 1250, 1500, 1750]);
    expect([...arrivalSchedule({ type: 'constant', rate: 0.5 }, win(0, 5000))()]).toEqual([0, 2000, 4000]);
  });

  it('give exactly rate × duration arrivals even where floats are inexact', () => {
    const cases: [number, number][] = [
      [3, 1000],
      [100 / 60, 60_000],
      [7, 10_000],
      [1000 / 3, 3000],
      [0.1, 20_000],
    ];
    for (const [rate, dur] of cases) {
      const ts = [...arrivalSchedule({ type: 'constant', rate }, win(500, dur))()];
      expect(ts.length).toBe(Math.round((rate * dur) / 1000));
      expect(ts.at(-1)!).toBeLessThan(500 + dur);
    }
  });

  it('have no drift: the k-th time is start + k/rate', () => {
    const ts = [...arrivalSchedule({ type: 'constant', rate: 30 }, win(0, 100_000))()];
    expect(ts).toHaveLength(3000);
    ts.forEach((t, k) => expect(t).toBeCloseTo((k * 1000) / 30, 9));
  });

  it('give nothing when the first would fall outside a tiny window', () => {
    expect([...arrivalSchedule({ type: 'constant', rate: 1 }, win(0, 1))()]).toEqual([0]);
  });
});

describe('poisson arrivals', () => {
  const rate = 50;
  const durationMs = 200_000;
  const times = (extra: Partial<ScheduleWindow> = {}) => [...arrivalSchedule({ type: 'poisson', rate }, win(5000, durationMs, extra))()];

  it('stay within the window, ascending', () => {
    const ts = times();
    expect(ts[0]!).toBeGreaterThanOrEqual(5000);
    expect(ts.at(-1)!).toBeLessThan(5000 + durationMs);
    for (let i = 1; i < ts.length; i++) expect(ts[i]!).toBeGreaterThan(ts[i - 1]!);
  });

  it('have the right total count and mean gap', () => {
    const ts = times();
    const expected = (rate * durationMs) / 1000; // 10 000, sd 100
    expect(Math.abs(ts.length - expected)).toBeLessThan(400);
    const meanGap = (ts.at(-1)! - ts[0]!) / (ts.length - 1);
    expect(Math.abs(meanGap - 1000 / rate)).toBeLessThan(0.8); // 20 ms ± 4%
  });

  it('count per 1 s window like a Poisson variable: mean ≈ variance ≈ rate', () => {
    const counts = new Array<number>(durationMs / 1000).fill(0);
    for (const t of times()) counts[Math.floor((t - 5000) / 1000)]!++;
    const m = counts.reduce((a, b) => a + b, 0) / counts.length;
    const v = counts.reduce((a, c) => a + (c - m) ** 2, 0) / (counts.length - 1);
    expect(Math.abs(m - rate)).toBeLessThan(2);
    expect(v / m).toBeGreaterThan(0.75); // index of dispersion 1 ± 0.25 (sd ≈ 0.1 for 200 windows)
    expect(v / m).toBeLessThan(1.25);
    expect(Math.max(...counts)).toBeLessThan(rate + 6 * Math.sqrt(rate));
  });

  it('has exponential gaps: P(gap > mean) ≈ e⁻¹', () => {
    const ts = times();
    let over = 0;
    for (let i = 1; i < ts.length; i++) if (ts[i]! - ts[i - 1]! > 1000 / rate) over++;
    expect(Math.abs(over / (ts.length - 1) - Math.exp(-1))).toBeLessThan(0.02);
  });

  it('are deterministic by seed and phase, and replay identically', () => {
    const s = arrivalSchedule({ type: 'poisson', rate: 10 }, win(0, 10_000));
    expect([...s()]).toEqual([...s()]);
    expect(times()).toEqual(times());
    expect(times({ phaseIndex: 1 })).not.toEqual(times());
    expect(times({ seed: 43 })).not.toEqual(times());
  });

  it('are lazy: a huge window costs nothing until iterated', () => {
    const it = arrivalSchedule({ type: 'poisson', rate: 1e6 }, win(0, 1e12))()[Symbol.iterator]();
    expect(it.next().value).toBeGreaterThanOrEqual(0);
  });
});
