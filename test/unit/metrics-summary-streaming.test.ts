import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../../src/metrics/record.js';
import { ALL_GROUPS, MetricsCollector, TOTAL_SCOPE } from '../../src/metrics/summary.js';

function rec(p: Partial<AttemptRecord> & Pick<AttemptRecord, 'requestId' | 'outcome' | 'endMs'>): AttemptRecord {
  return { attempt: 1, group: 'g', phase: 'main', targetedStartMs: 0, promptTokensEstimate: 100, ...p };
}

describe('MetricsCollector: streaming metrics, min, extra percentiles, group rows', () => {
  it('counts ITL by tokens (usage), not chunks, and adds per-request output tokens/s', () => {
    const m = new MetricsCollector();
    m.addPhase('main', 0, 1000);
    // 41 tokens that arrived in, say, 4 chunks of ~10: ITL is per token = (500 − 100) / 40 = 10 ms
    m.record(rec({ requestId: 1, startMs: 0, firstTokenMs: 100, endMs: 500, outcome: 'ok', completionTokens: 41, stream: true }));
    // non-streamed: no TTFT/ITL, but output tokens/s = 50 / 0.25 s = 200
    m.record(rec({ requestId: 2, startMs: 0, endMs: 250, outcome: 'ok', completionTokens: 50 }));
    // a 429 contributes to neither
    m.record(rec({ requestId: 3, startMs: 0, endMs: 2, status: 429, outcome: 'rate_limited_requests', completionTokens: 0 }));
    // ok with no completion tokens: no rate value
    m.record(rec({ requestId: 4, startMs: 0, endMs: 10, outcome: 'ok', completionTokens: 0 }));
    const [main] = m.summaries();
    expect(main.itl.count).toBe(1);
    expect(main.itl.max).toBe(10);
    expect(main.ttft.count).toBe(1);
    expect(main.requestOutputTokensPerS.count).toBe(2);
    expect(main.requestOutputTokensPerS.min).toBeCloseTo(82, 9); // 41 / 0.5 s
    expect(main.requestOutputTokensPerS.max).toBeCloseTo(200, 9);
    expect(main.latency.min).toBe(10);
  });

  it('computes extra percentiles on request and never invents them otherwise', () => {
    const m = new MetricsCollector();
    for (let i = 1; i <= 1000; i++) m.record(rec({ requestId: i, startMs: 0, endMs: i, outcome: 'ok' }));
    const [plain] = m.summaries();
    expect(plain.latency.percentiles).toBeUndefined();
    expect(plain.latency.min).toBe(1);
    const [withP] = m.summaries({ percentiles: [97.5, 99.9] });
    expect(withP.latency.percentiles!['97.5']).toBeCloseTo(975, -1);
    expect(withP.latency.percentiles!['99.9']).toBeCloseTo(999, -1);
    expect(withP.ttft.percentiles).toEqual({ '97.5': undefined, '99.9': undefined });
  });

  it('keeps min exact when merging cells across phases and groups', () => {
    const m = new MetricsCollector();
    m.record(rec({ requestId: 1, phase: 'a', group: 'x', startMs: 0, endMs: 7, outcome: 'ok' }));
    m.record(rec({ requestId: 2, phase: 'b', group: 'y', startMs: 0, endMs: 3.25, outcome: 'ok' }));
    const rows = m.summaries();
    const total = rows.find((r) => r.scope === TOTAL_SCOPE && r.group === ALL_GROUPS)!;
    expect(total.latency.min).toBe(3.25);
    expect(rows.find((r) => r.scope === TOTAL_SCOPE && r.group === 'x')!.latency.min).toBe(7);
  });

  it('reports per group and total; a single group gets its own rows only when asked', () => {
    const one = new MetricsCollector();
    one.record(rec({ requestId: 1, group: 'solo', startMs: 0, endMs: 5, outcome: 'ok' }));
    expect(one.summaries().map((r) => `${r.scope}/${r.group}`)).toEqual(['main/*', 'total/*']);
    expect(one.summaries({ groupRows: 'always' }).map((r) => `${r.scope}/${r.group}`)).toEqual(['main/*', 'main/solo', 'total/*', 'total/solo']);
  });
});
