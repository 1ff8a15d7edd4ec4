/**
 * Probe strategies: generators of stages. Each yields a Stage, receives its StageSummary,
 * and chooses the next (ramp, then refill cycles, then bisection), returning its findings.
 *
 * Rate limits are modelled as a token bucket per dimension (requests, tokens): capacity B
 * (the burst), refill r per ms (the rate). Starting full at t0, with admitted costs A by the
 * instant t* of the last refusal of the depletion, level(t*) = B + r·(t* − t0) − A ∈ [0, c*)
 * (c* = the refused request's cost), so B ∈ [A − r·Δt, A − r·Δt + c*). Refill cycles: from a
 * refusal at t1 (level in [0, c1)) to the last refusal at t2 (level in [0, c2)), the admitted
 * costs S in (t1, t2] satisfy r·(t2 − t1) ∈ (S − c1, S + c2), provided the bucket never fills
 * in between (each wait keeps r·T well under B). A sub-minute layer (RPS = RPM/60) behaves
 * exactly as a bucket of capacity RPM/60 with the same refill, so it shows as the window
 * B/r: ≈1 s per second, ≈10 s per 10 s, ≈60 s per minute.
 */
import type { AttemptResult } from '../exec/ports.js';
import type { RateLimitHeaders } from '../metrics/record.js';
import { fitBucket, sortEvents, type BucketFit } from './fit.js';
import type { LimitFinding, Stage, StageRequest, StageSummary } from './types.js';

export type ProbeGen = Generator<Stage, LimitFinding[], StageSummary>;

/** What earlier strategies learned, for later ones. */
export interface Knowledge {
  headers?: RateLimitHeaders;
  /** Requests bucket: refill per ms and capacity (best estimates). */
  requests?: { rPerMs: number; burst: number };
  tokens?: { rPerMs: number; burst: number };
  concurrency?: number;
  /** Median latency (ms) of a 1-token request, measured when a concurrency cap was found: cap / latency is the fastest a client can send. */
  latencyMs?: number;
  /** Largest prompt accepted with max_tokens 1. */
  maxPrompt?: number;
  /** Requests the probe may still send / USD left (updated by the engine before each stage). */
  requestsLeft: number;
  usdLeft: number;
  /** Worst-case USD of one request. */
  costOf: (promptTokens: number, maxTokens: number) => number;
  /** Timing slack of the bucket fit (ms): 0 in virtual time, a few ms live (send → arrival jitter). */
  slackMs?: number;
}

type Dim = 'requests' | 'tokens';

const single = (promptTokens: number, maxTokens: number): StageRequest[] => [{ offsetMs: 0, promptTokens, maxTokens }];
const flood = (n: number, promptTokens: number, maxTokens = 1): StageRequest[] => Array.from({ length: n }, () => ({ offsetMs: 0, promptTokens, maxTokens }));

export const tooLarge = (r: AttemptResult | undefined) => r?.errorCode === 'request_too_large';
function refusedIn(dim: Dim, r: AttemptResult | undefined): boolean {
  if (!r || tooLarge(r)) return false;
  if (r.outcome === 'rate_limited_other') return true;
  return dim === 'requests' ? r.outcome === 'rate_limited_requests' : r.outcome === 'rate_limited_tokens';
}

interface Ev {
  t: number;
  cost: number;
  admitted: boolean;
  refused: boolean;
  /** The probe's requests in flight when it was sent (itself included). */
  inFlight?: number;
}

export interface AddResult {
  admitted: number;
  refused: number;
  tooLarge: number;
  otherRefused: number;
  /** Request refusals sent with more in flight than the concurrency cap: not evidence about the bucket. */
  concurrency: number;
  /** Answers refusing the prompt as longer than the context window, and the limit their message names. */
  context: number;
  contextLimit?: number;
}

