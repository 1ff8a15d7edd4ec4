/**
 * Probe data: stages (what a strategy asks to send), their summaries (what it learns), and
 * findings (what it reports). A strategy is a generator of stages: it yields a Stage, the
 * engine sends it (within the budget and the request cap) and resumes the generator with the
 * StageSummary, until the generator returns its findings.
 */
import type { AttemptResult } from '../exec/ports.js';

export const LIMIT_NAMES = ['rpm', 'burst', 'tpm', 'token_burst', 'token_layer', 'sub_minute', 'context', 'max_output', 'concurrency'] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

/** `--only` groups: each selects the strategies that find these limits. */
export const ONLY_GROUPS = ['rpm', 'burst', 'tpm', 'sub_minute', 'context', 'max_output', 'concurrency'] as const;
export type OnlyGroup = (typeof ONLY_GROUPS)[number];

/**
 * How a value was found:
 * - headers: read from rate-limit headers only (not verified by behaviour);
 * - header-verified: headers, and the measured behaviour agrees (within 5%);
 * - message / message-verified: the provider's error message names it (and one accepted and
 *   one refused request confirm it);
 * - onset: where 429s begin from a full bucket (burst), or where refusals begin with requests in flight (concurrency);
 * - refill: sustained admissions per unit of time after the bucket ran dry (how 429s clear);
 * - bisection: largest accepted / smallest refused value, halving the interval;
 * - derived: computed from other findings (sub-minute window = burst / refill);
 * - undetermined: not found (budget, request cap, or no signal); low/high say what is known.
 */
export type Method = 'headers' | 'header-verified' | 'message' | 'message-verified' | 'onset' | 'refill' | 'bisection' | 'derived' | 'undetermined';

export interface LimitFinding {
  name: LimitName;
  /** Best estimate; undefined when undetermined. */
  value?: number;
  low?: number;
  high?: number;
  method: Method;
  unit: string;
  /** Free text: what disagreed, why it is undetermined, the window's name. */
  note?: string;
  /** What the header said, when it was sent. */
  header?: number;
}

/** One request of a stage. */
export interface StageRequest {
  /** Send at stage start + offsetMs. */
  offsetMs: number;
  promptTokens: number;
  maxTokens: number;
  stream?: boolean;
}

export interface Stage {
  /** Strategy that asked for it (rate-requests, rate-tokens, context, max-output). */
  strategy: string;
  name: string;
  /** Wait this long (virtual or real ms) before the stage starts. */
  waitMs?: number;
  requests: StageRequest[];
  /**
   * At most this many of the probe's requests in flight: a request due while that many are
   * out waits for one to end (then its send time, not its offset, is what the fit reads). The
   * engine sets it to the measured concurrency cap, so rate stages never draw concurrency 429s.
   */
  maxInFlight?: number;
}

export interface ProbeAttempt {
  spec: StageRequest;
  /** Undefined when not sent (cap reached). */
  result?: AttemptResult;
  /** The probe's requests in flight when this one was sent, itself included. */
  inFlightAtSend?: number;
}

export interface StageSummary {
  stage: Stage;
  index: number;
  startMs: number;
  endMs: number;
  attempts: ProbeAttempt[];
  sent: number;
  ok: number;
  rateLimitedRequests: number;
  rateLimitedTokens: number;
  rateLimitedOther: number;
  other: number;
  /** A request was not sent because the budget or the request cap would have been exceeded. */
  capped?: 'budget' | 'requests';
  costUsd: number;
}

/** USD per million tokens. */
export interface Prices {
  inputPerMTokens: number;
  outputPerMTokens: number;
}
