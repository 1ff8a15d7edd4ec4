/**
 * Piecewise-linear arrival intensity λ(t) and the inverse of its integral Λ(t) = ∫₀ᵗ λ.
 * Shaped processes (ramp, steps, spike) are all such intensities; arrival n of the
 * deterministic process sits at Λ⁻¹(n), and a non-homogeneous Poisson process is Λ⁻¹ of
 * unit-rate Poisson epochs (time rescaling). Inversion is closed form per segment and the
 * cursor only moves forward, so each arrival costs O(1).
 */

/** Rates in requests per second; the rate moves linearly from `from` to `to` over the segment. */
export interface Segment {
  durationMs: number;
  from: number;
  to: number;
}

export interface Intensity {
  segments: readonly Segment[];
  /** Rate after the last segment, forever (0: no more arrivals). */
  tailRate: number;
}

/** Expected arrivals (Λ) in the first `ms` milliseconds. */
export function cumulative(intensity: Intensity, ms: number): number {
  let total = 0;
  let t = 0;
  for (const s of intensity.segments) {
    if (ms <= t) return total;
    const tau = Math.min(ms - t, s.durationMs);
    total += segmentMass(s, tau);
    t += s.durationMs;
  }
  return ms > t ? total + ((ms - t) * intensity.tailRate) / 1000 : total;
}

/** Λ over the first `tau` ms of a segment: r0·τ + (r1 − r0)·τ²/(2D), in arrivals. */
function segmentMass(s: Segment, tau: number): number {
  const r0 = s.from / 1000;
  const r1 = s.to / 1000;
  return r0 * tau + ((r1 - r0) * tau * tau) / (2 * s.durationMs);
}

/** A forward-only Λ⁻¹: call with non-decreasing m; returns ms from the intensity's start (Infinity: never). */
export function inverseCursor(intensity: Intensity): (m: number) => number {
  const segs = intensity.segments.filter((s) => s.durationMs > 0);
  const mass = segs.map((s) => segmentMass(s, s.durationMs));
  let i = 0;
  let cumStart = 0; // Λ at the start of segment i
  let tStart = 0; // its start time
  const tailRatePerMs = intensity.tailRate / 1000;
  return (m) => {
    while (i < segs.length && m >= cumStart + mass[i]!) {
      cumStart += mass[i]!;
      tStart += segs[i]!.durationMs;
      i++;
    }
    const x = m - cumStart;
    if (i === segs.length) return tailRatePerMs > 0 ? tStart + x / tailRatePerMs : Infinity;
    if (x <= 0) return tStart;
    const s = segs[i]!;
    const r0 = s.from / 1000;
    const r1 = s.to / 1000;
    // Root of r0·τ + (r1 − r0)·τ²/(2D) = x in the form that is stable for r1 = r0 and for r0 = 0.
    const disc = Math.max(0, r0 * r0 + (2 * (r1 - r0) * x) / s.durationMs);
    const tau = (2 * x) / (r0 + Math.sqrt(disc));
    return tStart + Math.min(tau, s.durationMs);
  };
}
