/**
 * The retry scorecard: how well one client policy did on a fixed batch, per client group and
 * in total, from the attempt records (streamed in as they finish) and, when the target is the
 * mock, the referee's ledger. Definitions (retry-anchors.md §4, M1–M12):
 *
 * - a logical request (LR) is a requestId; its final attempt is its last one;
 * - success ratio = LRs whose final attempt was ok / LRs;
 * - goodput = output tokens of successful LRs per minute of makespan;
 * - attempts per success = attempts sent / successful LRs (retry amplification; 1 is ideal);
 * - 429 rate = rate-limited attempts / attempts sent;
 * - makespan = last final end − first planned send; its lower bound under the limits is
 *   max(0, (N − RPM·b)/RPM, (T − TPM·b)/TPM) minutes, where b = the buckets' depth in minutes
 *   (1: a full minute's burst is free at the start; 1/60 under per-second enforcement, which
 *   banks only one second), N = LRs, T = prompt + completion tokens of the successful LRs (the
 *   provider refunds unused max_tokens), plus the mean latency of an ok attempt (the last one
 *   must be served);
 * - response time per successful LR = final end − first planned send (retry waits, pacing
 *   and queueing included: no coordinated omission); p50/p95/p99 exact;
 * - early retries (own records): a retry sent before the moment the previous attempt's
 *   response arrived (its headers: first byte, else its end) + its advised retry-after; how
 *   early = that difference. A client may start waiting as soon as it has the headers (the
 *   openai SDK does, and cancels the body), so the body's end would be too late a reference.
 *   Within 1 ms is on time (timer granularity,
 *   as the referee). The referee's count is the server's view;
 * - wasted tokens = tokens charged but not delivered: prompt (+ reported completion) tokens of
 *   attempts admitted but not completed (timeouts, aborted or broken streams, 5xx after
 *   admission); rejected prompt tokens = prompt tokens carried by rejected attempts (429, 5xx
 *   before admission: charged only where the provider counts failed requests);
 * - Jain's fairness index over the groups' goodput: (Σx)² / (n·Σx²), 1 = equal shares;
 * - retry ratio = retries / first attempts; budget ok when ≤ 10 % (SRE);
 * - cost (the ranking, lower is better) = makespan / lower bound + (attempts per LR − 1)
 *   + 100 × (1 − success ratio) + early-retry fraction. A lost request weighs heavily: 1 % of
 *   the batch lost costs as much as doubling the makespan, so a policy that gives up early
 *   (and so finishes early) never outranks one that completes the batch.
 */
import type { AttemptRecord } from './record.js';

/**
 * A retry this close to its advised time is not early: Node timers fire on libuv's
 * millisecond loop clock and can run up to 1 ms before the requested delay by a
 * performance.now() clock. The mock's referee uses the same tolerance.
 */
const EARLY_TOLERANCE_MS = 1;
/** Cost of losing the whole batch, in makespan ratios (see the cost definition above). */
const LOST_REQUEST_WEIGHT = 100;

export interface ScorecardLimits {
  rpm?: number;
  tpm?: number;
  /** Seconds of refill a bucket holds: 60 (per-minute buckets, the default), 1 or 10 under sub-minute enforcement. */
  bankSeconds?: number;
}

/** The referee's early-retry view (tenant ledger fields) for a group or the total. */
export interface RefereeView {
  retries: number;
  earlyRetries: number;
  earlyMsTotal: number;
  earlyMsMax: number;
}

export interface ScoreRow {
  policy: string;
  group: string;
  requests: number;
  successes: number;
  successRatio: number;
  attempts: number;
  attemptsPerSuccess: number;
  retries: number;
  rateLimited: number;
  rate429: number;
  /** LRs that ended failed, by the final attempt's outcome. */
  failed: number;
  makespanMs: number;
  minMakespanMs?: number;
  makespanRatio?: number;
  goodputTokensPerMin: number;
  goodputRequestsPerMin: number;
  responseP50Ms?: number;
  responseP95Ms?: number;
  responseP99Ms?: number;
  earlyRetries: number;
  earlyMsMean?: number;
  earlyMsMax?: number;
  refereeEarlyRetries?: number;
  refereeEarlyMsMean?: number;
  refereeEarlyMsMax?: number;
  wastedTokens: number;
  rejectedPromptTokens: number;
  retryRatio: number;
  budgetOk: boolean;
  /** Total row only: Jain's index over the groups' goodput. */
  jain?: number;
  cost?: number;
}

