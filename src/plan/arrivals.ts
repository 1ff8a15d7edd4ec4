/**
 * Open-loop arrival schedules: lazy, re-iterable sequences of absolute planned start times
 * (ms) in [startMs, startMs + durationMs), ascending. Lazy so a long, fast phase costs no
 * memory and each arrival O(1) time; re-iterable (a fresh RNG per iteration) so a schedule
 * can be replayed exactly.
 *
 * A scenario `Arrival` is first resolved to a `Process` with concrete rates (token targets
 * and group shares are the plan's business); `processSchedule` runs a Process.
 */
import type { Arrival } from '../scenario/schema.js';
import { sampleGamma } from './gamma.js';
import { inverseCursor, type Intensity, type Segment } from './intensity.js';
import { createRng, type Rng } from './rng.js';

export type Schedule = () => Iterable<number>;

export interface ScheduleWindow {
  startMs: number;
  /** May be Infinity when `maxArrivals` bounds the schedule instead. */
  durationMs: number;
  /** Stochastic processes draw from createRng(seed, 'arrivals', phaseIndex, ...stream). */
  seed: number;
  phaseIndex: number;
  /** Extra RNG keys, so several schedules of one phase (client groups) are independent. */
  stream?: readonly (string | number)[];
  /** Stop after this many arrivals. */
  maxArrivals?: number;
}

/** An arrival process with concrete rates (req/s). */
export type Process =
  | { type: 'constant'; rate: number }
  | { type: 'poisson'; rate: number }
  | { type: 'gamma'; rate: number; burstiness: number }
  /** Piecewise-linear intensity: arrival n at Λ⁻¹(n) (constant) or at Λ⁻¹ of unit Poisson epochs (poisson). */
  | { type: 'shaped'; intensity: Intensity; process: 'constant' | 'poisson' };

/** Whether a process's arrival times are random (then groups sharing it are assigned at random too). */
export function isStochastic(p: Process): boolean {
  return p.type === 'poisson' || p.type === 'gamma' || (p.type === 'shaped' && p.process === 'poisson');
}

/**
 * Scenario arrival → process. `phaseDurationMs` is the phase's (a ramp spans it; undefined when
 * the phase is bounded by requests alone). `rate` replaces a rate-target's rate (the plan
 * resolves tokensPerMinute into it); `scale` multiplies every rate (a group's share).
 */
export function toProcess(a: Arrival, phaseDurationMs: number | undefined, opts: { rate?: number; scale?: number } = {}): Process {
  const k = opts.scale ?? 1;
  const seg = (durationMs: number, from: number, to = from): Segment => ({ durationMs, from: from * k, to: to * k });
  switch (a.type) {
    case 'constant':
    case 'poisson':
    case 'gamma': {
      const rate = opts.rate ?? a.rate;
      if (rate === undefined) throw new RangeError(`arrival ${a.type} has no rate: resolve tokensPerMinute first`);
      return a.type === 'gamma' ? { type: 'gamma', rate: rate * k, burstiness: a.burstiness } : { type: a.type, rate: rate * k };
    }
    case 'ramp': {
      if (phaseDurationMs === undefined || !Number.isFinite(phaseDurationMs)) throw new RangeError('a ramp needs the phase duration');
      return { type: 'shaped', process: a.process, intensity: { segments: [seg(phaseDurationMs, a.from, a.to)], tailRate: a.to * k } };
    }
    case 'steps':
      return {
        type: 'shaped',
        process: a.process,
        intensity: { segments: a.steps.map((s) => seg(s.durationMs, s.rate)), tailRate: a.steps[a.steps.length - 1]!.rate * k },
      };
    case 'spike':
      return {
        type: 'shaped',
        process: a.process,
        intensity: { segments: [seg(a.spikeAtMs, a.rate), seg(a.spikeDurationMs, a.spikeRate)], tailRate: a.rate * k },
      };
  }
}

/** Long-run rate after any shape has played out (req/s): 0 means the process stops. */
export function tailRate(p: Process): number {
  return p.type === 'shaped' ? p.intensity.tailRate : p.rate;
}

// Times within this much of the window's end count as at the end (excluded): float guard.
const EPS_MS = 1e-6;

type Gen = (p: Process, w: ScheduleWindow, rng: () => Rng) => Generator<number>;

/** Evenly spaced at 1/rate, the first at startMs. Each time is computed from its index, so no drift. */
const constant: Gen = function* (p, w) {
  const rate = (p as { rate: number }).rate;
  for (let k = 0; ; k++) yield w.startMs + (k * 1000) / rate;
};

/** Renewal process from a gap sampler (ms); the first arrival one gap after startMs. */
function* renewal(w: ScheduleWindow, gap: () => number): Generator<number> {
  let t = w.startMs;
  for (;;) {
    t += gap();
    yield t;
  }
}

/** Poisson process: exponential gaps with mean 1/rate. */
const poisson: Gen = (p, w, rng) => {
  const r = rng();
  const meanGapMs = 1000 / (p as { rate: number }).rate;
  return renewal(w, () => -Math.log(1 - r.next()) * meanGapMs); // 1 - next() ∈ (0, 1]: never log(0)
};

/** Gamma renewal process: gaps ~ Gamma(k, 1/(k·rate)), mean 1/rate, CV 1/√k (k = 1: Poisson). */
const gamma: Gen = (p, w, rng) => {
  const { rate, burstiness: k } = p as { rate: number; burstiness: number };
  const r = rng();
  const scaleMs = 1000 / (k * rate);
  return renewal(w, () => sampleGamma(r, k) * scaleMs);
};

/** Λ⁻¹(n) for n = 0, 1, … (deterministic), or Λ⁻¹(E₁), Λ⁻¹(E₂), … for unit Poisson epochs Eᵢ. */
const shaped: Gen = function* (p, w, rng) {
  const { intensity, process } = p as Extract<Process, { type: 'shaped' }>;
  const inverse = inverseCursor(intensity);
  if (process === 'constant') {
    for (let n = 0; ; n++) yield w.startMs + inverse(n);
  } else {
    const r = rng();
    let e = 0;
    for (;;) {
      e += -Math.log(1 - r.next());
      yield w.startMs + inverse(e);
    }
  }
};

const GENERATORS: { [K in Process['type']]: Gen } = { constant, poisson, gamma, shaped };

/** The schedule of a resolved process in a window. */
export function processSchedule(p: Process, w: ScheduleWindow): Schedule {
  const gen = GENERATORS[p.type];
  const rng = () => createRng(w.seed, 'arrivals', w.phaseIndex, ...(w.stream ?? []));
  const end = w.startMs + w.durationMs - EPS_MS;
  const max = w.maxArrivals ?? Infinity;
  return function* () {
    let n = 0;
    if (n >= max) return;
    for (const t of gen(p, w, rng)) {
      if (!(t < end)) return; // also ends on Infinity (an intensity that ran out)
      yield t;
      if (++n >= max) return;
    }
  };
}

/** Scenario arrival → schedule, for arrivals with their rates given (no token target). */
export function arrivalSchedule(arrival: Arrival, w: ScheduleWindow): Schedule {
  return processSchedule(toProcess(arrival, w.durationMs), w);
}
