import type { Clock } from '../clock.js';

/** A clock whose zero is the run's start, so every recorded time is "ms since run start". */
export function runRelativeClock(clock: Clock, origin = clock.now()): Clock {
  return {
    now: () => clock.now() - origin,
    sleepUntil: (t, signal) => clock.sleepUntil(t + origin, signal),
  };
}
