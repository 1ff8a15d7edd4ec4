/**
 * One client's retry policy: pre-send gates (throttle, limiters) and the after-attempt decision
 * (fatal or retryable, attempts left, Retry-After, backoff, budget). Pure over the times passed
 * in and an injected random source; one instance per client (scenario group).
 */
import type { AttemptResult, PlannedRequest, RetryVerdict, SendGate } from '../../exec/ports.js';
import { backoffMs, type BackoffState, type RandomSource } from './backoff.js';
import { AdaptiveThrottle, AimdLimiter, CubicLimiter, LimiterChain, PacingLimiter, RetryBudget, type Cost, type SendLimiter } from './limiters.js';
import { isPresetName, PRESETS, PRESET_NAMES } from './presets.js';
import { isRateLimited, isRetryable } from './retryable.js';
import type { BackoffSpec, RetrySpec } from './spec.js';

/** The provider limits a client shares (for pacing derived from the target's limits). */
export interface SharedLimits {
  rpm?: number;
  tpm?: number;
}

export interface ClientPolicyOptions {
  rng: RandomSource;
  /** The target's limits (all clients together). */
  limits?: SharedLimits;
  /** This client's share of them (default 1). */
  share?: number;
  /** Run time the client starts at (CUBIC's first "last throttle"). */
  nowMs?: number;
  /** Limiters shared by the clients of one port (`pacing.scope: shared`), by key. */
  shared?: Map<string, SendLimiter>;
}