interface Lr {
  group: string;
  first: number;
  attempts: number;
  lastOutcome: string;
  lastEnd: number;
  /** Previous attempt's end + its advice (undefined: no advice). */
  advisedAt?: number;
  okOutput: number;
  okTokens: number;
}

interface Acc {
  attempts: number;
  rateLimited: number;
  retries: number;
  firstAttempts: number;
  early: number;
  earlyMsTotal: number;
  earlyMsMax: number;
  wasted: number;
  rejectedPrompt: number;
  okLatencyTotal: number;
  okLatencyN: number;
}

const emptyAcc = (): Acc => ({ attempts: 0, rateLimited: 0, retries: 0, firstAttempts: 0, early: 0, earlyMsTotal: 0, earlyMsMax: 0, wasted: 0, rejectedPrompt: 0, okLatencyTotal: 0, okLatencyN: 0 });

const RATE_LIMITED = new Set(['rate_limited_requests', 'rate_limited_tokens', 'rate_limited_other']);

export class ScorecardBuilder {
  private readonly lrs = new Map<number, Lr>();
  private readonly accs = new Map<string, Acc>();

  constructor(private readonly opts: { limits?: ScorecardLimits; budgetRatio?: number } = {}) {}

  private acc(g: string): Acc {
    let a = this.accs.get(g);
    if (!a) this.accs.set(g, (a = emptyAcc()));
    return a;
  }

  record(r: AttemptRecord): void {
    const a = this.acc(r.group);
    let lr = this.lrs.get(r.requestId);
    if (!lr) {
      lr = { group: r.group, first: r.firstTargetedStartMs ?? r.targetedStartMs, attempts: 0, lastOutcome: r.outcome, lastEnd: r.endMs, okOutput: 0, okTokens: 0 };
      this.lrs.set(r.requestId, lr);
    }
    if (r.firstTargetedStartMs !== undefined) lr.first = Math.min(lr.first, r.firstTargetedStartMs);
    const sent = r.outcome !== 'dropped' && r.startMs !== undefined;
    if (sent) {
      a.attempts++;
      lr.attempts++;
      if (r.attempt === 1) a.firstAttempts++;
      else {
        a.retries++;
        if (lr.advisedAt !== undefined && r.startMs! < lr.advisedAt - EARLY_TOLERANCE_MS) {
          const e = lr.advisedAt - r.startMs!;
          a.early++;
          a.earlyMsTotal += e;
          if (e > a.earlyMsMax) a.earlyMsMax = e;
        }
      }
    }
    lr.lastOutcome = r.outcome;
    lr.lastEnd = r.endMs;
    lr.advisedAt = r.retryAfterMs !== undefined ? (r.firstByteMs ?? r.endMs) + r.retryAfterMs : undefined;
    if (RATE_LIMITED.has(r.outcome)) {
      a.rateLimited++;
      a.rejectedPrompt += r.promptTokensEstimate;
    } else if (r.outcome === 'ok') {
      lr.okOutput = r.completionTokens ?? 0;
      lr.okTokens = (r.promptTokens ?? r.promptTokensEstimate) + (r.completionTokens ?? 0);
      if (r.startMs !== undefined) {
        a.okLatencyTotal += r.endMs - r.startMs;
        a.okLatencyN++;
      }
    } else if (sent) {
      // Admitted and then lost (timeout, broken stream, 5xx mid-response) vs rejected before admission.
      const admitted = r.outcome === 'timeout' || (r.outcome === 'network_error' && r.firstByteMs !== undefined) || (r.status !== undefined && r.status < 300);
      if (admitted) a.wasted += (r.promptTokens ?? r.promptTokensEstimate) + (r.completionTokens ?? 0);
      else a.rejectedPrompt += r.promptTokensEstimate;
    }
  }

