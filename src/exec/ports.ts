/**
 * The executor's ports. The executor only schedules: it turns planned requests into calls of
 * `Dispatch` at the planned times and hands every finished attempt to the `Recorder`. It
 * knows nothing of HTTP, the mock or reports (those are the adapters on the other side).
 */
import type { AttemptRecord } from '../metrics/record.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** One request of the plan, fully decided in advance (deterministic by seed). */
export interface PlannedRequest {
  requestId: number;
  group: string;
  phase: string;
  /** Planned start, ms from run start (open loop); for closed loop, set when issued. */
  targetedStartMs: number;
  model: string;
  messages: ChatMessage[];
  /** Exact token count of the prompt in the model's encoding (our estimate). */
  promptTokens: number;
  maxTokens: number;
  stream: boolean;
}

/** What one dispatched attempt produced. Failures of the target are outcomes, never throws. */
export type AttemptResult = Omit<AttemptRecord, 'requestId' | 'attempt' | 'group' | 'phase' | 'targetedStartMs'>;

/** Sends one attempt of a request. Must not throw for target failures. */
export interface Dispatch {
  send(req: PlannedRequest, attempt: number, signal: AbortSignal): Promise<AttemptResult>;
  /**
   * Clients that retry on their own (the official SDKs, a user's module): one call per request;
   * every HTTP attempt is reported through `onAttempt` as it finishes (attempt numbers from 1).
   * When present the executor calls this instead of `send`, and no RetryPort applies.
   */
  sendWithOwnRetries?(req: PlannedRequest, signal: AbortSignal, onAttempt: (attempt: number, result: AttemptResult) => void): Promise<void>;
  close?(): Promise<void>;
}

/**
 * Client-side retry and pacing, consulted around every attempt (optional; absent: one attempt
 * per request, as before). Implementations live in client/retry.
 */
export interface RetryPort {
  /**
   * Before each attempt: `go` at `atMs` (≥ now; capacity is reserved for it, so the executor
   * sends then without asking again), or `reject` (client-side throttling: never sent; the
   * request ends, recorded as `dropped` with the reason as error_code).
   */
  beforeSend(req: PlannedRequest, attempt: number, nowMs: number): SendGate;
  /** After each attempt (its record already written): retry at `atMs`, or stop. */
  afterAttempt(req: PlannedRequest, attempt: number, result: AttemptResult, nowMs: number): RetryVerdict;
}

export type SendGate = { kind: 'go'; atMs: number } | { kind: 'reject'; reason: string };
export type RetryVerdict = { retry: true; atMs: number } | { retry: false; reason: string };

export interface Recorder {
  record(rec: AttemptRecord): void;
}

export type RunEvent =
  | { type: 'phase-start'; phase: string; atMs: number }
  | { type: 'phase-end'; phase: string; atMs: number }
  | { type: 'attempt'; record: AttemptRecord };

/** The part of a plan the executor needs (structurally satisfied by plan/'s Plan). */
export interface ExecSlot {
  atMs: number;
  group: number;
  seq: number;
}

export interface ExecGroupPhase {
  group: number;
  /** Closed loop: this group's workers. */
  concurrency?: number;
}

export interface ExecPhase {
  name: string;
  index: number;
  startMs: number;
  durationMs: number;
  kind: 'open' | 'closed';
  concurrency?: number;
  /** Absolute planned start times (ms from run start), ascending. */
  arrivals?: () => Iterable<number>;
  /** The same arrivals tagged with their client group; preferred when present. */
  slots?: () => Iterable<ExecSlot>;
  /** Closed loop: workers per group (else `concurrency` workers of the default group). */
  groups?: readonly ExecGroupPhase[];
  /** Closed loop: stop issuing after this many requests (open loop: the schedule stops itself). */
  maxRequests?: number;
  /** Closed loop: the phase ends when its maxRequests are done; later phases move by the difference. */
  endsWhenDone?: boolean;
  /** Closed loop: a worker's pause after request `requestId` finished. */
  thinkTimeMs?: (requestId: number) => number;
}

export interface ExecPlan {
  phases: readonly ExecPhase[];
  totalDurationMs: number;
  makeRequest(requestId: number, phase: ExecPhase, targetedStartMs: number, slot?: { group: number; seq: number }): PlannedRequest;
}
