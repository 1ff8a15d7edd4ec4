/**
 * Open-loop arrival schedules: lazy, re-iterable sequences of absolute planned start times
 * (ms) in [startMs, startMs + durationMs), ascending. Lazy so a long, fast phase costs no
 * memory; re-iterable (a fresh RNG per iteration) so a schedule can be replayed exactly.
 *
 * Adding a process (gamma, ramp, step, spike): add its variant to `Arrival` in the scenario
 * schema and one factory to `FACTORIES`; the mapped type makes a missing one a type error.
 */
import type { Arrival, ArrivalType } from '../scenario/schema.js';
import { createRng, type Rng } from './rng.js';

export type Schedule = () => Iterable<number>;

export interface ScheduleWindow {
  startMs: number;
  durationMs: number;
  /** Stochastic processes draw from createRng(seed, 'arrivals', phaseIndex). */
  seed: number;
  phaseIndex: number;
}

type Factory<A extends Arrival> = (arrival: A, w: ScheduleWindow, rng: () => Rng) => Schedule;

// Times within this much of the window's end count as at the end (excluded): float guard.
const EPS_MS = 1e-6;

/** Evenly spaced at 1/rate, the first at startMs. Each time is computed from its index, so no drift. */
const constant: Factory<Extract<Arrival, { type: 'constant' }>> = ({ rate }, w) =>
  function* () {
    const end = w.startMs + w.durationMs - EPS_MS;
    for (let k = 0; ; k++) {
      const t = w.startMs + (k * 1000) / rate;
      if (t >= end) return;
      yield t;
    }
  };

/** Poisson process: exponential gaps with mean 1/rate. */
const poisson: Factory<Extract<Arrival, { type: 'poisson' }>> = ({ rate }, w, rng) =>
  function* () {
    const r = rng();
    const meanGapMs = 1000 / rate;
    const end = w.startMs + w.durationMs - EPS_MS;
    let t = w.startMs;
    for (;;) {
      t += -Math.log(1 - r.next()) * meanGapMs; // 1 - next() ∈ (0, 1]: never log(0)
      if (t >= end) return;
      yield t;
    }
  };

const FACTORIES: { [K in ArrivalType]: Factory<Extract<Arrival, { type: K }>> } = { constant, poisson };

export function arrivalSchedule(arrival: Arrival, w: ScheduleWindow): Schedule {
  const factory = FACTORIES[arrival.type] as Factory<Arrival>;
  return factory(arrival, w, () => createRng(w.seed, 'arrivals', w.phaseIndex));
}
