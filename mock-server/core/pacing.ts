/**
 * Stream pacing shared by every dialect's SSE reply: when the next chunk is due, and how many
 * tokens are due once it is (a late wake-up sends everything due in one write, never drifts).
 */
import type { MockCore, Ticket } from './core.js';
import { tokenDueMs, tokensDueBy } from './latency.js';
import { waitUntil } from './reply.js';

/**
 * Sleeps until the chunk after `sent` tokens (of `per` tokens) is due; returns how many tokens
 * are due by then (at least that chunk), or undefined when the client went away meanwhile.
 */
export async function nextDue(core: MockCore, t: Ticket, sent: number, per: number, signal?: AbortSignal): Promise<number | undefined> {
  const n = t.completionTokens;
  const dueAt = t.admittedAt + tokenDueMs(t.timing, Math.min(sent + per, n) - 1);
  if (core.clock.now() < dueAt) {
    try {
      await core.scheduler.sleepUntil(dueAt, signal);
    } catch {
      return undefined;
    }
  }
  // At least the chunk we waited for is due (guards float rounding in tokensDueBy).
  return Math.max(Math.min(sent + per, n), tokensDueBy(t.timing, core.clock.now() - t.admittedAt, n));
}

/** A `stall` fault: hold the stream for `ms` (forever when absent). False when the client went away. */
export async function stallFor(core: MockCore, ms: number | undefined, signal?: AbortSignal): Promise<boolean> {
  try {
    await waitUntil((x, s) => core.scheduler.sleepUntil(x, s), ms === undefined ? Infinity : core.clock.now() + ms, signal);
    return true;
  } catch {
    return false;
  }
}
