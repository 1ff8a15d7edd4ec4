import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../../src/metrics/record.js';
import { ALL_GROUPS, MetricsCollector, TOTAL_SCOPE } from '../../src/metrics/summary.js';

function rec(p: Partial<AttemptRecord> & Pick<AttemptRecord, 'requestId' | 'outcome' | 'endMs'>): AttemptRecord {
  return { attempt: 1, group: 'g', phase: 'main', targetedStartMs: 0, promptTokensEstimate: 100, ...p };
}

describe('MetricsCollector', () => {
  it('computes counts, rates, tokens, cost and metric definitions on hand-made records', () => {
    const m = new MetricsCollector();
    m.addPhase('main', 0, 10_000);
    m.setTotalDuration(10_000);
    // ok, streamed, queued 50 ms before start: response time includes the queueing.
    m.record(rec({ requestId: 1, targetedStartMs: 1000, startMs: 1050, firstTokenMs: 1250, endMs: 2050, outcome: 'ok', promptTokens: 120, completionTokens: 81, stream: true }));
    // ok, non-streamed, no usage: input tokens fall back to the estimate, output to 0.
    m.record(rec({ requestId: 2, targetedStartMs: 2000, startMs: 2000, endMs: 2500, outcome: 'ok', promptTokensEstimate: 90 }));
    // 429 then its retry (same request, attempt 2) ok with one token: no ITL.
    m.record(rec({ requestId: 3, targetedStartMs: 3000, startMs: 3000, endMs: 3040, status: 429, outcome: 'rate_limited_tokens' }));
    m.record(rec({ requestId: 3, attempt: 2, targetedStartMs: 4000, startMs: 4010, firstTokenMs: 4100, endMs: 4100, outcome: 'ok', promptTokens: 100, completionTokens: 1 }));
    // dropped: never sent.
    m.record(rec({ requestId: 4, targetedStartMs: 5000, endMs: 5000, outcome: 'dropped' }));

    const [main, total] = m.summaries({ pricing: { inputPerMillionUsd: 2, outputPerMillionUsd: 10 } });
    expect(main.scope).toBe('main');
    expect(main.group).toBe(ALL_GROUPS);
    expect(total.scope).toBe(TOTAL_SCOPE);

    expect(main.durationS).toBe(10);
    expect(main.attempts).toBe(4);
    expect(main.requests).toBe(4);
    expect(main.counts.ok).toBe(3);
    expect(main.counts.rate_limited_tokens).toBe(1);
    expect(main.counts.dropped).toBe(1);
    expect(main.counts.server_error).toBe(0);
    expect(main.okRps).toBeCloseTo(0.3);
    expect(main.attemptRps).toBeCloseTo(0.4);

    // tokens: usage where present (120, 100), estimate otherwise (90)
    expect(main.inputTokens).toBe(310);
    expect(main.inputTokensEstimate).toBe(290);
    expect(main.usageMissing).toBe(1);
    expect(main.outputTokens).toBe(82);
    expect(main.inputTokensPerS).toBeCloseTo(31);
    expect(main.outputTokensPerS).toBeCloseTo(8.2);
    expect(main.costUsd).toBeCloseTo((310 * 2 + 82 * 10) / 1e6, 12);

    // latency = end − start over ok: 1000, 500, 90
    expect(main.latency.count).toBe(3);
    expect(main.latency.max).toBe(1000);
    expect(main.latency.mean).toBeCloseTo(530);
    // response time = end − targetedStart: 1050, 500, 100
    expect(main.responseTime.max).toBe(1050);
    expect(main.responseTime.p50).toBeCloseTo(500, 0);
    // TTFT over streamed ok: 200, 90
    expect(main.ttft.count).toBe(2);
    expect(main.ttft.max).toBe(200);
    // ITL = (2050 − 1250)/(81 − 1) = 10 ms; the 1-token response has none
    expect(main.itl.count).toBe(1);
    expect(main.itl.max).toBe(10);
    // schedule lag over all sent attempts: 50, 0, 0, 10
    expect(main.scheduleLag.count).toBe(4);
    expect(main.scheduleLag.max).toBe(50);
    expect(main.scheduleLag.mean).toBeCloseTo(15);

    expect(total).toMatchObject({ ...main, scope: TOTAL_SCOPE });
    expect(main.interrupted).toBe(false);
    expect(main.simulated).toBe(false);
  });

  it('emits phase, total and per-group rows when there are several groups', () => {
    const m = new MetricsCollector({ simulated: true });
    m.addPhase('warmup', 0, 2000);
    m.addPhase('steady', 2000, 8000);
    m.record(rec({ requestId: 1, phase: 'warmup', group: 'a', startMs: 0, endMs: 10, outcome: 'ok' }));
    m.record(rec({ requestId: 2, phase: 'steady', group: 'b', startMs: 2000, endMs: 2010, outcome: 'ok' }));
    m.record(rec({ requestId: 3, phase: 'steady', group: 'a', startMs: 2000, endMs: 2010, outcome: 'server_error', status: 500 }));
    const rows = m.summaries({ interrupted: true });
    expect(rows.map((r) => `${r.scope}/${r.group}`)).toEqual([
      'warmup/*', 'warmup/a', 'warmup/b',
      'steady/*', 'steady/a', 'steady/b',
      'total/*', 'total/a', 'total/b',
    ]);
    const by = (s: string, g: string) => rows.find((r) => r.scope === s && r.group === g)!;
    expect(by('total', '*').durationS).toBe(10); // span of phases when no total was set
    expect(by('steady', '*').okRps).toBeCloseTo(1 / 8);
    expect(by('total', 'a').attempts).toBe(2);
    expect(by('warmup', 'b').attempts).toBe(0);
    expect(by('warmup', 'b').latency.p50).toBeUndefined();
    expect(by('total', '*').costUsd).toBeUndefined();
    expect(rows.every((r) => r.interrupted && r.simulated)).toBe(true);
    // summaries() does not consume state: a second call gives the same numbers
    expect(m.summaries({ interrupted: true })).toEqual(rows);
  });

  it('leaves rates undefined when a phase has no known duration', () => {
    const m = new MetricsCollector();
    m.record(rec({ requestId: 1, phase: 'adhoc', startMs: 0, endMs: 5, outcome: 'ok' }));
    const [row, total] = m.summaries();
    expect(row.scope).toBe('adhoc');
    expect(row.okRps).toBeUndefined();
    expect(total.durationS).toBeUndefined();
  });
});
