import { describe, expect, it } from 'vitest';
import { RealClock } from '../../src/clock.js';
import { execute } from '../../src/exec/executor.js';
import { runRelativeClock } from '../../src/exec/run-clock.js';
import type { AttemptResult, Dispatch, ExecPhase, ExecPlan, PlannedRequest } from '../../src/exec/ports.js';
import type { AttemptRecord } from '../../src/metrics/record.js';

function constantPhase(index: number, startMs: number, durationMs: number, rate: number): ExecPhase {
  return {
    name: `p${index}`,
    index,
    startMs,
    durationMs,
    kind: 'open',
    *arrivals() {
      for (let t = startMs; t < startMs + durationMs; t += 1000 / rate) yield t;
    },
  };
}

function planOf(phases: ExecPhase[]): ExecPlan {
  return {
    phases,
    totalDurationMs: phases.reduce((a, p) => Math.max(a, p.startMs + p.durationMs), 0),
    makeRequest: (requestId, phase, targetedStartMs): PlannedRequest => ({
      requestId,
      group: 'default',
      phase: phase.name,
      targetedStartMs,
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      promptTokens: 1,
      maxTokens: 1,
      stream: false,
    }),
  };
}

/** A port double: answers after `delayMs` of real time. */
function delayedDispatch(clock: { now(): number }, delayMs: number): Dispatch {
  return {
    async send(req): Promise<AttemptResult> {
      const startMs = clock.now();
      await new Promise((r) => setTimeout(r, delayMs));
      return { startMs, endMs: clock.now(), status: 200, outcome: 'ok', promptTokensEstimate: req.promptTokens };
    },
  };
}

describe('execute (open loop)', () => {
  it('sends every planned arrival at its planned time, across phases, without waiting for responses', async () => {
    const clock = runRelativeClock(new RealClock());
    const records: AttemptRecord[] = [];
    const res = await execute({
      plan: planOf([constantPhase(0, 0, 300, 100), constantPhase(1, 300, 200, 50)]),
      dispatch: delayedDispatch(clock, 50),
      recorder: { record: (r) => records.push(r) },
      clock,
      maxInFlight: 100,
    });
    expect(res.requests).toBe(30 + 10);
    expect(records).toHaveLength(40);
    expect(records.filter((r) => r.phase === 'p1')).toHaveLength(10);
    // Responses take 50 ms but sends are 10 ms apart: open loop keeps several in flight.
    expect(res.peakInFlight).toBeGreaterThanOrEqual(4);
    for (const r of records) {
      expect(r.startMs! - r.targetedStartMs).toBeGreaterThanOrEqual(0);
      expect(r.endMs).toBeGreaterThanOrEqual(r.startMs!);
    }
    expect(new Set(records.map((r) => r.requestId)).size).toBe(40);
  });

  it('records arrivals over maxInFlight as dropped instead of queueing them', async () => {
    const clock = runRelativeClock(new RealClock());
    const records: AttemptRecord[] = [];
    const res = await execute({
      plan: planOf([constantPhase(0, 0, 100, 100)]),
      dispatch: delayedDispatch(clock, 400),
      recorder: { record: (r) => records.push(r) },
      clock,
      maxInFlight: 3,
    });
    expect(res.dropped).toBe(7);
    const dropped = records.filter((r) => r.outcome === 'dropped');
    expect(dropped).toHaveLength(7);
    expect(dropped.every((r) => r.startMs === undefined && r.status === undefined)).toBe(true);
    expect(records.filter((r) => r.outcome === 'ok')).toHaveLength(3);
  });

  it('stops scheduling when stopped and still records the attempts in flight', async () => {
    const clock = runRelativeClock(new RealClock());
    const records: AttemptRecord[] = [];
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 150);
    const res = await execute({
      plan: planOf([constantPhase(0, 0, 5_000, 50)]),
      dispatch: delayedDispatch(clock, 100),
      recorder: { record: (r) => records.push(r) },
      clock,
      maxInFlight: 100,
      stop: stop.signal,
    });
    expect(res.interrupted).toBe(true);
    expect(res.requests).toBeGreaterThan(3);
    expect(res.requests).toBeLessThan(20);
    expect(records).toHaveLength(res.requests);
  });
});