/** A preset with the explicit fields over it. Throws on an unknown preset name. */
export function resolveRetrySpec(spec: RetrySpec | undefined): RetrySpec {
  if (!spec) return { ...PRESETS.none };
  const { preset, ...own } = spec;
  if (preset === undefined) return own;
  if (!isPresetName(preset)) throw new RangeError(`unknown retry preset "${preset}" (expected one of ${PRESET_NAMES.join(', ')})`);
  const base = structuredClone(PRESETS[preset]) as RetrySpec;
  const out: RetrySpec = { ...base };
  for (const [k, v] of Object.entries(own) as [keyof RetrySpec, unknown][]) {
    if (v === undefined) continue;
    const b = base[k];
    // Objects merge one level deep (retryAfter: { capMs } keeps honor from the preset); a backoff of another type replaces.
    if (typeof v === 'object' && v !== null && typeof b === 'object' && b !== null && !(k === 'backoff' && (v as BackoffSpec).type !== (b as BackoffSpec).type)) {
      (out as Record<string, unknown>)[k] = { ...b, ...v };
    } else (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** A short human description of a resolved spec (reports). */
export function describeRetrySpec(s: RetrySpec): string {
  const parts: string[] = [`${s.maxAttempts ?? 1} attempts`];
  if (s.backoff) parts.push(s.backoff.type);
  if (s.retryAfter?.honor) parts.push(`retry-after${s.retryAfter.capMs !== undefined ? ` ≤ ${s.retryAfter.capMs / 1000} s (${s.retryAfter.beyondCap ?? 'backoff'})` : ''}`);
  if (s.pacing) parts.push('pacing');
  if (s.adaptive) parts.push(s.adaptive.type);
  if (s.budget?.ratio !== undefined) parts.push(`budget ${s.budget.ratio}`);
  if (s.budget?.quota) parts.push('retry quota');
  if (s.throttle) parts.push(`throttle K=${s.throttle.k}`);
  return parts.join(', ');
}

interface RequestState {
  backoff: BackoffState;
  lastRetryCost: number;
  throttle?: { accepted(ok: boolean, at: number): void };
}

const costOf = (req: PlannedRequest): Cost => ({ promptTokens: req.promptTokens, maxTokens: req.maxTokens });

export class ClientPolicy {
  readonly spec: RetrySpec;
  readonly maxAttempts: number;
  private readonly limiter: SendLimiter | undefined;
  readonly budget: RetryBudget | undefined;
  readonly throttle: AdaptiveThrottle | undefined;
  private readonly state = new Map<number, RequestState>();

  constructor(
    spec: RetrySpec,
    private readonly opts: ClientPolicyOptions,
  ) {
    this.spec = resolveRetrySpec(spec);
    const s = this.spec;
    this.maxAttempts = Math.max(1, s.maxAttempts ?? 1);
    const parts: SendLimiter[] = [];
    if (s.pacing) {
      const shared = s.pacing.scope === 'shared';
      const share = shared ? 1 : (opts.share ?? 1);
      const head = s.pacing.headroom ?? 0.9;
      const rpm = s.pacing.rpm ?? (opts.limits?.rpm !== undefined ? opts.limits.rpm * head * share : undefined);
      const tpm = s.pacing.tpm ?? (opts.limits?.tpm !== undefined ? opts.limits.tpm * head * share : undefined);
      if (rpm === undefined || tpm === undefined) {
        throw new RangeError('retry.pacing needs rpm and tpm (give them, or run against a target whose limits are known: the mock)');
      }
      if (shared && opts.shared) {
        const key = JSON.stringify(['pacing', rpm, tpm, s.pacing]);
        let l = opts.shared.get(key);
        if (!l) opts.shared.set(key, (l = new PacingLimiter(rpm, tpm, s.pacing)));
        parts.push(l);
      } else parts.push(new PacingLimiter(rpm, tpm, s.pacing));
    }
    if (s.adaptive?.type === 'cubic') parts.push(new CubicLimiter(s.adaptive, opts.nowMs ?? 0));
    else if (s.adaptive?.type === 'aimd') parts.push(new AimdLimiter(s.adaptive));
    this.limiter = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : new LimiterChain(parts);
    this.budget = s.budget ? new RetryBudget(s.budget) : undefined;
    this.throttle = s.throttle ? new AdaptiveThrottle(s.throttle, opts.rng) : undefined;
  }

  private st(id: number): RequestState {
    let s = this.state.get(id);
    if (!s) {
      s = { backoff: {}, lastRetryCost: 0 };
      this.state.set(id, s);
    }
    return s;
  }

  /** Requests with retry state still held (tests: every request ends and frees it). */
  get open(): number {
    return this.state.size;
  }

  beforeSend(req: PlannedRequest, attempt: number, now: number): SendGate {
    const st = this.st(req.requestId);
    if (attempt === 1) this.budget?.onFirstAttempt();
    if (this.throttle) {
      const h = this.throttle.admit(now);
      if (!h) return { kind: 'reject', reason: 'client_throttled' };
      st.throttle = h;
    }
    const at = this.limiter ? this.limiter.reserve(costOf(req), now) : now;
    return { kind: 'go', atMs: at };
  }

  afterAttempt(req: PlannedRequest, attempt: number, r: AttemptResult, now: number): RetryVerdict {
    const st = this.st(req.requestId);
    if (r.outcome !== 'dropped') {
      this.limiter?.settle(costOf(req), r, now);
      st.throttle?.accepted(!(isRateLimited(r) || r.outcome === 'overloaded'), now);
      st.throttle = undefined;
    }
    const verdict = this.decide(req, attempt, r, now, st);
    if (!verdict.retry) this.state.delete(req.requestId);
    return verdict;
  }

  private decide(_req: PlannedRequest, attempt: number, r: AttemptResult, now: number, st: RequestState): RetryVerdict {
    const s = this.spec;
    if (r.outcome === 'ok') {
      this.budget?.onSuccess(st.lastRetryCost);
      return { retry: false, reason: 'ok' };
    }
    if (!isRetryable(r, s.retryOn)) return { retry: false, reason: 'fatal' };
    if (attempt >= this.maxAttempts) return { retry: false, reason: 'attempts_exhausted' };
    const backoff = s.backoff ? backoffMs(s.backoff, attempt - 1, this.opts.rng, st.backoff) : 0;
    let delay = backoff;
    const ra = s.retryAfter;
    if (ra?.honor) {
      const advice = adviceMs(r, ra.useResetHeaders ?? false);
      if (advice !== undefined && advice >= 0 && Number.isFinite(advice)) {
        if (ra.capMs !== undefined && advice > ra.capMs && !(ra.shorterThanBackoff && advice < backoff)) {
          const beyond = ra.beyondCap ?? 'backoff';
          if (beyond === 'fail') return { retry: false, reason: 'retry_after_too_long' };
          delay = beyond === 'cap' ? ra.capMs : backoff;
        } else {
          delay = ra.combine === 'max' ? Math.max(advice, backoff) : advice;
          if (ra.spreadMs) delay += this.opts.rng.next() * ra.spreadMs;
        }
      }
    }
    if (this.budget) {
      const b = this.budget.tryRetry(r);
      if (!b.ok) return { retry: false, reason: 'budget_exhausted' };
      st.lastRetryCost = b.cost;
    }
    return { retry: true, atMs: now + delay };
  }
}

/** The server's advice in ms: retry-after-ms / retry-after, else (optionally) the reset of the limit the 429 names. */
export function adviceMs(r: AttemptResult, useResetHeaders: boolean): number | undefined {
  if (r.retryAfterMs !== undefined) return r.retryAfterMs;
  if (!useResetHeaders || !r.rateLimit) return undefined;
  if (r.outcome === 'rate_limited_requests') return r.rateLimit.resetRequestsMs;
  if (r.outcome === 'rate_limited_tokens') return r.rateLimit.resetTokensMs;
  const a = r.rateLimit.resetRequestsMs, b = r.rateLimit.resetTokensMs;
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}
