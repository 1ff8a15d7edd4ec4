import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../../src/metrics/record.js';
import { MetricsCollector } from '../../src/metrics/summary.js';
import { evaluateThresholds, parseThresholds, thresholdPercentiles } from '../../src/metrics/thresholds.js';
import { formatThresholdResults } from '../../src/report/console.js';

function rec(i: number, outcome: AttemptRecord['outcome'], latency: number): AttemptRecord {
  return { requestId: i, attempt: 1, group: 'g', phase: 'p', targetedStartMs: 0, startMs: 0, endMs: latency, outcome, promptTokensEstimate: 1, status: outcome === 'ok' ? 200 : 429 };
}

describe('formatThresholdResults', () => {
  it('marks which threshold failed, in the metric unit, and says why there was no data', () => {
    const m = new MetricsCollector();
    for (let i = 0; i < 90; i++) m.record(rec(i, 'ok', 1500));
    for (let i = 90; i < 100; i++) m.record(rec(i, 'rate_limited_requests', 3));
    const ths = parseThresholds(['p95(response_time_ms) < 2000', 'rate(rate_limited) < 0.05 !abort', 'count(server_error) == 0', 'p99(ttft_ms) < 800']);
    const res = evaluateThresholds(ths, m.summaries({ percentiles: thresholdPercentiles(ths) }));
    expect(formatThresholdResults(res, { abortedBy: ['rate(rate_limited) < 0.05 !abort'] })).toBe(
      [
        'Thresholds',
        '  ok    p95(response_time_ms) < 2000      1.50s',
        '  FAIL  rate(rate_limited) < 0.05 !abort  0.1000 (10.00%)  (aborted the run)',
        '  ok    count(server_error) == 0          0',
        '  FAIL  p99(ttft_ms) < 800                no data (no ttft_ms samples)',
        '2 of 4 thresholds failed',
        '',
      ].join('\n'),
    );
    expect(formatThresholdResults([])).toBe('');
    const allOk = formatThresholdResults(res.filter((r) => r.ok), { color: true });
    expect(allOk).toContain('\x1b[32mall 2 thresholds passed\x1b[0m');
  });
});