/** Admission events of one dimension, and the bucket arithmetic over them. */
class Tracker {
  ev: Ev[] = [];
  t0: number | undefined;
  depletionEnd: number | undefined;
  /** Latencies (end − start, ms) of admitted requests. */
  latencies: number[] = [];
  /** The concurrency cap, when known: a refusal sent with more than this in flight may be the cap's. */
  cap: number | undefined;
  constructor(private readonly dim: Dim) {}
  add(s: StageSummary, costOf: (spec: StageRequest) => number): AddResult {
    const out: AddResult = { admitted: 0, refused: 0, tooLarge: 0, otherRefused: 0, concurrency: 0, context: 0 };
    for (const a of s.attempts) {
      const r = a.result;
      if (!r || r.startMs === undefined) continue;
      const c = costOf(a.spec);
      if (r.outcome === 'ok' || (r.status === undefined && r.firstByteMs !== undefined)) {
        this.ev.push({ t: r.startMs, cost: c, admitted: true, refused: false, ...(a.inFlightAtSend !== undefined ? { inFlight: a.inFlightAtSend } : {}) });
        out.admitted += c;
        if (r.outcome === 'ok') this.latencies.push(r.endMs - r.startMs);
        if (this.t0 === undefined) this.t0 = r.startMs;
      } else if (refusedIn(this.dim, r)) {
        if (this.dim === 'requests' && this.cap !== undefined && (a.inFlightAtSend ?? 0) > this.cap) {
          out.concurrency++;
          continue;
        }
        this.ev.push({ t: r.startMs, cost: c, admitted: false, refused: true, ...(a.inFlightAtSend !== undefined ? { inFlight: a.inFlightAtSend } : {}) });
        out.refused++;
      } else if (tooLarge(r)) out.tooLarge++;
      else if (r.outcome.startsWith('rate_limited')) out.otherRefused++;
      else if (isContextRefusal(r)) {
        out.context++;
        const n = limitFromMessage('context', r.errorMessage);
        if (n !== undefined) out.contextLimit = Math.min(out.contextLimit ?? Infinity, n);
      }
    }
    // Same instant: admissions first (the server admits in arrival order; a flood's refusals follow its admissions).
    this.ev.sort((a, b) => a.t - b.t || Number(a.refused) - Number(b.refused));
    return out;
  }
  /**
   * The concurrency cap became known: refusals sent with more than `cap` requests in flight
   * may have been the cap's, not the bucket's; they are dropped (admissions all stay).
   */
  setCap(cap: number): number {
    this.cap = cap;
    const before = this.ev.length;
    this.ev = this.ev.filter((e) => !(e.refused && (e.inFlight ?? 0) > cap));
    return before - this.ev.length;
  }
  /** Median latency of admitted requests (ms), or undefined. */
  medianLatency(): number | undefined {
    if (!this.latencies.length) return undefined;
    const l = [...this.latencies].sort((a, b) => a - b);
    return l[Math.floor(l.length / 2)];
  }
  lastRefusal(): Ev | undefined {
    for (let i = this.ev.length - 1; i >= 0; i--) if (this.ev[i]!.refused) return this.ev[i];
    return undefined;
  }
  markDepleted(): void {
    this.depletionEnd = this.ev.indexOf(this.lastRefusal()!);
  }
  /** Refill bounds (per ms) from the depletion's last refusal to the last refusal. */
  refill(): { lo: number; hi: number; mid: number; span: number; admitted: number } | undefined {
    if (this.depletionEnd === undefined) return undefined;
    const e1 = this.ev[this.depletionEnd]!;
    const e2 = this.lastRefusal()!;
    const dt = e2.t - e1.t;
    if (dt <= 0) return undefined;
    let S = 0;
    for (const e of this.ev) if (e.admitted && e.t > e1.t && e.t <= e2.t) S += e.cost;
    return { lo: Math.max(0, (S - e1.cost) / dt), hi: (S + e2.cost) / dt, mid: S / dt, span: dt, admitted: S };
  }
  /** Burst bounds given refill bounds (per ms). */
  burst(rLo: number, rHi: number): { lo: number; hi: number; mid: number } | undefined {
    if (this.depletionEnd === undefined || this.t0 === undefined) return undefined;
    const e = this.ev[this.depletionEnd]!;
    let A = 0;
    for (let i = 0; i < this.depletionEnd; i++) if (this.ev[i]!.admitted) A += this.ev[i]!.cost;
    const dt = e.t - this.t0;
    const lo = A - rHi * dt;
    const hi = A - rLo * dt + e.cost;
    return { lo, hi, mid: A - ((rLo + rHi) / 2) * dt + e.cost / 2 };
  }
  /** The most admitted at one instant (a valid lower bound of the capacity: no refill in between). */
  admittedAtOnce(): number {
    let best = 0;
    let t = NaN;
    let sum = 0;
    for (const e of this.ev) {
      if (!e.admitted) continue;
      if (e.t !== t) {
        t = e.t;
        sum = 0;
      }
      sum += e.cost;
      if (sum > best) best = sum;
    }
    return best;
  }
  admittedTotal(): number {
    let A = 0;
    for (const e of this.ev) if (e.admitted) A += e.cost;
    return A;
  }
}

const MINUTE = 60_000;
const within = (a: number, b: number, tol = 0.05) => Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b));

function windowName(sec: number): string {
  if (within(sec, 1, 0.15)) return 'per second';
  if (within(sec, 10, 0.15)) return 'per 10 s';
  if (within(sec, 60, 0.15)) return 'per minute (no sub-minute layer)';
  return `bucket window ${sec.toFixed(2)} s (burst ≠ refill)`;
}

/**
 * The window (ms) of a sub-minute request layer the request probe found (≈ 1 s or ≈ 10 s), else
 * 0. Only a window that names a layer counts: a small request bucket refilled over 20 s is
 * burst ≠ refill, not a layer, and has no token twin.
 */
export function requestLayerMs(k: Knowledge): number {
  if (!k.requests) return 0;
  const w = k.requests.burst / k.requests.rPerMs;
  return /^per (second|10 s)$/.test(windowName(w / 1000)) ? w : 0;
}

/**
 * True when the request probe found a layer of about 10 s: its token twin (TPM/6) is then
 * measured directly as the token bucket (see rateProbe), not with pairs (token-layer.ts).
 */
export function tokenLayerIsBucket(k: Knowledge): boolean {
  return requestLayerMs(k) >= 3000;
}

export interface RateProbeOptions {
  dim: Dim;
  /** Findings wanted: rate, burst, window, concurrency (requests only). */
  want: { rate: boolean; burst: boolean; window: boolean; concurrency: boolean };
  /**
   * Requests: the bucket is wanted (rpm, burst, window, or as knowledge for the token stages).
   * False with only concurrency wanted: the probe stops once the cap is settled. Default true.
   */
  rateNeeded?: boolean;
  /** Refill cycles stop once this many units (requests, or prompt sizes) were admitted: precision ≈ 1/N. */
  targetUnits?: number;
}

