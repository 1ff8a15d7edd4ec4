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
