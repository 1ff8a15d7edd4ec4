/**
 * The memory LimiterStore: the §1.4 scripts in JS over a Map, synchronous inside (the async
 * methods only wrap). It is the Redis store's conformance twin and the mock's insurance store in
 * `open-local` failure mode. Time: `op.now` when given, else the injected clock (µs).
 */
import { dimParams, refill, toFull, type DimParams } from './arith.js';
import type { AdmitOp, DimResult, LimiterStore, SettleOp, StoreDecision, StoreDim, StoreOutcome } from './types.js';

interface Field {
  L: number;
  t: number;
  pp: number;
}

interface Reservation {
  deadline: number;
  debits: number[];
}

export interface MemoryLimiterStoreOptions {
  /** Current time in µs. Default: performance.timeOrigin + performance.now(), in µs. */
  nowUs?: () => number;
}

const defaultNow = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

export class MemoryLimiterStore implements LimiterStore {
  readonly kind = 'memory' as const;
  readonly name = 'memory';
  private readonly buckets = new Map<string, Map<string, Field>>();
  private readonly reservations = new Map<string, Reservation>();
  private readonly nowUs: () => number;
  private sweepCountdown = 4096;

  constructor(opts: MemoryLimiterStoreOptions = {}) {
    this.nowUs = opts.nowUs ?? defaultNow;
  }

  admit(op: AdmitOp): Promise<StoreDecision> {
    return Promise.resolve(this.admitSync(op));
  }

  settle(op: SettleOp): Promise<StoreDecision> {
    return Promise.resolve(this.settleSync(op));
  }

  admitSync(op: AdmitOp): StoreDecision {
    const now = op.now ?? this.nowUs();
    if (--this.sweepCountdown <= 0) this.sweep(now);
    const h = this.buckets.get(op.key);
    const ps: DimParams[] = [];
    const Ls: number[] = [];
    const ts: number[] = [];
    let tooLarge = false;
    let deny = false;
    const out: DimResult[] = [];
    let retry = 0;
    for (const d of op.dims) {
      const p = dimParams(d.limit, d.windowMs, d.capacity);
      const f = h?.get(d.field);
      const r = refill(p, f?.L, f?.t, f?.pp, now);
      ps.push(p);
      Ls.push(r.L);
      ts.push(r.t);
      const need = (d.check ?? 0) * p.pp;
      if (d.tokens && need > p.full) tooLarge = true;
      let waitUs = 0;
      if (need > r.L) {
        deny = true;
        waitUs = Math.ceil((need - r.L) / p.cp);
        if (waitUs > retry) retry = waitUs;
      }
      out.push({ level: 0, pp: p.pp, toFullUs: 0, ok: waitUs === 0 && need <= r.L, waitUs });
    }
    let outcome: StoreOutcome;
    let write = false;
    if (tooLarge || deny) {
      outcome = tooLarge ? 'too_large' : 'deny';
      if (op.rejectedCount) {
        write = true;
        op.dims.forEach((d, i) => {
          if (d.requests && Ls[i]! > 0) Ls[i] = Math.max(0, Ls[i]! - ps[i]!.pp);
        });
      }
    } else {
      outcome = 'allow';
      write = true;
      const debits = op.dims.map((d, i) => (d.debit ?? d.check ?? 0) * ps[i]!.pp);
      debits.forEach((x, i) => (Ls[i] = Ls[i]! - x));
      if (op.reservation) this.reservations.set(op.reservation.key, { deadline: now + op.reservation.ttlMs * 1000, debits: op.dims.map((d) => d.debit ?? d.check ?? 0) });
    }
    if (write) this.write(op.key, op.dims, ps, Ls, ts);
    out.forEach((o, i) => {
      o.level = Ls[i]!;
      o.toFullUs = toFull(ps[i]!, Ls[i]!);
    });
    return { outcome, nowUs: now, retryAfterUs: retry, dims: out };
  }

  settleSync(op: SettleOp): StoreDecision {
    const now = op.now ?? this.nowUs();
    const h = this.buckets.get(op.key);
    const ps = op.dims.map((d) => dimParams(d.limit, d.windowMs, d.capacity));
    const Ls: number[] = [];
    const ts: number[] = [];
    op.dims.forEach((d, i) => {
      const f = h?.get(d.field);
      const r = refill(ps[i]!, f?.L, f?.t, f?.pp, now);
      Ls.push(r.L);
      ts.push(r.t);
    });
    const res = this.reservations.get(op.reservationKey);
    let outcome: StoreOutcome;
    if (!res) outcome = 'unknown';
    else if (now > res.deadline) {
      this.reservations.delete(op.reservationKey);
      outcome = 'expired';
    } else {
      this.reservations.delete(op.reservationKey);
      outcome = 'settled';
      op.dims.forEach((d, i) => {
        if (d.actual === undefined) return;
        const delta = ((res.debits[i] ?? 0) - d.actual) * ps[i]!.pp;
        let L = Ls[i]! + delta;
        if (delta > 0 && L > ps[i]!.full) L = ps[i]!.full;
        Ls[i] = L;
      });
      this.write(op.key, op.dims, ps, Ls, ts);
    }
    const dims = op.dims.map((_, i): DimResult => ({ level: Ls[i]!, pp: ps[i]!.pp, toFullUs: toFull(ps[i]!, Ls[i]!), ok: true, waitUs: 0 }));
    return { outcome, nowUs: now, retryAfterUs: 0, dims };
  }

  private write(key: string, dims: readonly StoreDim[], ps: DimParams[], Ls: number[], ts: number[]): void {
    let h = this.buckets.get(key);
    if (!h) this.buckets.set(key, (h = new Map()));
    dims.forEach((d, i) => h.set(d.field, { L: Ls[i]!, t: ts[i]!, pp: ps[i]!.pp }));
  }

  /** Drops reservations past their deadline (no refund: the charge stands). */
  private sweep(now: number): void {
    this.sweepCountdown = 4096;
    for (const [k, r] of this.reservations) if (now > r.deadline) this.reservations.delete(k);
  }

  /** Reservations held (tests). */
  get reservationCount(): number {
    return this.reservations.size;
  }

  clear(): Promise<void> {
    this.buckets.clear();
    this.reservations.clear();
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
