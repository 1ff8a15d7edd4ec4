/**
 * Gamma(k, 1) variates by Marsaglia & Tsang (2000), "A simple method for generating gamma
 * variables": for k ≥ 1 a squeeze-accelerated rejection from a cubed normal (≈1.05 normals
 * per draw); for k < 1 the boost Gamma(k) = Gamma(k + 1) · U^(1/k).
 */
import type { Rng } from './rng.js';

export function sampleGamma(rng: Rng, k: number): number {
  if (!(k > 0)) throw new RangeError(`gamma shape must be > 0, got ${k}`);
  if (k < 1) {
    // U ∈ (0, 1]: never 0^(1/k) = 0 from a zero draw.
    const u = 1 - rng.next();
    return sampleGamma(rng, k + 1) * Math.pow(u, 1 / k);
  }
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.next(); // (0, 1]
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return d * v;
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
  }
}
