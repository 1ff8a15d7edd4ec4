/**
 * Backoff formulas, pure: (spec, n, random source, previous sleep) → ms. n is the number of
 * retries already made (0 for the first retry). Formulas as in retry-anchors.md §1 and §3.1
 * (AWS architecture blog simulator; Stainless SDKs; p-retry).
 */
import type { BackoffSpec } from './spec.js';

/** Uniform in [0, 1): the only randomness a policy needs (a seeded Rng satisfies it). */
export interface RandomSource {
  next(): number;
}

export interface BackoffState {
  /** Previous sleep (decorrelated jitter), ms. */
  prevMs?: number;
}

const expo = (base: number, cap: number, factor: number, n: number) => Math.min(cap, base * factor ** n);

export function backoffMs(spec: BackoffSpec, n: number, rng: RandomSource, state: BackoffState = {}): number {
  switch (spec.type) {
    case 'none':
      return 0;
    case 'fixed':
      return spec.delayMs;
    case 'exponential':
      return expo(spec.baseMs, spec.capMs, spec.factor ?? 2, n);
    case 'full-jitter':
      return rng.next() * expo(spec.baseMs, spec.capMs, spec.factor ?? 2, n);
    case 'equal-jitter': {
      const e = expo(spec.baseMs, spec.capMs, spec.factor ?? 2, n);
      return e / 2 + rng.next() * (e / 2);
    }
    case 'decorrelated-jitter': {
      const prev = state.prevMs ?? spec.baseMs;
      const hi = Math.max(spec.baseMs, 3 * prev);
      const v = Math.min(spec.capMs, spec.baseMs + rng.next() * (hi - spec.baseMs));
      state.prevMs = v;
      return v;
    }
    case 'stainless':
      // calculateDefaultRetryTimeoutMillis: min(0.5 s · 2^n, 8 s) · (1 − 0.25 · U): jitter only subtracts.
      return expo(spec.baseMs, spec.capMs, 2, n) * (1 - 0.25 * rng.next());
    case 'p-retry':
      // p-retry randomize: round(U[1, 2) · minTimeout · factor^n), capped at maxTimeout.
      return Math.min(spec.capMs, Math.round((1 + rng.next()) * spec.baseMs * spec.factor ** n));
  }
}
