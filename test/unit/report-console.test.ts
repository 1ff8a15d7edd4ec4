import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../../src/metrics/record.js';
import { MetricsCollector } from '../../src/metrics/summary.js';
import { formatDuration, formatRate, formatSummaryTable } from '../../src/report/console.js';

function collector(opts: ConstructorParameters<typeof MetricsCollector>[0] = {}) {
  const m = new MetricsCollector(opts);
  m.addPhase('warmup', 0, 10_000);
  m.addPhase('steady', 10_000, 50_000);
  const base = { attempt: 1, targetedStartMs: 0, promptTokensEstimate: 10 } as const;
  const recs: AttemptRecord[] = [
    { ...base, requestId: 1, group: 'a', phase: 'warmup', startMs: 0, firstTokenMs: 200, endMs: 800, outcome: 'ok', completionTokens: 100 },
    { ...base, requestId: 2, group: 'b', phase: 'steady', startMs: 10_000, endMs: 10_030, outcome: 'rate_limited_requests', status: 429 },
    { ...base, requestId: 3, group: 'a', phase: 'steady', startMs: 10_000, endMs: 12_500, outcome: 'server_error', status: 500 },
    { ...base, requestId: 4, group: 'a', phase: 'steady', endMs: 10_000, outcome: 'dropped' },
  ];
  for (const r of recs) m.record(r);
  return m;
}

describe('console summary', () => {
  it('formats durations and rates compactly', () => {
    expect(formatDuration(0.42)).toBe('0.42ms');
    expect(formatDuration(812.4)).toBe('812ms');
    expect(formatDuration(1320)).toBe('1.32s');
    expect(formatDuration(83_400)).toBe('1m23.4s');
    expect(formatDuration(undefined)).toBe('-');
    expect(formatRate(3.14159)).toBe('3.14');
    expect(formatRate(1234.56)).toBe('1234.6');
    expect(formatRate(123_456.7)).toBe('123,457');
  });

  it('prints aligned rows per phase and total, TTFT when streamed, cost when priced', () => {
    const text = formatSummaryTable(collector({ pricing: { inputPerMillionUsd: 1, outputPerMillionUsd: 2 } }).summaries());
    const lines = text.split('\n');
    const head = lines[1];
    expect(head).toMatch(/sent\s+ok\s+429 req\s+429 tok\s+429 other\s+errors\s+dropped\s+ok\/s\s+out tok\/s\s+cost$/);
    const body = lines.slice(2, 5);
    expect(body.map((l) => l.split(/\s+/)[0])).toEqual(['warmup', 'steady', 'total']);
    // every row of the block has the same width: columns are right-aligned under the header
    expect(new Set([head, ...body].map((l) => l.length)).size).toBe(1);
    expect(lines.find((l) => l.startsWith('steady'))).toMatch(/^steady\s+2\s+0\s+1\s+0\s+0\s+1\s+1\s+0\.00\s+0\.00\s+\$0\.0000$/);
    expect(text).toContain('ttft p95');
    expect(lines.find((l) => l.startsWith('warmup') && l.includes('ms'))).toMatch(/^warmup\s+800ms\s+800ms\s+800ms\s+800ms\s+800ms\s+800ms\s+200ms$/);
    expect(text).toContain('errors: server_error 1');
    expect(text).not.toContain('\x1b[');
  });

  it('hides cost without pricing, adds group rows and colours on request', () => {
    const summaries = collector({ simulated: true }).summaries();
    const plain = formatSummaryTable(summaries, { groups: true });
    expect(plain).not.toContain('cost');
    expect(plain).toContain('  total/a');
    expect(plain.split('\n')[0]).toBe('Summary (virtual time)');
    expect(formatSummaryTable(summaries, { color: true })).toContain('\x1b[1m');
    expect(formatSummaryTable([])).toBe('no results\n');
  });
});