describe('execute (closed loop)', () => {
  it('keeps exactly N requests in flight back to back for the phase duration', async () => {
    const clock = runRelativeClock(new RealClock());
    const records: AttemptRecord[] = [];
    const res = await execute({
      plan: planOf([{ name: 'c', index: 0, startMs: 0, durationMs: 300, kind: 'closed', concurrency: 4 }]),
      dispatch: delayedDispatch(clock, 30),
      recorder: { record: (r) => records.push(r) },
      clock,
      maxInFlight: 100,
    });
    expect(res.peakInFlight).toBe(4);
    // 4 workers × ~300/30 rounds; timers are coarse, so bound loosely.
    expect(records.length).toBeGreaterThanOrEqual(4 * 5);
    expect(records.length).toBeLessThanOrEqual(4 * 11);
  });
});

describe('execute (closed loop options and groups)', () => {
  it('stops after maxRequests, pauses for think time, and shifts later phases when a phase ends when done', async () => {
    const clock = runRelativeClock(new RealClock());
    const records: AttemptRecord[] = [];
    const closed: ExecPhase = {
      name: 'batch', index: 0, startMs: 0, durationMs: 60_000, kind: 'closed', concurrency: 2,
      maxRequests: 6, endsWhenDone: true, thinkTimeMs: () => 20,
    };
    const after = constantPhase(1, 60_000, 100, 50);
    after.name = 'after';
    const res = await execute({
      plan: planOf([closed, after]),
      dispatch: delayedDispatch(clock, 10),
      recorder: { record: (r) => records.push(r) },
      clock,
      maxInFlight: 100,
    });
    const batch = records.filter((r) => r.phase === 'batch').sort((a, b) => a.startMs! - b.startMs!);
    expect(batch).toHaveLength(6);
    // Two workers, each: 10 ms request + 20 ms think: a worker's next start is ≥ 30 ms after its last.
    expect(batch[2]!.startMs! - batch[0]!.startMs!).toBeGreaterThanOrEqual(28);
    // The 'after' phase did not wait for the 60 s cap: it started right after the batch.
    const afterRecs = records.filter((r) => r.phase === 'after');
    expect(afterRecs).toHaveLength(5);
    expect(Math.min(...afterRecs.map((r) => r.targetedStartMs))).toBeLessThan(1_000);
    expect(res.endMs).toBeLessThan(5_000);
  });

  it("passes each slot's group to makeRequest and runs closed-loop workers per group", async () => {
    const clock = runRelativeClock(new RealClock());
    const seen: { group?: number; seq?: number }[] = [];
    const base = planOf([]);
    const plan: ExecPlan = {
      phases: [
        { name: 'o', index: 0, startMs: 0, durationMs: 50, kind: 'open', *slots() { for (let i = 0; i < 4; i++) yield { atMs: i * 10, group: i % 2, seq: i >> 1 }; } },
        { name: 'c', index: 1, startMs: 50, durationMs: 5_000, kind: 'closed', groups: [{ group: 0, concurrency: 1 }, { group: 1, concurrency: 2 }], maxRequests: 9 },
      ],
      totalDurationMs: 5_050,
      makeRequest: (id, phase, t, slot) => {
        seen.push({ group: slot?.group, seq: slot?.seq });
        return { ...base.makeRequest(id, phase, t), group: slot ? `g${slot.group}` : 'default' };
      },
    };
    const records: AttemptRecord[] = [];
    await execute({ plan, dispatch: delayedDispatch(clock, 5), recorder: { record: (r) => records.push(r) }, clock, maxInFlight: 10 });
    expect(seen.slice(0, 4)).toEqual([{ group: 0, seq: 0 }, { group: 1, seq: 0 }, { group: 0, seq: 1 }, { group: 1, seq: 1 }]);
    const closedRecs = records.filter((r) => r.phase === 'c');
    expect(closedRecs).toHaveLength(9);
    // Group 1 has twice the workers of group 0.
    expect(closedRecs.filter((r) => r.group === 'g1').length).toBeGreaterThan(closedRecs.filter((r) => r.group === 'g0').length);
  });
});
