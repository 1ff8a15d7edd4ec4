import { isConfigError, LimitprobeError } from '../index.js';

/** Exit codes are a contract (see README): scripts and CI branch on them. */
export const EXIT = {
  ok: 0,
  internal: 1,
  /** Invalid scenario or arguments: nothing was sent. */
  config: 2,
  /** A threshold failed. */
  threshold: 99,
  interrupted: 130,
} as const;

export function exitCodeFor(err: unknown): number {
  if (isConfigError(err)) return EXIT.config;
  if (err instanceof LimitprobeError && err.code === 'E_TARGET') return EXIT.config;
  return EXIT.internal;
}

export function printError(err: unknown): void {
  if (err instanceof LimitprobeError) {
    process.stderr.write(`limitprobe: ${err.message}\n`);
  } else {
    process.stderr.write(`limitprobe: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  }
}
