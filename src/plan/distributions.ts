/** Token-size distributions: one seeded draw → a positive integer. */
import type { TokenDist } from '../scenario/schema.js';
import type { Rng } from './rng.js';

export function sample(dist: TokenDist, rng: Rng): number {
  switch (dist.dist) {
    case 'fixed':
      return dist.value;
    case 'uniform':
      return rng.int(dist.min, dist.max);
    case 'normal': {
      // Clipped, not truncated: out-of-range draws pile up at the bounds, as documented.
      const v = Math.round(dist.mean + dist.stddev * rng.normal());
      return Math.min(dist.max, Math.max(dist.min, v));
    }
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
  }
}