/**
 * Rate probe for one dimension: peek (headers), ramp floods from a full bucket until the
 * first refusal (burst onset), a concurrency check, refill cycles (how the 429s clear), then
 * findings. Requests: 1-token prompts, max_tokens 1. Tokens: prompts of u tokens, max_tokens 1,
 * flood sizes kept well under the request burst.
 */
export function* rateProbe(k: Knowledge, o: RateProbeOptions): ProbeGen {
  const dim = o.dim;
  const strategy = dim === 'requests' ? 'rate-requests' : 'rate-tokens';
  const T = new Tracker(dim);
  const cost = (spec: StageRequest) => (dim === 'requests' ? 1 : spec.promptTokens + spec.maxTokens);
  const targetUnits = o.targetUnits ?? 40;
  const findings: LimitFinding[] = [];
  const names = dim === 'requests' ? { rate: 'rpm', burst: 'burst', unit: 'requests' } : { rate: 'tpm', burst: 'token_burst', unit: 'tokens' };
  const undetermined = (why: string, lowBurst?: number): LimitFinding[] => {
    const hdr = dim === 'requests' ? k.headers?.limitRequests : k.headers?.limitTokens;
    const out: LimitFinding[] = [...findings];
    if (o.want.rate)
      out.push(
        hdr !== undefined
          ? { name: names.rate as 'rpm', value: hdr, low: hdr, high: hdr, method: 'headers', unit: `${names.unit}/min`, header: hdr, note: `not verified: ${why}` }
          : { name: names.rate as 'rpm', method: 'undetermined', unit: `${names.unit}/min`, note: why },
      );
    // The only sure lower bound of the capacity: the most admitted at one instant (no refill in between).
    const low = lowBurst !== undefined ? T.admittedAtOnce() : 0;
    if (o.want.burst) out.push({ name: names.burst as 'burst', method: 'undetermined', unit: names.unit, ...(low > 0 ? { low: Math.floor(low) } : {}), note: why });
    if (o.want.window) out.push({ name: 'sub_minute', method: 'undetermined', unit: `s (${dim} burst / refill)`, note: why });
    return out;
  };

  // Unit size per request and flood limits.
  const reqBurst = k.requests?.burst;
  // Floods go through the in-flight gate once the concurrency cap is known (the engine sets each
  // stage's maxInFlight): a request flood larger than the cap is a closed loop of cap workers.
  let maxFlood = dim === 'requests' ? 512 : Math.max(1, Math.min(16, Math.floor((reqBurst ?? 16) / 4)));
  if (dim === 'tokens' && k.concurrency !== undefined) maxFlood = Math.min(maxFlood, k.concurrency);
  // Largest prompt to send (max_tokens 1): the context probe's finding, else a guess that a
  // context refusal corrects (the window its message names, else half the refused prompt).
  let maxPrompt = Math.max(1, (k.maxPrompt ?? 32_768) - 1);
  let u = dim === 'requests' ? 1 : Math.min(256, maxPrompt);
  let contextShrinks = 0;
  /** A context refusal: learn the bound (and keep it for later strategies); false when it cannot shrink further. */
  const shrinkTo = (c: AddResult, refusedPrompt: number): boolean => {
    const bound = c.contextLimit !== undefined && c.contextLimit - 2 < refusedPrompt ? c.contextLimit - 2 : Math.floor(refusedPrompt / 2);
    if (bound < 1 || ++contextShrinks > 12) return false;
    maxPrompt = Math.min(maxPrompt, bound);
    k.maxPrompt = Math.min(k.maxPrompt ?? Infinity, maxPrompt + 1);
    u = Math.min(u, maxPrompt);
    return true;
  };
  const contextNote = () => (contextShrinks > 0 ? ` (prompts kept ≤ ${maxPrompt} tokens: the context window, learnt from ${contextShrinks} context refusal${contextShrinks > 1 ? 's' : ''})` : '');

  // The fastest a client can send with the concurrency cap: cap / latency (requests per ms).
  const capRate = () => (k.concurrency !== undefined && k.latencyMs ? k.concurrency / k.latencyMs : undefined);
  const capNote = () => {
    const cr = capRate();
    return k.concurrency !== undefined && cr !== undefined
      ? `; with the concurrency cap (${k.concurrency} in flight, ${Math.round(k.latencyMs!)} ms per request) a client sends at most ${Math.round(cr * MINUTE)} requests/min, so a request limit above that cannot be reached`
      : '';
  };
  // Token stages stay under the request rate (refusals of the other dimension teach nothing),
  // and under what the concurrency cap lets through.
  const reqR = dim === 'tokens' ? (k.requests?.rPerMs !== undefined || capRate() !== undefined ? Math.min(k.requests?.rPerMs ?? Infinity, capRate() ?? Infinity) : undefined) : undefined;
  // A sub-minute request layer (window B/r well under a minute) likely has a token twin
  // (TPS = TPM/60): a request larger than that layer passes only when the layer is full, so
  // token stages are spaced by 1.1 windows and the per-minute bucket is what they measure.
  // A 10 s layer is different: a request larger than it (≈ TPM/6) passes only once per window, so
  // the minute bucket behind it drains only if prompts exceed the layer (often beyond the
  // context) and at a window per request (the budget: $0.45 of $0.50 at TPM 130k). Yet with
  // prompts under the layer and the minute's refill, the two behave exactly as one bucket of the
  // layer's capacity (the minute bucket never refuses first), as a request layer does: measured
  // directly like requests, the layer's capacity is the token burst and its refill the TPM.
  const direct = dim === 'tokens' && tokenLayerIsBucket(k);
  const layerMs = dim === 'tokens' && !direct ? requestLayerMs(k) : 0;
  const gapFor = (n: number) => Math.max(reqR ? Math.ceil(n / (0.7 * reqR)) : 0, Math.ceil(1.1 * layerMs));

  // Ramp: floods from a full bucket until the first refusal in this dimension.
  let f = dim === 'requests' ? 4 : Math.min(4, maxFlood);
  let s!: StageSummary;
  let step = 0;
  let lastFlood = f;
  let otherTries = 0;
  let recheck = true;
  const capTrail: { t: number; rem: number }[] = [];
  for (;;) {
    for (;;) {
      const reserve = dim === 'requests' ? 3 * targetUnits : 2 * targetUnits;
      f = Math.min(f, k.requestsLeft - reserve, Math.floor((k.usdLeft * 0.6) / k.costOf(u, 1)));
      if (f < 1) {
        const A = T.admittedTotal();
        return undetermined(`the ${names.unit} bucket did not run dry within the budget/request cap (admitted ${A} ${names.unit} without a 429${dim === 'requests' && T.t0 !== undefined && s ? ` over ${Math.round((s.endMs - T.t0) / 1000)} s` : ''})${dim === 'requests' ? capNote() : ''}${contextNote()}`, A);
      }
      const rem = dim === 'requests' ? k.headers?.remainingRequests : undefined;
      if (rem !== undefined && rem + 2 < f) f = Math.max(1, rem + 2);
      if (dim === 'requests' && k.concurrency !== undefined) {
        // Through the cap a flood is a closed loop: whole rounds of `cap` requests (at least two)
        // keep it at the fastest rate the cap allows, so the bucket drains as fast as it can.
        const C = k.concurrency;
        f = Math.min(Math.max(2 * C, Math.ceil(f / C) * C), Math.max(1, k.requestsLeft - reserve));
        if (rem !== undefined && T.t0 !== undefined && s) {
          // Headers: remaining-requests that does not fall while the probe sends as fast as the cap
          // allows means the bucket refills at least that fast: it cannot be drained.
          capTrail.push({ t: s.endMs, rem });
          const first = capTrail[0]!;
          if (s.endMs - first.t >= 60_000 && rem >= first.rem - 2) {
            return undetermined(`remaining-requests stayed at ${rem} (from ${first.rem}) over ${Math.round((s.endMs - first.t) / 1000)} s of sending at the concurrency cap${capNote()}`, T.admittedTotal());
          }
        }
      }
      lastFlood = f;
      s = yield { strategy, name: `ramp-${step++}`, waitMs: step > 1 ? gapFor(f) : 0, requests: flood(f, u) };
      const c = T.add(s, cost);
      if (c.refused > 0) break;
      if (c.tooLarge > 0) {
        // A request larger than the whole bucket: the capacity is below u.
        if (u <= 1) return undetermined('even the smallest request is "too large"');
        u = Math.max(1, Math.floor(u / 4));
        continue;
      }
      if (c.context > 0) {
        // `--only` without context: the guessed window was too large.
        if (!shrinkTo(c, u)) return undetermined(`requests fail with context_exceeded even at ${u} tokens`);
        continue;
      }
      if (c.otherRefused > 0 || c.concurrency > 0) {
        // The other dimension (or the concurrency cap) refused: wait for it and try again (a few times).
        if (++otherTries > 6) return undetermined(`the other dimension's limit was hit first (${s.rateLimitedRequests} requests / ${s.rateLimitedTokens} tokens 429s)`, T.admittedTotal());
        yield { strategy, name: `wait-other-${step}`, waitMs: Math.max(1000, 2 * gapFor(f)), requests: [] };
        continue;
      }
      if (s.capped) return undetermined(`stopped by the ${s.capped} cap`, T.admittedTotal());
      if (s.other > 0 && s.ok === 0) return undetermined(`requests fail with ${s.attempts.find((a) => a.result && a.result.outcome !== 'ok')?.result?.outcome}`);
      if (dim === 'tokens' && u < maxPrompt) u = Math.min(maxPrompt, u * 2);
      else f = Math.min(maxFlood, dim === 'requests' ? Math.ceil(f * 1.5) : f * 2); // ×1.5: at most ≈ B/2 refusals in the last flood
      if (dim === 'tokens' && u >= maxPrompt && f >= maxFlood && step > 60) return undetermined('ramp did not reach a 429', T.admittedTotal());
    }
    // Concurrency check (requests): refusals that do not clear with time, only as requests end,
    // are an in-flight cap. Re-flood at once after the flood ended, and again after a longer
    // wait: a cap admits the same count both times; a bucket admits what refilled (little at once).
    const admittedInLast = s.ok;
    if (!recheck || dim !== 'requests' || k.concurrency !== undefined) break;
    recheck = false;
    if (admittedInLast < 2 || k.requestsLeft <= 2 * (admittedInLast + 2) + 2 * targetUnits) break;
    const size = Math.min(lastFlood, admittedInLast + 2);
    const s1 = yield { strategy, name: 'recheck-1', requests: flood(size, u) };
    T.add(s1, cost);
    const s2 = yield { strategy, name: 'recheck-2', waitMs: Math.max(1000, 4 * (s1.endMs - s1.startMs)), requests: flood(size, u) };
    T.add(s2, cost);
    const looksCapped = s1.ok === admittedInLast && s2.ok === admittedInLast && s1.ok < size && s2.ok < size;
    if (!looksCapped) break;
    const concurrency = admittedInLast;
    k.concurrency = concurrency;
    if (o.want.concurrency) findings.push({ name: 'concurrency', value: concurrency, low: concurrency, high: concurrency, method: 'onset', unit: 'requests in flight', note: 'refusals did not clear with time, only as requests ended' });
    // Every refusal so far came with more than the cap in flight: the bucket has not refused yet.
    // From now on every stage keeps at most `concurrency` in flight (the engine's gate), so a
    // refusal is the bucket's; the ramp goes on (its floods become closed loops at the cap).
    T.setCap(concurrency);
    const lat = T.medianLatency();
    if (lat !== undefined) k.latencyMs = lat;
    if (o.rateNeeded === false) return findings;
    s = s2;
    f = Math.max(f, Math.ceil(lastFlood * 1.5));
  }
  if (dim === 'requests' && o.want.concurrency && k.concurrency === undefined) {
    findings.push({ name: 'concurrency', method: 'undetermined', low: lastFlood, unit: 'requests in flight', note: `none observed: ${lastFlood} simultaneous requests were not refused by an in-flight cap` });
  }
  if (dim === 'requests' && o.rateNeeded === false) return findings;
  // Tokens: refine the level left with halving single requests (bisection of the remainder).
  if (dim === 'tokens') {
    const floor = Math.max(8, Math.floor(T.admittedTotal() / 400));
    for (let c = Math.floor(u / 2); c >= floor; c = Math.floor(c / 2)) {
      if (k.requestsLeft < targetUnits + 2) break;
      const r = yield { strategy, name: `refine-${c}`, waitMs: gapFor(1), requests: single(c, 1) };
      T.add(r, cost);
    }
  }
  const depletedAt = T.admittedTotal();

  // The bucket fit over every event of this dimension (see fit.ts).
  const events = () => sortEvents(T.ev.map((e) => ({ t: e.t, cost: e.cost, admitted: e.admitted })));
  let fit: BucketFit | undefined;
  const fitNow = (): BucketFit | undefined => {
    const A = T.admittedTotal();
    const wide = { bLo: Math.max(0.5, u * 0.5, 0.25), bHi: 4 * A + 4 * u, rLo: Math.max(1e-9, A / 3.6e6), rHi: Math.max(1e-6, (A + 4 * u) / 20) };
    const ev = events();
    // Near the last fit's rate first (a tight consistent band can fall between coarse grid points), else the wide box.
    const near = fit && fit.score === 0 ? fitBucket(ev, { ...wide, rLo: fit.r.lo / 2, rHi: fit.r.hi * 2 }, k.slackMs ?? 0, 200) : undefined;
    if (near && near.score === 0) return near;
    const w = fitBucket(ev, wide, k.slackMs ?? 0, 160);
    return near && w && near.score < w.score ? near : w;
  };

  // Refill: paced singles at ≈1.5× the estimated rate (the bucket stays near empty, refusals
  // pin its level), the pace adjusted after each stage from the fit, until the rate's
  // interval is within ±1.5%. A stage without refusals (pace too slow) triples the pace; one
  // without admissions thirds it.
  const hdr = dim === 'requests' ? k.headers?.limitRequests : k.headers?.limitTokens;
  let rEst = hdr ? hdr / MINUTE : depletedAt / MINUTE;
  let streamUnits = 0;
  let cycle = 0;
  let clearanceStage = 0;
  let clearanceAdmitted = 0;
  const burstReserve = dim === 'requests' ? 40 : 10;
  for (;;) {
    if (dim === 'tokens' && reqR) {
      // Prompts large enough that the pace stays under 0.7× the request rate, and below the burst.
      const need = Math.ceil((1.5 * rEst) / (0.7 * reqR));
      u = Math.max(16, Math.min(maxPrompt, Math.max(need, Math.min(u, Math.ceil(depletedAt / (2 * targetUnits))))));
      if (fit) u = Math.max(1, Math.min(u, Math.floor(fit.B.lo * 0.9)));
    } else if (dim === 'tokens') u = Math.max(16, Math.min(u, Math.ceil(depletedAt / (2 * targetUnits))));
    if (layerMs > 0) u = Math.max(u, Math.min(maxPrompt, Math.ceil(1.5 * rEst * 1.1 * layerMs)));
    const d = Math.max(1, u / (1.5 * rEst), 1.1 * layerMs);
    const n = Math.max(4, Math.min(24, Math.ceil((targetUnits / 3) * 1.5)));
    if (n > k.requestsLeft - burstReserve || n * k.costOf(u, 1) > k.usdLeft * 0.8) break;
    // Without a rate yet (no header, no fit): one clearance stage, gaps doubling from 25 ms
    // (how long the 429s take to clear gives the time scale, from a 1 s layer to an hour).
    const clearance = !fit && !hdr && clearanceAdmitted < 2 && clearanceStage < 5 && layerMs === 0;
    const g = 25 * 16 ** clearanceStage;
    const offsets = clearance ? [0, g, 3 * g, 7 * g] : Array.from({ length: n }, (_, j) => Math.round(j * d));
    if (clearance) clearanceStage++;
    const c = yield { strategy, name: clearance ? 'clearance' : `refill-${cycle}`, waitMs: gapFor(1), requests: offsets.map((offsetMs) => ({ offsetMs, promptTokens: dim === 'requests' ? u : Math.max(1, u - 1), maxTokens: 1 })) };
    cycle++;
    const got = T.add(c, (spec) => (dim === 'requests' ? 1 : spec.promptTokens + spec.maxTokens));
    if (got.context > 0) {
      if (!shrinkTo(got, Math.max(1, u - 1))) break;
      continue;
    }
    if (clearance) {
      clearanceAdmitted += got.admitted > 0 ? c.ok : 0;
      streamUnits += got.admitted;
      if (clearanceAdmitted < 2) continue;
    }
    if (got.refused === 0 && got.admitted > 0) {
      rEst *= 3;
      continue;
    }
    if (got.admitted === 0 && got.refused > 0) {
      rEst /= 3;
      streamUnits += 0;
    }
    if (!clearance) streamUnits += got.admitted;
    fit = fitNow();
    if (fit) rEst = fit.r.mid;
    if (fit && streamUnits >= targetUnits * u && (fit.r.hi - fit.r.lo) <= 0.03 * fit.r.mid) break;
    if (cycle > 60) break;
  }
  fit = fitNow();
  if (!fit || streamUnits === 0) return undetermined(`no refill measurement completed within the budget/request cap${dim === 'requests' ? capNote() : ''}${contextNote()}`, depletedAt);

  // Burst: when the fit leaves it wider than ±1.5% (a small bucket, a few requests), timed
  // experiments from a full bucket: take ⌈B⌉ − 1 units at once, then one more at the instant
  // the midpoint capacity would allow it (requests), or one request of the midpoint's size (tokens).
  for (let x = 0; x < 12 && fit.B.hi - fit.B.lo > 0.03 * fit.B.mid; x++) {
    const waitFull = Math.ceil((1.3 * fit.B.hi) / fit.r.lo) + 50;
    let reqs: StageRequest[];
    if (dim === 'requests') {
      const kk = Math.max(0, Math.ceil(fit.B.mid) - 1);
      // Under a concurrency cap only a bucket the cap can empty at once is timed this way; a
      // larger one keeps the fit's interval (the drain through the cap bounds it).
      if (k.concurrency !== undefined && kk + 1 > k.concurrency) break;
      const tau = Math.max(1, Math.round((kk + 1 - fit.B.mid) / fit.r.mid));
      reqs = [...flood(kk, 1), { offsetMs: tau, promptTokens: 1, maxTokens: 1 }];
    } else if (direct) {
      // A layer passes a single request larger than itself when full: two at once, summing to
      // the midpoint capacity, each under it (the second passes iff both fit).
      const xTok = Math.round(fit.B.mid);
      const a = Math.ceil(xTok / 2);
      if (a - 1 > maxPrompt || xTok - a < 2) break;
      reqs = [...single(a - 1, 1), ...single(xTok - a - 1, 1)];
    } else {
      const xTok = Math.round(fit.B.mid);
      if (xTok - 1 > maxPrompt) break;
      reqs = single(xTok - 1, 1);
    }
    if (reqs.length > k.requestsLeft || reqs.reduce((a, q) => a + k.costOf(q.promptTokens, q.maxTokens), 0) > k.usdLeft * 0.8) break;
    const e = yield { strategy, name: `burst-${x}`, waitMs: Math.max(waitFull, gapFor(reqs.length)), requests: reqs };
    const got = T.add(e, cost);
    if (got.context > 0) {
      if (!shrinkTo(got, reqs[0]!.promptTokens)) break;
      continue;
    }
    fit = fitNow();
    if (!fit) break;
  }
  if (!fit) return undetermined('no fit', depletedAt);

  const rate = { lo: fit.r.lo * MINUTE, hi: fit.r.hi * MINUTE, mid: ((fit.r.lo + fit.r.hi) / 2) * MINUTE };
  const burst = { lo: fit.B.lo, hi: fit.B.hi, mid: (fit.B.lo + fit.B.hi) / 2 };
  const hdrLimit = hdr;
  if (dim === 'requests') k.requests = { rPerMs: rate.mid / MINUTE, burst: burst.mid };
  else k.tokens = { rPerMs: rate.mid / MINUTE, burst: burst.mid };
  const fitNote = fit.score > 1e-3 ? `; the bucket fit leaves ${fit.score.toFixed(2)} units unexplained` : '';
  if (o.want.rate) {
    const verified = hdrLimit !== undefined && within(hdrLimit, rate.mid);
    const note = (hdrLimit !== undefined && !verified ? `header says ${hdrLimit}, behaviour says ${Math.round(rate.mid)}/min` : '') + fitNote;
    findings.push({
      name: names.rate as 'rpm',
      value: verified ? hdrLimit : Math.round(rate.mid * 10) / 10,
      low: Math.floor(rate.lo * 10) / 10,
      high: Math.ceil(rate.hi * 10) / 10,
      method: verified ? 'header-verified' : 'refill',
      unit: `${names.unit}/min`,
      ...(hdrLimit !== undefined ? { header: hdrLimit } : {}),
      ...(note ? { note: note.replace(/^; /, '') } : {}),
    });
  }
  if (o.want.burst) {
    const verified = hdrLimit !== undefined && within(hdrLimit, burst.mid);
    findings.push({
      name: names.burst as 'burst',
      value: verified ? hdrLimit : Math.round(burst.mid * 100) / 100,
      low: Math.floor(burst.lo * 100) / 100,
      high: Math.ceil(burst.hi * 100) / 100,
      method: verified ? 'header-verified' : 'onset',
      unit: names.unit,
      ...(hdrLimit !== undefined ? { header: hdrLimit } : {}),
      ...(hdrLimit !== undefined && !verified
        ? { note: `bucket capacity ${Math.round(burst.mid * 100) / 100} ≠ the header's ${hdrLimit}${direct ? `: the ${(requestLayerMs(k) / 1000).toFixed(1)} s token layer (a per-minute bucket behind it never refuses first)` : ''}` }
        : direct
          ? { note: `the ${(requestLayerMs(k) / 1000).toFixed(1)} s token layer's capacity (requests show a layer of that window; prompts stay under it, so a per-minute bucket behind it never refuses first and cannot be seen)` }
          : layerMs > 0
          ? { note: `per-minute token bucket; requests show a ${(layerMs / 1000).toFixed(1)} s layer: its token twin (about ${Math.round((rate.mid * layerMs) / MINUTE)} tokens) is token_layer` }
          : {}),
    });
  }
  if (direct) {
    // The token bucket measured here is the layer itself.
    findings.push({
      name: 'token_layer',
      value: Math.round(burst.mid),
      low: Math.floor(burst.lo),
      high: Math.ceil(burst.hi),
      method: 'onset',
      unit: 'tokens (sub-minute layer)',
      note: `measured as the token bucket (prompts under the layer); window ≈ ${(burst.mid / (rate.mid / MINUTE) / 1000).toFixed(2)} s at the token rate (≈ ${Math.round(rate.mid)}/min)`,
    });
  }
  if (o.want.window) {
    const sec = burst.mid / (rate.mid / MINUTE) / 1000;
    findings.push({
      name: 'sub_minute',
      value: Math.round(sec * 1000) / 1000,
      low: Math.floor(Math.max(0, burst.lo / fit.r.hi / 1000) * 1000) / 1000,
      high: Math.ceil((burst.hi / Math.max(fit.r.lo, 1e-12) / 1000) * 1000) / 1000,
      method: 'derived',
      unit: `s (${dim} burst / refill)`,
      note: windowName(sec),
    });
  }
  return findings;
}

