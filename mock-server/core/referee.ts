/**
 * The referee: a per-tenant ledger of what the client did, judged against what the mock told it.
 *
 * Attempts are grouped into retry groups (one logical request and its retries):
 * - with an idempotency key (`idempotency-key` header), attempts with the same key are one group;
 * - else with `x-stainless-retry-count` (official OpenAI/Anthropic SDKs): 0 opens a group, n > 0
 *   joins the latest group with the same fingerprint (tenant + route + body hash);
 * - else an attempt joins the latest group with the same fingerprint when that group's last
 *   attempt failed retryably (429/5xx/529) — identical bodies sent as new requests after a
 *   failure therefore count as retries; send a retry-count or idempotency header to be exact.
 * An attempt in a group whose previous answer advised a retry time (retry-after-ms, else
 * retry-after) and that arrives before it (by more than `toleranceMs`, default 1 ms) is an
 * early retry; how early is recorded.
 * Burst peak: the most attempts of the tenant in any 1 s (sliding, exact).
 *
 * Pure bookkeeping over times passed in; memory is bounded (a fingerprint group is dropped when
 * it succeeds; the rest are kept in insertion order and the oldest dropped past `maxGroups`).
 */

export interface AttemptMeta {
  tenant: string;
  /** Route + body hash (see fingerprint()). */
  fingerprint: string;
  retryCount?: number;
  idempotencyKey?: string;
}

export interface TenantLedger {
  tenant: string;
  requests: number;
  /** Answered 2xx. */
  ok: number;
  /** 429s served for rate limits (any limit, burst and capacity 429s included). */
  rateLimited: number;
  /** 429s that said "never retry" (quota, request too large). */
  quotaOrTooLarge: number;
  /** Other 4xx (validation, auth, not found, body size). */
  clientErrors: number;
  /** 5xx and 529. */
  serverErrors: number;
  retryGroups: number;
  /** Groups with more than one attempt. */
  retriedGroups: number;
  /** Attempts after the first in their group. */
  retries: number;
  maxAttemptsInGroup: number;
  /** Attempts (in a group) that arrived before the advised retry time. */
  earlyRetries: number;
  earlyMsTotal: number;
  earlyMsMax: number;
  /** Retries after an answer that advised no retry time (so nothing to judge). */
  retriesWithoutAdvice: number;
  /** Attempts that came after a "never retry" answer in the same group. */
  retriesAfterFatal: number;
  burstPeak1s: number;
  firstAt: number | undefined;
  lastAt: number | undefined;
}

interface Group {
  /** Its key in the tenant's map ('k:' idempotency key, 'f:' fingerprint). */
  key: string;
  attempts: number;
  /** Clock time before which a retry is early; undefined: no advice. */
  retryAt: number | undefined;
  lastStatus: number;
  fatal: boolean;
}

/** The outcome of one attempt, as the referee needs it. */
export interface AttemptAnswer {
  status: number;
  /** Advised wait in ms (retry-after-ms, else retry-after × 1000); undefined when none was sent. */
  retryAfterMs?: number;
  /** The answer says retrying cannot help (quota, request too large, auth). */
  fatal?: boolean;
}

export function emptyLedger(tenant: string): TenantLedger {
  return {
    tenant,
    requests: 0,
    ok: 0,
    rateLimited: 0,
    quotaOrTooLarge: 0,
    clientErrors: 0,
    serverErrors: 0,
    retryGroups: 0,
    retriedGroups: 0,
    retries: 0,
    maxAttemptsInGroup: 0,
    earlyRetries: 0,
    earlyMsTotal: 0,
    earlyMsMax: 0,
    retriesWithoutAdvice: 0,
    retriesAfterFatal: 0,
    burstPeak1s: 0,
    firstAt: undefined,
    lastAt: undefined,
  };
}

/** FNV-1a over the route and body: a stable request fingerprint. */
export function fingerprint(route: string, body: string): string {
  let h = 0x811c9dc5;
  const s = route + '\n' + body;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16) + ':' + s.length.toString(36);
}

const RETRYABLE = (s: number) => s === 408 || s === 409 || s === 429 || s >= 500;

