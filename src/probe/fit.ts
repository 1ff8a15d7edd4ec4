/**
 * Token-bucket fit: which (capacity B, refill r per ms) explain every admission and refusal
 * seen in one dimension? The bucket starts full at the first event, refills at r capped at B;
 * an admitted request of cost c needs level ≥ c and takes c, a refused one saw level < c and
 * takes nothing. Capping is modelled, so floods, paced streams and timed singles all count,
 * and no schedule has to keep the bucket from filling.
 *
 * Given the observed outcomes, the level at every event is nondecreasing in B and in r. So the
 * admissions hold on an upper set of (B, r) and the refusals on a lower set: for each r the
 * consistent capacities are an interval [Bmin(r), Bmax(r)) found by two bisections, and the
 * consistent rates are those where it is not empty (a grid on r, zoomed three times). `slackMs`
 * loosens every constraint by r × slackMs (timing jitter of live requests); 0 in virtual time.
 *
 * This covers a per-minute bucket (B = r·60 s), a sub-minute layer (a 1 s or 10 s bucket with
 * the same refill behaves exactly as one bucket of the smaller capacity: the minute bucket can
 * never run dry behind it) and a bucket whose burst differs from its refill.
 */

export interface FitEvent {
  t: number;
  cost: number;
  admitted: boolean;
}

export interface Interval {
  lo: number;
  hi: number;
  mid: number;
}

export interface BucketFit {
  B: Interval;
  /** Refill per ms. */
  r: Interval;
  /** 0 when a bucket explains every event; else how many events the best candidate fails to explain. */
  score: number;
}

/** Violations of (B, r): admissions the bucket could not have made, refusals it would not have made. */
export function violations(ev: readonly FitEvent[], B: number, r: number, slackMs = 0): { admitted: number; refused: number } {
  let level = B;
  let t = ev.length ? ev[0]!.t : 0;
  let a = 0;
  let f = 0;
  const slack = r * slackMs;
  for (const e of ev) {
    const dt = e.t - t;
    if (dt > 0) {
      level += dt * r;
      if (level > B) level = B;
      t = e.t;
    }
    const c = e.cost;
    if (e.admitted) {
      if (level + slack < c - 1e-9) a++;
      level -= c;
      if (level < 0) level = 0;
    } else if (level - slack >= c - 1e-9) f++;
  }
  return { admitted: a, refused: f };
}

/** Sorts events: by time; at one instant admissions before refusals (a flood is admitted in order until the bucket runs dry). */
export function sortEvents(ev: FitEvent[]): FitEvent[] {
  return ev.sort((a, b) => a.t - b.t || Number(b.admitted) - Number(a.admitted));
}

function bRange(ev: readonly FitEvent[], r: number, bLo: number, bHi: number, slackMs: number): { min: number; max: number } {
  // Bmin: smallest B with no admitted violation (monotone: more B, more level).
  let lo = bLo;
  let hi = bHi;
  if (violations(ev, hi, r, slackMs).admitted > 0) return { min: Infinity, max: -Infinity };
  if (violations(ev, lo, r, slackMs).admitted === 0) hi = lo;
  for (let i = 0; i < 50 && hi - lo > 1e-6 * hi; i++) {
    const m = (lo + hi) / 2;
    if (violations(ev, m, r, slackMs).admitted > 0) lo = m;
    else hi = m;
  }
  const min = hi;
  // Bmax: largest B with no refused violation.
  lo = bLo;
  hi = bHi;
  if (violations(ev, lo, r, slackMs).refused > 0) return { min, max: -Infinity };
  if (violations(ev, hi, r, slackMs).refused === 0) lo = hi;
  for (let i = 0; i < 50 && hi - lo > 1e-6 * hi; i++) {
    const m = (lo + hi) / 2;
    if (violations(ev, m, r, slackMs).refused > 0) hi = m;
    else lo = m;
  }
  return { min, max: lo };
}