/** Number in an error message that names a limit (OpenAI, DashScope wordings). */
export function limitFromMessage(kind: 'context' | 'max_output', message: string | undefined): number | undefined {
  if (!message) return undefined;
  const re =
    kind === 'context'
      ? [/maximum context length is (\d+)/i, /Range of input length should be \[1, ?(\d+)\]/i, /prompt is too long[^0-9]*\d+ tokens? > (\d+)/i]
      : [/supports at most (\d+) completion tokens/i, /Range of max_tokens should be \[1, ?(\d+)\]/i, /max_tokens: \d+ > (\d+)/i];
  for (const r of re) {
    const m = r.exec(message);
    if (m) return Number(m[1]);
  }
  return undefined;
}

const isContextRefusal = (r: AttemptResult | undefined) => r?.outcome === 'context_exceeded' || (r?.status === 400 && limitFromMessage('context', r.errorMessage) !== undefined);

/**
 * Context window: one oversized prompt (refused, free); if the refusal names the limit, one
 * prompt at it (accepted) and one above (refused) confirm it; otherwise bisection on the
 * prompt size between the largest accepted and the smallest refused. max_tokens 1, so the
 * window is the largest accepted prompt + 1.
 */
export function* contextProbe(k: Knowledge, opts: { start?: number; ceiling?: number } = {}): ProbeGen {
  const strategy = 'context';
  let lo = 1; // accepted prompt size (assumed: 1 token is accepted)
  let hi: number | undefined; // refused prompt size
  let p = opts.start ?? 262_144;
  const ceiling = opts.ceiling ?? 4_194_304;
  const fin = (method: LimitFinding['method'], note?: string): LimitFinding[] => {
    k.maxPrompt = lo;
    if (hi === undefined) return [{ name: 'context', method: 'undetermined', low: lo + 1, unit: 'tokens (prompt + max_tokens)', note: note ?? `a ${lo}-token prompt was accepted` }];
    if (hi - lo > 1) return [{ name: 'context', method: 'undetermined', low: lo + 1, high: hi, unit: 'tokens (prompt + max_tokens)', note: note ?? 'interval not closed' }];
    return [{ name: 'context', value: lo + 1, low: lo + 1, high: lo + 1, method, unit: 'tokens (prompt + max_tokens)', note: `largest accepted prompt ${lo} tokens with max_tokens 1` }];
  };
  const trial = function* (n: number): Generator<Stage, 'ok' | 'refused' | 'blocked' | 'skip', StageSummary> {
    if (k.costOf(n, 1) > k.usdLeft || k.requestsLeft < 1) return 'skip';
    for (let tries = 0; tries < 6; tries++) {
      const s = yield { strategy, name: `prompt-${n}`, requests: single(n, 1) };
      const r = s.attempts[0]!.result;
      if (!r) return 'skip';
      if (r.outcome === 'ok') return 'ok';
      if (isContextRefusal(r)) return 'refused';
      if (tooLarge(r)) return 'blocked';
      if (r.outcome.startsWith('rate_limited') && r.outcome !== 'rate_limited_other' || r.outcome === 'rate_limited_other') {
        // Rate limited: wait and retry the same size.
        const wait = r.retryAfterMs ?? 2000 * (tries + 1);
        yield { strategy, name: `wait-${n}`, waitMs: wait, requests: [] };
        continue;
      }
      return 'blocked';
    }
    return 'blocked';
  };
  // Find a refused size (free when refused, but its worst case is reserved: start no larger than
  // half of what is left can cover, so a small budget still gets an answer).
  while (p > 1_024 && k.costOf(p, 1) > k.usdLeft / 2) p = Math.floor(p / 2);
  let msgLimit: number | undefined;
  for (;;) {
    const s = yield { strategy, name: `oversize-${p}`, requests: single(p, 1) };
    const r = s.attempts[0]!.result;
    if (!r) return fin('undetermined', 'not sent: budget or request cap');
    if (isContextRefusal(r)) {
      hi = p;
      msgLimit = limitFromMessage('context', r.errorMessage);
      break;
    }
    if (r.outcome === 'ok') {
      lo = p;
      if (p * 4 > ceiling) return fin('undetermined', `a ${p}-token prompt was accepted`);
      p *= 4;
      continue;
    }
    if (tooLarge(r)) {
      hi = undefined;
      p = Math.floor(p / 2);
      if (p < 2) return fin('undetermined', 'every prompt is "too large" for the token limit');
      continue;
    }
    return fin('undetermined', `unexpected answer to an oversized prompt: ${r.outcome} ${r.status ?? ''} ${r.errorMessage ?? ''}`.trim());
  }
  // The message may name the window (prompt + max_tokens ≤ N) or the max input (prompt ≤ N).
  if (msgLimit !== undefined && msgLimit < hi!) {
    for (const cand of [msgLimit - 1, msgLimit]) {
      if (cand <= lo || cand >= hi!) continue;
      const t = yield* trial(cand);
      if (t === 'ok') lo = cand;
      else if (t === 'refused') hi = cand;
      else break;
    }
    if (hi! - lo === 1) {
      const check = yield* trial(hi!);
      if (check === 'refused') return fin('message-verified');
    }
  }
  // Bisection.
  while (hi! - lo > 1) {
    const mid = Math.floor((lo + hi!) / 2);
    const t = yield* trial(mid);
    if (t === 'ok') lo = mid;
    else if (t === 'refused') hi = mid;
    else return fin('undetermined', t === 'blocked' ? `prompts of ${mid} tokens hit the token limit ("too large") before the window` : 'budget or request cap');
  }
  return fin('bisection');
}