  /** One row per group (sorted) and a total row (group "total"). */
  rows(policy: string, referee?: { total?: RefereeView; byGroup?: Record<string, RefereeView> }): ScoreRow[] {
    const byGroup = new Map<string, Lr[]>();
    for (const lr of this.lrs.values()) {
      let l = byGroup.get(lr.group);
      if (!l) byGroup.set(lr.group, (l = []));
      l.push(lr);
    }
    const groups = [...byGroup.keys()].sort();
    const rows = groups.map((g) => this.row(policy, g, byGroup.get(g)!, [this.acc(g)], referee?.byGroup?.[g]));
    const total = this.row(policy, 'total', [...this.lrs.values()], groups.map((g) => this.acc(g)), referee?.total);
    const L = this.opts.limits;
    if (L?.rpm || L?.tpm) {
      const n = total.requests;
      let T = 0;
      for (const lr of this.lrs.values()) T += lr.okTokens;
      const accAll = groups.map((g) => this.acc(g));
      const latN = accAll.reduce((s, a) => s + a.okLatencyN, 0);
      const lat = latN > 0 ? accAll.reduce((s, a) => s + a.okLatencyTotal, 0) / latN : 0;
      const b = (L.bankSeconds ?? 60) / 60;
      const minutes = Math.max(0, L.rpm ? (n - L.rpm * b) / L.rpm : 0, L.tpm ? (T - L.tpm * b) / L.tpm : 0);
      const min = minutes * 60_000 + lat;
      for (const r of [...rows, total]) {
        r.minMakespanMs = min;
        r.makespanRatio = min > 0 ? r.makespanMs / min : undefined;
      }
    }
    if (rows.length > 0) {
      const x = rows.map((r) => r.goodputTokensPerMin);
      const s = x.reduce((a, b) => a + b, 0);
      const s2 = x.reduce((a, b) => a + b * b, 0);
      total.jain = s2 > 0 ? (s * s) / (x.length * s2) : undefined;
    }
    for (const r of [...rows, total]) {
      const earlyFrac = r.retries > 0 ? (r.refereeEarlyRetries ?? r.earlyRetries) / r.retries : 0;
      r.cost = (r.makespanRatio ?? 1) + (r.requests > 0 ? r.attempts / r.requests - 1 : 0) + LOST_REQUEST_WEIGHT * (1 - r.successRatio) + earlyFrac;
    }
    return [...rows, total];
  }

  private row(policy: string, group: string, lrs: Lr[], accs: Acc[], ref: RefereeView | undefined): ScoreRow {
    const sum = (f: (a: Acc) => number) => accs.reduce((s, a) => s + f(a), 0);
    let first = Infinity, last = -Infinity, successes = 0, out = 0;
    const rts: number[] = [];
    for (const lr of lrs) {
      if (lr.first < first) first = lr.first;
      if (lr.lastEnd > last) last = lr.lastEnd;
      if (lr.lastOutcome === 'ok') {
        successes++;
        out += lr.okOutput;
        rts.push(lr.lastEnd - lr.first);
      }
    }
    rts.sort((a, b) => a - b);
    const pct = (p: number) => (rts.length ? rts[Math.min(rts.length - 1, Math.ceil((p / 100) * rts.length) - 1)] : undefined);
    const makespan = lrs.length ? Math.max(0, last - first) : 0;
    const attempts = sum((a) => a.attempts);
    const retries = sum((a) => a.retries);
    const firstAttempts = sum((a) => a.firstAttempts);
    const early = sum((a) => a.early);
    const minutes = makespan / 60_000;
    const retryRatio = firstAttempts > 0 ? retries / firstAttempts : 0;
    const row: ScoreRow = {
      policy,
      group,
      requests: lrs.length,
      successes,
      successRatio: lrs.length ? successes / lrs.length : 0,
      attempts,
      attemptsPerSuccess: successes ? attempts / successes : Infinity,
      retries,
      rateLimited: sum((a) => a.rateLimited),
      rate429: attempts ? sum((a) => a.rateLimited) / attempts : 0,
      failed: lrs.length - successes,
      makespanMs: makespan,
      goodputTokensPerMin: minutes > 0 ? out / minutes : 0,
      goodputRequestsPerMin: minutes > 0 ? successes / minutes : 0,
      earlyRetries: early,
      wastedTokens: sum((a) => a.wasted),
      rejectedPromptTokens: sum((a) => a.rejectedPrompt),
      retryRatio,
      budgetOk: retryRatio <= (this.opts.budgetRatio ?? 0.1),
    };
    const p50 = pct(50), p95 = pct(95), p99 = pct(99);
    if (p50 !== undefined) row.responseP50Ms = p50;
    if (p95 !== undefined) row.responseP95Ms = p95;
    if (p99 !== undefined) row.responseP99Ms = p99;
    if (early > 0) {
      row.earlyMsMean = sum((a) => a.earlyMsTotal) / early;
      row.earlyMsMax = Math.max(...accs.map((a) => a.earlyMsMax));
    }
    if (ref) {
      row.refereeEarlyRetries = ref.earlyRetries;
      if (ref.earlyRetries > 0) {
        row.refereeEarlyMsMean = ref.earlyMsTotal / ref.earlyRetries;
        row.refereeEarlyMsMax = ref.earlyMsMax;
      }
    }
    return row;
  }
}

