import { describe, expect, it } from 'vitest';
import { OUTCOMES } from '../../src/metrics/record.js';
import { MetricsCollector } from '../../src/metrics/summary.js';
import { SUMMARY_COLUMNS, columnNames, fixed, ms, toCells } from '../../src/report/columns.js';

describe('columns', () => {
  it('formats times with exactly 3 decimals and never prints -0', () => {
    expect(ms(12.5)).toBe('12.500');
    expect(ms(0.0004)).toBe('0.000');
    expect(ms(-0.0004)).toBe('0.000');
    expect(ms(-1.5)).toBe('-1.500');
    expect(ms(undefined)).toBeUndefined();
    expect(ms(Number.NaN)).toBeUndefined();
    expect(fixed(1 / 3, 6)).toBe('0.333333');
  });

  it('summary.csv: documented columns in order, one per outcome, then the extras', () => {
    const hist = (p: string) => ['p50', 'p90', 'p95', 'p99', 'max', 'mean'].map((s) => `${p}_${s}_ms`);
    expect(columnNames(SUMMARY_COLUMNS)).toEqual([
      'scope', 'group', 'duration_s', 'attempts', 'requests',
      ...OUTCOMES,
      'ok_rps', 'attempt_rps', 'input_tokens_per_s', 'output_tokens_per_s', 'cost_usd',
      ...hist('latency'), ...hist('response_time'), ...hist('ttft'), ...hist('itl'), ...hist('schedule_lag'),
      'interrupted', 'simulated',
      'input_tokens', 'output_tokens', 'input_tokens_estimate', 'usage_missing',
      ...['p50', 'p90', 'p95', 'p99', 'max', 'mean'].map((s) => `request_output_tokens_per_s_${s}`),
    ]);
  });

  it('summary cells: rates, cost, empty percentiles when nothing was measured', () => {
    const m = new MetricsCollector({ pricing: { inputPerMillionUsd: 0.2, outputPerMillionUsd: 0.6 } });
    m.addPhase('p', 0, 3000);
    m.record({ requestId: 1, attempt: 1, group: 'g', phase: 'p', targetedStartMs: 0, startMs: 0, endMs: 250, outcome: 'ok', promptTokens: 1000, completionTokens: 500, promptTokensEstimate: 990 });
    const [row] = m.summaries();
    const cells = Object.fromEntries(columnNames(SUMMARY_COLUMNS).map((n, i) => [n, toCells(SUMMARY_COLUMNS, row)[i]]));
    expect(cells).toMatchObject({
      scope: 'p', group: '*', duration_s: '3.000', attempts: '1', ok: '1', dropped: '0',
      ok_rps: '0.333', output_tokens_per_s: '166.667', cost_usd: '0.000500',
      latency_p50_ms: '250.000', latency_max_ms: '250.000', ttft_p95_ms: undefined, itl_mean_ms: undefined,
      interrupted: 'false', simulated: 'false', input_tokens_estimate: '990',
    });
  });
});
