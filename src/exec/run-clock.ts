import type { Clock } from '../clock.js';

/** A clock whose zero is the run's start, so every recorded time is "ms since run start". */
export interface RunClock extends Clock {
  /** Moves t = 0 to now: call it as the first request is due, after set-up (plan, report files) is done. */
  restart(): void;
}

export function runRelativeClock(clock: Clock, origin = clock.now()): RunClock {
  let zero = origin;
  return {
    now: () => clock.now() - zero,
    sleepUntil: (t, signal) => clock.sleepUntil(t + zero, signal),
    restart: () => {
      zero = clock.now();
    },
  };
}