class TenantBook {
  readonly ledger: TenantLedger;
  private readonly groups = new Map<string, Group>();
  get held(): number {
    return this.groups.size;
  }

  /**
   * Drops the oldest tenth of the groups in one pass. Evicting one at a time from the front made
   * every arrival walk the Map's deleted entries (36 % of CPU two simulated hours in).
   */
  private evictOldest(): void {
    let excess = this.groups.size - Math.floor(this.maxGroups * 0.9);
    for (const k of this.groups.keys()) {
      if (excess-- <= 0) break;
      this.groups.delete(k);
    }
  }
  private readonly window: number[] = [];
  private head = 0;
  constructor(
    tenant: string,
    private readonly maxGroups: number,
    private readonly toleranceMs: number,
  ) {
    this.ledger = emptyLedger(tenant);
  }

  /** Opens or joins the attempt's group; returns it (with the early judgement applied). */
  arrive(now: number, m: AttemptMeta): Group {
    const L = this.ledger;
    L.requests++;
    L.firstAt ??= now;
    L.lastAt = now;
    // Sliding 1 s peak.
    this.window.push(now);
    while (this.window[this.head]! <= now - 1000) this.head++;
    const inWindow = this.window.length - this.head;
    if (inWindow > L.burstPeak1s) L.burstPeak1s = inWindow;
    if (this.head > 4096) {
      this.window.splice(0, this.head);
      this.head = 0;
    }

    const gk = m.idempotencyKey !== undefined ? 'k:' + m.idempotencyKey : 'f:' + m.fingerprint;
    let g = this.groups.get(gk);
    let join: boolean;
    if (m.idempotencyKey !== undefined) join = g !== undefined;
    else if (m.retryCount !== undefined) join = m.retryCount > 0 && g !== undefined;
    else join = g !== undefined && (RETRYABLE(g.lastStatus) || g.fatal);
    if (!join || !g) {
      g = { key: gk, attempts: 1, retryAt: undefined, lastStatus: 0, fatal: false };
      this.groups.delete(gk);
      this.groups.set(gk, g);
      L.retryGroups++;
      if (this.groups.size > this.maxGroups) this.evictOldest();
      if (L.maxAttemptsInGroup < 1) L.maxAttemptsInGroup = 1;
      return g;
    }
    g.attempts++;
    L.retries++;
    if (g.attempts === 2) L.retriedGroups++;
    if (g.attempts > L.maxAttemptsInGroup) L.maxAttemptsInGroup = g.attempts;
    if (g.fatal) L.retriesAfterFatal++;
    else if (g.retryAt === undefined) L.retriesWithoutAdvice++;
    else if (now < g.retryAt - this.toleranceMs) {
      const early = g.retryAt - now;
      L.earlyRetries++;
      L.earlyMsTotal += early;
      if (early > L.earlyMsMax) L.earlyMsMax = early;
    }
    return g;
  }

  answer(now: number, g: Group, a: AttemptAnswer): void {
    const L = this.ledger;
    const s = a.status;
    g.lastStatus = s;
    g.fatal = a.fatal === true;
    g.retryAt = a.retryAfterMs !== undefined ? now + a.retryAfterMs : undefined;
    if (s >= 200 && s < 300) {
      L.ok++;
      // A fingerprint group ends with its success: nothing joins it after a 2xx (joining needs a
      // retryable or fatal last answer), so a healthy run keeps no groups at all. (An SDK retrying
      // a stream cut after its 200 would open a new group: counted as a request, not a retry.)
      // Idempotency-key groups stay: a repeated key is a retry whatever came before.
      if (g.key.charCodeAt(0) === 102 /* f */ && this.groups.get(g.key) === g) this.groups.delete(g.key);
    } else if (s === 429) {
      if (a.fatal) L.quotaOrTooLarge++;
      else L.rateLimited++;
    } else if (s >= 500) L.serverErrors++;
    else if (s >= 400) L.clientErrors++;
  }
}

export interface RefereeHandle {
  /** Records the answer to the attempt that `arrive` opened. */
  answer(a: AttemptAnswer): void;
}

