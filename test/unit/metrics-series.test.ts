import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../../src/metrics/record.js';
import { SeriesBuilder, type SeriesRow } from '../../src/metrics/series.js';

function rec(p: Partial<AttemptRecord> & Pick<AttemptRecord, 'requestId' | 'outcome' | 'endMs'>): AttemptRecord {
  return { attempt: 1, group: 'g', phase: 'p', targetedStartMs: 0, promptTokensEstimate: 10, ...p };
}

function builder(graceMs = 0, offeredFrom?: 'records' | 'calls') {
  const rows: SeriesRow[] = [];
  const s = new SeriesBuilder({ onRow: (r) => rows.push(r), graceMs, offeredFrom });
  return { s, rows };
}

describe('SeriesBuilder', () => {
  it('assigns each count to the second of its own time', () => {
    const { s, rows } = builder(10_000);
    // offered at 0.9 s, started at 1.2 s, ended ok at 3.5 s
    s.record(rec({ requestId: 1, targetedStartMs: 900, startMs: 1200, endMs: 3500, outcome: 'ok', promptTokens: 50, completionTokens: 7 }));
    // retry attempt: sent, not offered
    s.record(rec({ requestId: 2, attempt: 2, targetedStartMs: 1999.999, startMs: 2000, endMs: 2100, outcome: 'rate_limited_requests' }));
    s.record(rec({ requestId: 3, targetedStartMs: 2500, endMs: 2500, outcome: 'dropped' }));
    s.record(rec({ requestId: 4, targetedStartMs: 2600, startMs: 2600, endMs: 2700, outcome: 'rate_limited_tokens' }));
    s.record(rec({ requestId: 5, targetedStartMs: 2600, startMs: 2600, endMs: 2800, outcome: 'rate_limited_other' }));
    s.record(rec({ requestId: 6, targetedStartMs: 2600, startMs: 2600, endMs: 2900, outcome: 'timeout' }));
    s.sampleInFlight(1500, 3);
    s.sampleInFlight(1700, 5);
    s.sampleInFlight(1900, 1);
    expect(rows).toHaveLength(0); // still inside the grace window
    s.flush();
    expect(rows.map((r) => r.second)).toEqual([0, 1, 2, 3]);
    const [r0, r1, r2, r3] = rows;
    expect(r0).toMatchObject({ offered: 1, sent: 0, ok: 0 });
    expect(r0.inFlightMax).toBeUndefined();
    expect(r1).toMatchObject({ offered: 0, sent: 1, inFlightMax: 5 }); // a retry is sent, never offered
    expect(r2).toMatchObject({ offered: 4, sent: 4, rateLimitedRequests: 1, rateLimitedTokens: 1, rateLimitedOther: 1, otherErrors: 1, dropped: 1 });
    expect(r2.inFlightMax).toBe(1); // carried forward from the last sample
    expect(r3).toMatchObject({ ok: 1, tokensIn: 50, tokensOut: 7, latencyP50Ms: 2300, latencyP95Ms: 2300 });
  });

  it('streams a second once the watermark passes it plus the grace, with exact percentiles', () => {
    const { s, rows } = builder(1000);
    for (let i = 1; i <= 100; i++) s.record(rec({ requestId: i, targetedStartMs: 0, startMs: 0, endMs: 500, outcome: 'ok' }));
    for (let i = 1; i <= 20; i++) s.record(rec({ requestId: 100 + i, targetedStartMs: 1000, startMs: 1000, endMs: 1000 + i * 10, outcome: 'ok' }));
    expect(rows).toHaveLength(0);
    s.advance(1999);
    expect(rows).toHaveLength(0);
    s.advance(2000); // (0 + 1) × 1000 + 1000
    expect(rows.map((r) => r.second)).toEqual([0]);
    expect(rows[0]).toMatchObject({ ok: 100, latencyP50Ms: 500, latencyP95Ms: 500 });
    s.advance(3000);
    // latencies 10…200 ms: nearest rank p50 = 10th = 100, p95 = 19th = 190
    expect(rows[1]).toMatchObject({ second: 1, ok: 20, latencyP50Ms: 100, latencyP95Ms: 190 });
  });

  it('counts contributions for already emitted seconds as late, keeping the rest', () => {
    const { s, rows } = builder(0);
    s.advance(5000);
    expect(rows).toHaveLength(5);
    // started (and was offered) in second 1, which is closed; ends in the open second 5
    s.record(rec({ requestId: 1, targetedStartMs: 1000, startMs: 1000, endMs: 5500, outcome: 'ok' }));
    expect(s.late).toBe(2);
    s.flush(8000);
    expect(rows.map((r) => r.second)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(rows[5]).toMatchObject({ ok: 1, sent: 0, offered: 0 });
  });

  it("uses offered() calls instead of records when offeredFrom is 'calls'", () => {
    const { s, rows } = builder(0, 'calls');
    s.offered(100);
    s.offered(1100);
    s.offered(1200);
    s.record(rec({ requestId: 1, targetedStartMs: 100, startMs: 100, endMs: 200, outcome: 'ok' }));
    s.flush();
    expect(rows.map((r) => r.offered)).toEqual([1, 2]);
  });
});
