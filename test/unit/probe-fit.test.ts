/** The bucket fit (src/probe/fit.ts): exact recovery from synthetic admission histories. */
import { describe, expect, it } from 'vitest';
import { fitBucket, rateBounds, sortEvents, violations, type FitEvent } from '../../src/probe/fit.js';

/** Replays a schedule (t, cost) against a bucket (B, r per ms), full at the first send. */
function replay(B: number, r: number, sends: { t: number; cost: number }[]): FitEvent[] {
  let level = B;
  let t0 = sends[0]!.t;
  return sends.map((s) => {
    level = Math.min(B, level + (s.t - t0) * r);
    t0 = s.t;
    const admitted = level >= s.cost - 1e-9;
    if (admitted) level -= s.cost;
    return { t: s.t, cost: s.cost, admitted };
  });
}

const box = { bLo: 0.5, bHi: 1000, rLo: 1e-7, rHi: 1 };

describe('bucket fit', () => {
  for (const [B, rpm] of [[1.65, 99], [140, 140], [27, 82], [266, 92]] as const) {
    it(`recovers B ${B}, ${rpm}/min from a flood, a paced stream and timed singles`, () => {
      const r = rpm / 60_000;
      const sends: { t: number; cost: number }[] = [];
      for (let i = 0; i < Math.ceil(B) + 3; i++) sends.push({ t: 0, cost: 1 });
      const d = 1 / (1.5 * r);
      for (let j = 1; j <= 60; j++) sends.push({ t: 200 + j * d, cost: 1 });
      const ev = sortEvents(replay(B, r, sends));
      expect(violations(ev, B, r)).toEqual({ admitted: 0, refused: 0 });
      const f = fitBucket(ev, box)!;
      expect(f.score).toBe(0);
      expect(f.r.lo * 60_000).toBeLessThanOrEqual(rpm * 1.0001);
      expect(f.r.hi * 60_000).toBeGreaterThanOrEqual(rpm * 0.9999);
      expect(Math.abs(f.r.mid * 60_000 - rpm) / rpm).toBeLessThan(0.05);
      expect(f.B.lo).toBeLessThanOrEqual(B * (1 + 1e-5));
      expect(f.B.hi).toBeGreaterThanOrEqual(B * (1 - 1e-5));
    });
  }

  it('rate bounds from refusal pairs bracket the refill', () => {
    const r = 2 / 1000;
    const ev = sortEvents(replay(2, r, Array.from({ length: 40 }, (_, j) => ({ t: j * 300, cost: 1 }))));
    const b = rateBounds(ev)!;
    expect(b.lo).toBeLessThanOrEqual(r);
    expect(b.hi).toBeGreaterThanOrEqual(r);
  });
});