/**
 * Max output tokens: one request with a huge max_tokens (refused at validation, free); if the
 * refusal names the cap, one request at the cap (accepted) and one above (refused) confirm it;
 * otherwise bisection on max_tokens. Accepted requests may generate max_tokens tokens: their
 * worst case is reserved in the budget.
 */
export function* maxOutputProbe(k: Knowledge, opts: { start?: number } = {}): ProbeGen {
  const strategy = 'max-output';
  let lo = 1;
  let hi = opts.start ?? 131_072;
  const unit = 'tokens (max_tokens)';
  const isRefusal = (r: AttemptResult | undefined) => r?.status === 400 && r.outcome !== 'context_exceeded';
  const trial = function* (n: number): Generator<Stage, 'ok' | 'refused' | 'blocked' | 'skip', StageSummary> {
    if (k.costOf(1, n) > k.usdLeft || k.requestsLeft < 1) return 'skip';
    for (let tries = 0; tries < 6; tries++) {
      const s = yield { strategy, name: `max_tokens-${n}`, requests: single(1, n) };
      const r = s.attempts[0]!.result;
      if (!r) return 'skip';
      if (r.outcome === 'ok') return 'ok';
      if (isRefusal(r)) return 'refused';
      if (r.outcome === 'context_exceeded' || tooLarge(r)) return 'blocked';
      if (r.outcome.startsWith('rate_limited')) {
        yield { strategy, name: `wait-${n}`, waitMs: r.retryAfterMs ?? 2000 * (tries + 1), requests: [] };
        continue;
      }
      return 'blocked';
    }
    return 'blocked';
  };
  let firstMessage: string | undefined;
  {
    const s = yield { strategy, name: `max_tokens-${hi}`, requests: single(1, hi) };
    const r = s.attempts[0]!.result;
    if (!r) return [{ name: 'max_output', method: 'undetermined', unit, note: 'budget or request cap' }];
    if (r.outcome === 'ok') return [{ name: 'max_output', method: 'undetermined', low: hi, unit, note: `max_tokens ${hi} was accepted` }];
    if (!isRefusal(r)) return [{ name: 'max_output', method: 'undetermined', unit, note: `a huge max_tokens was not refused as invalid (${r.outcome}${r.errorCode ? ' ' + r.errorCode : ''}): another limit comes first` }];
    firstMessage = r.errorMessage;
  }
  let method: LimitFinding['method'] = 'bisection';
  const named = limitFromMessage('max_output', firstMessage);
  if (named !== undefined && named > lo && named < hi) {
    const a = yield* trial(named);
    if (a === 'ok') {
      lo = named;
      const b = yield* trial(named + 1);
      if (b === 'refused') {
        hi = named + 1;
        method = 'message-verified';
      }
    } else if (a === 'refused') hi = named;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const t = yield* trial(mid);
    if (t === 'ok') lo = mid;
    else if (t === 'refused') hi = mid;
    else return [{ name: 'max_output', method: 'undetermined', low: lo, high: hi - 1, unit, note: t === 'skip' ? 'budget or request cap' : `max_tokens ${mid} hit another limit (context or token limit)` }];
  }
  return [{ name: 'max_output', value: lo, low: lo, high: lo, method, unit }];
}
