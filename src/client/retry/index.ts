/**
 * Client retry policies as the executor's RetryPort: one ClientPolicy per client group (each
 * group is one client with its own backoff randomness, limiter and budget), built from the
 * scenario's `client.retry` and `groups[].retry`.
 */
import type { AttemptResult, PlannedRequest, RetryPort, RetryVerdict, SendGate } from '../../exec/ports.js';
import type { RandomSource } from './backoff.js';
import { ClientPolicy, type SharedLimits } from './policy.js';
import type { SendLimiter } from './limiters.js';
import type { RetrySpec } from './spec.js';

export type { RetrySpec, BackoffSpec, RetryAfterSpec, PacingSpec, AdaptiveSpec, BudgetSpec, ThrottleSpec } from './spec.js';
export { backoffMs, type RandomSource } from './backoff.js';
export { ClientPolicy, resolveRetrySpec, describeRetrySpec, adviceMs, type SharedLimits } from './policy.js';
export { PRESETS, PRESET_NAMES, NAIVE_MAX_ATTEMPTS, isPresetName, type PresetName } from './presets.js';
export { isRetryable, RETRYABLE_OUTCOMES, FATAL_OUTCOMES } from './retryable.js';
export { PacingLimiter, CubicLimiter, AimdLimiter, RetryBudget, AdaptiveThrottle, DebtBucket } from './limiters.js';

export interface RetryPortOptions {
  /** The scenario's client.retry (every group without its own). */
  retry?: RetrySpec;
  /** groups[].retry, by group name. */
  groupRetry?: Readonly<Record<string, RetrySpec | undefined>>;
  /** Every group name (clients); pacing shares the limits equally among them. Default ["default"]. */
  groups?: readonly string[];
  /** The target's limits (all clients together), for pacing without explicit rpm/tpm. */
  limits?: SharedLimits;
  /** A seeded random source per client, e.g. (g) => createRng(seed, 'retry', g). */
  rng: (group: string) => RandomSource;
  nowMs?: number;
}

export class GroupRetryPort implements RetryPort {
  readonly clients = new Map<string, ClientPolicy>();
  /** Limiters the clients share (`pacing.scope: shared`). */
  private readonly shared = new Map<string, SendLimiter>();

  constructor(private readonly opts: RetryPortOptions) {
    for (const g of opts.groups ?? ['default']) this.client(g);
  }

  client(group: string): ClientPolicy {
    let c = this.clients.get(group);
    if (!c) {
      const n = Math.max(1, this.opts.groups?.length ?? 1);
      c = new ClientPolicy(this.opts.groupRetry?.[group] ?? this.opts.retry ?? {}, {
        rng: this.opts.rng(group),
        limits: this.opts.limits,
        share: 1 / n,
        nowMs: this.opts.nowMs,
        shared: this.shared,
      });
      this.clients.set(group, c);
    }
    return c;
  }

  beforeSend(req: PlannedRequest, attempt: number, nowMs: number): SendGate {
    return this.client(req.group).beforeSend(req, attempt, nowMs);
  }

  afterAttempt(req: PlannedRequest, attempt: number, result: AttemptResult, nowMs: number): RetryVerdict {
    return this.client(req.group).afterAttempt(req, attempt, result, nowMs);
  }
}

/** The RetryPort for a scenario's retry settings; undefined when nothing retries or paces (the executor then sends once). */
export function createRetryPort(opts: RetryPortOptions): GroupRetryPort | undefined {
  const specs = [opts.retry, ...Object.values(opts.groupRetry ?? {})].filter((s): s is RetrySpec => s !== undefined);
  if (specs.length === 0) return undefined;
  return new GroupRetryPort(opts);
}
