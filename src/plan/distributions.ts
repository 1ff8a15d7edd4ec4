/**
 * Token-size (and count) distributions: one seeded draw → a positive integer; think-time
 * distributions in ms; and the exact expectations of what the samplers produce, which
 * token-targeted load needs (rate = TPM / (60 × E[prompt + max_tokens])).
 */
import type { MsDist, TokenDist } from '../scenario/schema.js';
import type { Rng } from './rng.js';

/** μ of the underlying normal of a lognormal given by its median or its (unclipped) mean. */
export function lognormalMu(d: Extract<TokenDist, { dist: 'lognormal' }>): number {
  return d.median !== undefined ? Math.log(d.median) : Math.log(d.mean!) - (d.sigma * d.sigma) / 2;
}

const clip = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export function sample(dist: TokenDist, rng: Rng): number {
  switch (dist.dist) {
    case 'fixed':
      return dist.value;
    case 'uniform':
      return rng.int(dist.min, dist.max);
    case 'normal':
      // Clipped, not truncated: out-of-range draws pile up at the bounds, as documented.
      return clip(Math.round(dist.mean + dist.stddev * rng.normal()), dist.min, dist.max);
    case 'lognormal':
      return clip(Math.round(Math.exp(lognormalMu(dist) + dist.sigma * rng.normal())), dist.min, dist.max);
    case 'empirical':
      return dist.values[rng.int(0, dist.values.length - 1)]!;
  }
}

/** A think time in ms (≥ 0). */
export function sampleMs(dist: MsDist, rng: Rng): number {
  switch (dist.dist) {
    case 'fixed':
      return dist.value;
    case 'uniform':
      return dist.min + (dist.max - dist.min) * rng.next();
    case 'normal':
      return clip(dist.mean + dist.stddev * rng.normal(), dist.min, dist.max);
    case 'exponential':
      return -Math.log(1 - rng.next()) * dist.mean;
  }
}

/** The distribution's mean before clipping (for summaries and quick sizing). */
export function nominalMean(dist: TokenDist): number {
  switch (dist.dist) {
    case 'fixed':
      return dist.value;
    case 'uniform':
      return (dist.min + dist.max) / 2;
    case 'normal':
      return dist.mean;
    case 'lognormal':
      return Math.exp(lognormalMu(dist) + (dist.sigma * dist.sigma) / 2);
    case 'empirical':
      return dist.values.reduce((a, b) => a + b, 0) / dist.values.length;
  }
}

/** Terms summed at most; wider supports are summed in strides (error far below a token). */
const MAX_TERMS = 2_000_000;
/** Beyond this many standard deviations a normal's tail mass is below 1e-300: nothing to sum. */
const TAIL_SD = 40;

/**
 * E[f(X)] for X drawn exactly as `sample` draws it (rounded, then clipped). Exact for fixed,
 * uniform and empirical; for normal and lognormal a sum over the integers of the support of
 * the rounded variable's probabilities, Φ((k + ½ − μ)/σ) − Φ((k − ½ − μ)/σ), with the clipped
 * tails as point masses at min and max.
 */
export function expectation(dist: TokenDist, f: (k: number) => number = (k) => k): number {
  switch (dist.dist) {
    case 'fixed':
      return f(dist.value);
    case 'uniform':
      return sumEvenly(dist.min, dist.max, f);
    case 'empirical': {
      let s = 0;
      for (const v of dist.values) s += f(v);
      return s / dist.values.length;
    }
    case 'normal': {
      if (dist.stddev === 0) return f(clip(Math.round(dist.mean), dist.min, dist.max));
      const cdf = (x: number) => normalCdf((x - dist.mean) / dist.stddev);
      return roundedClipped(cdf, dist.min, dist.max, dist.mean - TAIL_SD * dist.stddev, dist.mean + TAIL_SD * dist.stddev, f);
    }
    case 'lognormal': {
      const mu = lognormalMu(dist);
      if (dist.sigma === 0) return f(clip(Math.round(Math.exp(mu)), dist.min, dist.max));
      const cdf = (x: number) => (x <= 0 ? 0 : normalCdf((Math.log(x) - mu) / dist.sigma));
      return roundedClipped(cdf, dist.min, dist.max, Math.exp(mu - TAIL_SD * dist.sigma), Math.exp(mu + TAIL_SD * dist.sigma), f);
    }
  }
}

/** Exact mean of what `sample` produces. */
export function exactMean(dist: TokenDist): number {
  return expectation(dist);
}

/** Mean of f over the integers lo..hi, each equally likely. */
function sumEvenly(lo: number, hi: number, f: (k: number) => number): number {
  const n = hi - lo + 1;
  const stride = Math.max(1, Math.ceil(n / MAX_TERMS));
  let s = 0;
  let w = 0;
  for (let k = lo; k <= hi; k += stride) {
    const width = Math.min(stride, hi - k + 1);
    s += f(k + (width - 1) / 2) * width;
    w += width;
  }
  return s / w;
}

function roundedClipped(cdf: (x: number) => number, min: number, max: number, bandLo: number, bandHi: number, f: (k: number) => number): number {
  if (min === max) return f(min);
  if (bandHi < min) return f(min);
  if (bandLo > max) return f(max);
  const lo = Math.max(min, Math.floor(bandLo));
  const hi = Math.min(max, Math.ceil(bandHi));
  if (lo >= hi) return f(lo);
  // All mass below lo + ½ sits at lo (exactly: at min when lo = min; otherwise it is < 1e-300).
  let s = f(lo) * cdf(lo + 0.5);
  const stride = Math.max(1, Math.ceil((hi - lo - 1) / MAX_TERMS));
  for (let k = lo + 1; k < hi; k += stride) {
    const width = Math.min(stride, hi - k);
    s += f(k + (width - 1) / 2) * (cdf(k + width - 0.5) - cdf(k - 0.5));
  }
  return s + f(hi) * (1 - cdf(hi - 0.5));
}

/** Standard normal CDF, accurate to ~1e-15 absolute. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Complementary error function: a positive-term series below 2.5, a continued fraction above. */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 2.5) {
    // erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (2n+1)!!  — every term positive, no cancellation.
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && term > sum * 1e-17; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), by modified Lentz.
  const tiny = 1e-300;
  let fr = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    fr *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / fr;
}