/**
 * Rate bounds from pairs of refusals (levels in [0, c1) and [0, c2)) with S admitted between:
 * r·Δt > S − c1 always (capping only loses refill), r·Δt < S + c2 if the bucket never filled
 * in between (true unless the capacity is within a request or so of empty).
 */
export function rateBounds(ev: readonly FitEvent[]): { lo: number; hi: number } | undefined {
  const ref: { t: number; c: number; before: number }[] = [];
  let adm = 0;
  for (const e of ev) {
    if (e.admitted) adm += e.cost;
    else ref.push({ t: e.t, c: e.cost, before: adm });
  }
  let lo = 0;
  let hi = Infinity;
  for (let i = 0; i < ref.length; i++) {
    for (let j = i + 1; j < ref.length; j++) {
      const dt = ref[j]!.t - ref[i]!.t;
      if (dt <= 0) continue;
      const S = ref[j]!.before - ref[i]!.before;
      lo = Math.max(lo, (S - ref[i]!.c) / dt);
      hi = Math.min(hi, (S + ref[j]!.c) / dt);
    }
  }
  return lo > 0 || Number.isFinite(hi) ? { lo, hi } : undefined;
}

/** Fits (B, r) within the box (r per ms). */
export function fitBucket(ev: readonly FitEvent[], box: { bLo: number; bHi: number; rLo: number; rHi: number }, slackMs = 0, grid = 120): BucketFit | undefined {
  if (ev.length === 0) return undefined;
  let rLo = box.rLo;
  let rHi = box.rHi;
  if (slackMs === 0) {
    // Narrow the search to the pairwise bounds (a tight consistent band can fall between grid points of a wide box).
    const rb = rateBounds(ev);
    if (rb && rb.lo > 0) {
      const hi = rb.hi >= rb.lo ? rb.hi : rb.lo * 4;
      rLo = Math.max(rLo, rb.lo * 0.9999);
      rHi = Math.min(rHi, hi * 1.0001);
      if (rHi <= rLo) {
        rLo = rb.lo * 0.9999;
        rHi = hi * 1.0001;
      }
    }
  }
  let out: BucketFit | undefined;
  for (let round = 0; round < 4; round++) {
    const lr = Math.log(rLo);
    const ur = Math.log(rHi);
    const rs: number[] = [];
    for (let i = 0; i < grid; i++) rs.push(Math.exp(lr + ((ur - lr) * i) / (grid - 1)));
    const ranges = rs.map((r) => bRange(ev, r, box.bLo, box.bHi, slackMs));
    let first = -1;
    let last = -1;
    let bMin = Infinity;
    let bMax = -Infinity;
    ranges.forEach((g, i) => {
      if (g.min <= g.max) {
        if (first < 0) first = i;
        last = i;
        bMin = Math.min(bMin, g.min);
        bMax = Math.max(bMax, g.max);
      }
    });
    if (first < 0) {
      // Nothing consistent: the rate (and capacity) with the fewest violations.
      let best = 0;
      let bestB = NaN;
      let fewest = Infinity;
      ranges.forEach((g, i) => {
        for (const b of [g.min, g.max, (g.min + g.max) / 2]) {
          if (!Number.isFinite(b)) continue;
          const v = violations(ev, b, rs[i]!, slackMs);
          if (v.admitted + v.refused < fewest) {
            fewest = v.admitted + v.refused;
            best = i;
            bestB = b;
          }
        }
      });
      if (!out || out.score > 0) out = { B: { lo: bestB, hi: bestB, mid: bestB }, r: { lo: rs[best]!, hi: rs[best]!, mid: rs[best]! }, score: fewest };
      break;
    }
    out = { B: { lo: bMin, hi: bMax, mid: (bMin + bMax) / 2 }, r: { lo: rs[first]!, hi: rs[last]!, mid: (rs[first]! + rs[last]!) / 2 }, score: 0 };
    // Zoom to the consistent rates, one grid step either side (the exact ends lie in those steps).
    rLo = rs[Math.max(0, first - 1)]!;
    rHi = rs[Math.min(grid - 1, last + 1)]!;
    if (rHi / rLo < 1 + 1e-5) break;
  }
  return out;
}