export class Referee {
  private books = new Map<string, TenantBook>();
  /**
   * @param toleranceMs an attempt this close to the advised time is not early (timer granularity:
   *   Node's setTimeout works in whole ms). Default 1.
   */
  constructor(
    private readonly now: () => number,
    private readonly maxGroups = 100_000,
    private readonly toleranceMs = 1,
  ) {}

  /** An attempt arrived: judge it against earlier advice; call `answer` on the handle once its status is known. */
  arrive(m: AttemptMeta): RefereeHandle {
    let b = this.books.get(m.tenant);
    if (!b) {
      b = new TenantBook(m.tenant, this.maxGroups, this.toleranceMs);
      this.books.set(m.tenant, b);
    }
    const book = b;
    const g = book.arrive(this.now(), m);
    let done = false;
    return {
      answer: (a) => {
        if (done) return;
        done = true;
        book.answer(this.now(), g, a);
      },
    };
  }

  /** One attempt, arrival and answer at once (the virtual-time simulator). */
  record(m: AttemptMeta, a: AttemptAnswer): void {
    this.arrive(m).answer(a);
  }

  /** Retry groups held in memory, all tenants (diagnostics: a healthy run holds none). */
  heldGroups(): number {
    let n = 0;
    for (const b of this.books.values()) n += b.held;
    return n;
  }

  /** Copies of the per-tenant ledgers, by tenant. */
  ledger(): Record<string, TenantLedger> {
    const out: Record<string, TenantLedger> = {};
    for (const [k, b] of this.books) out[k] = { ...b.ledger };
    return out;
  }

  reset(): void {
    this.books = new Map();
  }
}

/** referee.csv columns, in order (snake_case; ms values rounded to 0.1 ms; empty = not applicable). */
export const REFEREE_COLUMNS = [
  'tenant',
  'requests',
  'ok',
  'rate_limited',
  'quota_or_too_large',
  'client_errors',
  'server_errors',
  'retry_groups',
  'retried_groups',
  'retries',
  'max_attempts_in_group',
  'early_retries',
  'early_ms_mean',
  'early_ms_max',
  'retries_without_advice',
  'retries_after_fatal',
  'burst_peak_1s',
  'first_ms',
  'last_ms',
] as const;
export type RefereeColumn = (typeof REFEREE_COLUMNS)[number];
export type RefereeRow = Record<RefereeColumn, string | number>;

const r1 = (x: number) => Math.round(x * 10) / 10;

/** One row per tenant (sorted by tenant), values keyed by REFEREE_COLUMNS. Pure. */
export function refereeRows(ledger: Record<string, TenantLedger> | readonly TenantLedger[]): RefereeRow[] {
  const list = Array.isArray(ledger) ? [...ledger] : Object.values(ledger);
  list.sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
  return list.map((l) => ({
    tenant: l.tenant,
    requests: l.requests,
    ok: l.ok,
    rate_limited: l.rateLimited,
    quota_or_too_large: l.quotaOrTooLarge,
    client_errors: l.clientErrors,
    server_errors: l.serverErrors,
    retry_groups: l.retryGroups,
    retried_groups: l.retriedGroups,
    retries: l.retries,
    max_attempts_in_group: l.maxAttemptsInGroup,
    early_retries: l.earlyRetries,
    early_ms_mean: l.earlyRetries > 0 ? r1(l.earlyMsTotal / l.earlyRetries) : '',
    early_ms_max: l.earlyRetries > 0 ? r1(l.earlyMsMax) : '',
    retries_without_advice: l.retriesWithoutAdvice,
    retries_after_fatal: l.retriesAfterFatal,
    burst_peak_1s: l.burstPeak1s,
    first_ms: l.firstAt === undefined ? '' : r1(l.firstAt),
    last_ms: l.lastAt === undefined ? '' : r1(l.lastAt),
  }));
}

/** referee.csv as text (header + rows; no value needs quoting except tenant names, which are quoted when needed). */
export function refereeCsv(ledger: Record<string, TenantLedger> | readonly TenantLedger[]): string {
  const q = (v: string | number) => {
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [REFEREE_COLUMNS.join(',')];
  for (const row of refereeRows(ledger)) lines.push(REFEREE_COLUMNS.map((c) => q(row[c])).join(','));
  return lines.join('\n') + '\n';
}