/** policies.csv columns, in order (snake_case), with how each is read off a row. */
export const SCORECARD_COLUMNS: readonly [string, (r: ScoreRow) => number | string | boolean | undefined][] = [
  ['policy', (r) => r.policy],
  ['group', (r) => r.group],
  ['requests', (r) => r.requests],
  ['successes', (r) => r.successes],
  ['success_ratio', (r) => round(r.successRatio, 4)],
  ['attempts', (r) => r.attempts],
  ['attempts_per_success', (r) => (Number.isFinite(r.attemptsPerSuccess) ? round(r.attemptsPerSuccess, 3) : undefined)],
  ['retries', (r) => r.retries],
  ['rate_limited', (r) => r.rateLimited],
  ['rate_429', (r) => round(r.rate429, 4)],
  ['failed', (r) => r.failed],
  ['makespan_ms', (r) => round(r.makespanMs, 1)],
  ['min_makespan_ms', (r) => round(r.minMakespanMs, 1)],
  ['makespan_ratio', (r) => round(r.makespanRatio, 3)],
  ['goodput_tokens_per_min', (r) => round(r.goodputTokensPerMin, 1)],
  ['goodput_requests_per_min', (r) => round(r.goodputRequestsPerMin, 2)],
  ['response_p50_ms', (r) => round(r.responseP50Ms, 1)],
  ['response_p95_ms', (r) => round(r.responseP95Ms, 1)],
  ['response_p99_ms', (r) => round(r.responseP99Ms, 1)],
  ['early_retries', (r) => r.earlyRetries],
  ['early_ms_mean', (r) => round(r.earlyMsMean, 1)],
  ['early_ms_max', (r) => round(r.earlyMsMax, 1)],
  ['referee_early_retries', (r) => r.refereeEarlyRetries],
  ['referee_early_ms_mean', (r) => round(r.refereeEarlyMsMean, 1)],
  ['referee_early_ms_max', (r) => round(r.refereeEarlyMsMax, 1)],
  ['wasted_tokens', (r) => r.wastedTokens],
  ['rejected_prompt_tokens', (r) => r.rejectedPromptTokens],
  ['retry_ratio', (r) => round(r.retryRatio, 4)],
  ['budget_ok', (r) => r.budgetOk],
  ['jain', (r) => round(r.jain, 4)],
  ['cost', (r) => round(r.cost, 3)],
];

function round(v: number | undefined, d: number): number | undefined {
  if (v === undefined || !Number.isFinite(v)) return undefined;
  const f = 10 ** d;
  return Math.round(v * f) / f;
}

/** policies.csv text: header + rows (no value needs quoting except policy/group names, quoted when needed). */
export function scorecardCsv(rows: readonly ScoreRow[]): string {
  const q = (v: unknown) => {
    if (v === undefined) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [SCORECARD_COLUMNS.map(([c]) => c).join(',')];
  for (const r of rows) lines.push(SCORECARD_COLUMNS.map(([, f]) => q(f(r))).join(','));
  return lines.join('\n') + '\n';
}

/** Total rows ranked by cost (lower first), ties by makespan. */
export function rankPolicies(rows: readonly ScoreRow[]): ScoreRow[] {
  return rows.filter((r) => r.group === 'total').sort((a, b) => (a.cost ?? 0) - (b.cost ?? 0) || a.makespanMs - b.makespanMs);
}

/** The ranked console table. */
export function scorecardTable(rows: readonly ScoreRow[]): string {
  const ranked = rankPolicies(rows);
  const head = ['#', 'policy', 'success', 'makespan s', '× min', 'attempts/LR', '429 rate', 'p95 rt s', 'early', 'goodput tok/min', 'jain', 'cost'];
  const body = ranked.map((r, i) => [
    String(i + 1),
    r.policy,
    (r.successRatio * 100).toFixed(1) + '%',
    (r.makespanMs / 1000).toFixed(1),
    r.makespanRatio !== undefined ? r.makespanRatio.toFixed(2) : '',
    r.requests ? (r.attempts / r.requests).toFixed(2) : '',
    (r.rate429 * 100).toFixed(1) + '%',
    r.responseP95Ms !== undefined ? (r.responseP95Ms / 1000).toFixed(1) : '',
    String(r.refereeEarlyRetries ?? r.earlyRetries),
    Math.round(r.goodputTokensPerMin).toLocaleString('en-US'),
    r.jain !== undefined ? r.jain.toFixed(3) : '',
    r.cost !== undefined ? r.cost.toFixed(2) : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i <= 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}
