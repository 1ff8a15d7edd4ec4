/**
 * A Plan that keeps only one shard's share of the run (scale-anchors.md §3.2).
 *
 * Every shard builds the whole plan from the same scenario and seed and walks the whole global
 * schedule; the global index of an arrival is its position in the run's open-loop schedule
 * across phases (phase offsets + position in the phase: exactly the ids one generator's
 * executor gives when every phase is open). The shard keeps the indices it owns (k mod N = i)
 * and makes each request with its GLOBAL index, so contents and anything else keyed by the
 * request id derive from (seed, k), and N shards together send exactly the one generator's
 * requests at exactly its times.
 *
 * How the global index reaches makeRequest: the executor numbers requests itself (nextId++),
 * but passes each slot's `group` and `seq` through. The wrapped slots carry seq = k; the
 * wrapper looks up the slot's own per-group seq by k and calls the real makeRequest with
 * (k, the real phase, t, { group, seq }). Consumers of `arrivals()` without slots get the same
 * mapping in order (first made, first yielded).
 *
 * Closed phases have no schedule: their workers (per group) and request cap are split by
 * striping (k6 ScaleInt64, shares sum to the whole), and their requests get ids above every
 * open index: openTotal + n·N + i for the shard's n-th closed request (unique across shards;
 * a closed loop's ids depend on timing even in one generator, so nothing stronger exists).
 *
 * Apply it last: `applyShard(leanPlan(buildPlan(…)))`, never a wrapper that keys requests by
 * the id it receives on top of this one.
 */
import type { PlannedRequest } from '../exec/ports.js';
import type { Plan, PhasePlan, RequestSlot, Slot } from '../plan/plan.js';
import { shareOf, type ShardSpec } from './spec.js';

export interface ShardedPlan extends Plan {
  shard: ShardSpec;
  /** Open-loop arrivals of the whole run (all shards). */
  globalArrivals: number;
  /** Open-loop arrivals this shard owns. */
  ownArrivals: number;
}

/** Count every open phase's arrivals: the global index of a phase's first arrival is the sum before it. */
function openOffsets(plan: Plan): { offsets: number[]; total: number } {
  const offsets: number[] = [];
  let total = 0;
  for (const p of plan.phases) {
    offsets.push(total);
    if (p.kind !== 'open') continue;
    if (p.slots) for (const _ of p.slots()) total++;
    else if (p.arrivals) for (const _ of p.arrivals()) total++;
  }
  return { offsets, total };
}

export function applyShard(plan: Plan, shard: ShardSpec): ShardedPlan {
  const { index: i, count: N } = shard;
  const { offsets, total } = openOffsets(plan);
  const real = new Map<number, PhasePlan>(plan.phases.map((p) => [p.index, p]));
  /** k → the slot's own per-group seq, for slots yielded but not yet made into requests. */
  const pendingSeq = new Map<number, number>();
  /** arrivals() consumers: ks in yield order. */
  const pendingOrder: number[] = [];
  let closedMade = 0;
  let own = 0;

  const phases = plan.phases.map((p): PhasePlan => {
    if (p.kind === 'closed') {
      const groups = p.groups.map((g) => (g.concurrency === undefined ? g : { ...g, concurrency: shareOf(shard, g.concurrency) }));
      const out: PhasePlan = { ...p, groups, concurrency: groups.reduce((n, g) => n + (g.concurrency ?? 0), 0) };
      if (p.maxRequests !== undefined) out.maxRequests = shareOf(shard, p.maxRequests);
      return out;
    }
    const offset = offsets[p.index]!;
    const ownSlots = function* (): Generator<Slot> {
      let j = 0;
      const it: Iterable<Slot> = p.slots ? p.slots() : (function* () {
        for (const atMs of p.arrivals!()) yield { atMs, group: p.groups[0]?.group ?? 0, seq: 0 };
      })();
      for (const s of it) {
        const k = offset + j++;
        if (k % N !== i) continue;
        pendingSeq.set(k, s.seq);
        yield { atMs: s.atMs, group: s.group, seq: k };
      }
    };
    let phaseOwn = 0;
    for (let j = 0, n = (offsets[p.index + 1] ?? total) - offset; j < n; j++) if ((offset + j) % N === i) phaseOwn++;
    own += phaseOwn;
    const out: PhasePlan = {
      ...p,
      slots: ownSlots,
      arrivals: function* () {
        for (const s of ownSlots()) {
          pendingOrder.push(s.seq);
          yield s.atMs;
        }
      },
    };
    if (p.maxRequests !== undefined) out.maxRequests = phaseOwn;
    return out;
  });

  const makeRequest = (localId: number, phase: PhasePlan, t: number, slot?: RequestSlot): PlannedRequest => {
    const rp = real.get(phase.index) ?? phase;
    if (rp.kind === 'closed') {
      const k = total + closedMade++ * N + i;
      return plan.makeRequest(k, rp, t, slot === undefined ? undefined : { group: slot.group, seq: slot.seq * N + i });
    }
    let k: number;
    if (slot !== undefined && pendingSeq.has(slot.seq)) k = slot.seq;
    else if (pendingOrder.length > 0) k = pendingOrder.shift()!;
    else k = localId; // not from this plan's schedule: nothing to map
    const seq = pendingSeq.get(k);
    pendingSeq.delete(k);
    return plan.makeRequest(k, rp, t, seq === undefined ? slot : { group: slot?.group ?? rp.groups[0]?.group ?? 0, seq });
  };

  return { ...plan, phases, makeRequest, shard, globalArrivals: total, ownArrivals: own };
}
