/** Readers that rebuild a run from its files (used by `limitprobe report` and `compare`). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../../src/metrics/record.js';
import { MetricsCollector } from '../../src/metrics/summary.js';
import { SUMMARY_COLUMNS, toCells } from '../../src/report/columns.js';
import { formatSummaryTable } from '../../src/report/console.js';
import { openCsv } from '../../src/report/csv.js';
import { parseCsvText, readErrorBreakdown, readRunSummaries, readSummaryCsv, summaryFromRecord } from '../../src/report/read-run.js';
import { REQUEST_COLUMNS } from '../../src/report/columns.js';
import { tempDir } from '../helpers/cli.js';

function summaries() {
  const m = new MetricsCollector({ pricing: { inputPerMillionUsd: 0.5, outputPerMillionUsd: 1.5 }, simulated: true });
  m.addPhase('warm, "quoted"', 0, 3_000);
  m.addPhase('hot', 3_000, 7_000);
  let id = 0;
  for (let i = 0; i < 300; i++) {
    const t = i * 33.3;
    const phase = t < 3000 ? 'warm, "quoted"' : 'hot';
    const outcome = i % 7 === 0 ? 'rate_limited_tokens' : i % 29 === 0 ? 'dropped' : i % 31 === 0 ? 'timeout' : 'ok';
    const r: AttemptRecord = {
      requestId: ++id, attempt: 1, group: i % 2 ? 'a' : 'b', phase, targetedStartMs: t,
      startMs: outcome === 'dropped' ? undefined : t + (i % 5) * 0.37,
      firstTokenMs: outcome === 'ok' ? t + 40 + (i % 13) : undefined,
      endMs: t + (outcome === 'ok' ? 120 + (i % 17) * 3.1 : 4),
      outcome, promptTokens: outcome === 'ok' && i % 11 ? 250 + i : undefined,
      completionTokens: outcome === 'ok' ? 1 + (i % 40) : undefined, promptTokensEstimate: 249 + i,
    };
    m.record(r);
  }
  return m.summaries();
}

describe('summary.csv reader', () => {
  it('round-trips: columns → read → the same cells, for every row (phases, total, groups)', async () => {
    const rows = summaries();
    expect(rows.map((s) => `${s.scope}/${s.group}`)).toEqual(['warm, "quoted"/*', 'warm, "quoted"/b', 'warm, "quoted"/a', 'hot/*', 'hot/b', 'hot/a', 'total/*', 'total/b', 'total/a']);
    const dir = tempDir();
    const w = openCsv(join(dir, 'summary.csv'), SUMMARY_COLUMNS);
    for (const r of rows) w.write(r);
    await w.close();
    const back = await readRunSummaries(dir);
    expect(back).toHaveLength(rows.length);
    for (let i = 0; i < rows.length; i++) expect(toCells(SUMMARY_COLUMNS, back[i]!)).toEqual(toCells(SUMMARY_COLUMNS, rows[i]!));
    // what the CSV holds exactly comes back exactly
    const total = back.find((s) => s.scope === 'total' && s.group === '*')!;
    const orig = rows.find((s) => s.scope === 'total' && s.group === '*')!;
    expect(total.counts).toEqual(orig.counts);
    expect([total.attempts, total.requests, total.inputTokens, total.outputTokens, total.usageMissing]).toEqual([orig.attempts, orig.requests, orig.inputTokens, orig.outputTokens, orig.usageMissing]);
    expect(total.simulated).toBe(true);
    expect(total.latency.count).toBe(orig.latency.count); // = ok attempts
    expect(total.scheduleLag.count).toBe(orig.scheduleLag.count); // = sent attempts
    // so the console table regenerated from the file is the one the run printed
    expect(formatSummaryTable(back, { groups: true })).toBe(formatSummaryTable(rows, { groups: true }));
  });

  it('reads empty cells as not applicable and tolerates columns it does not know', () => {
    const [s] = parseCsvText('scope,group,attempts,ok,dropped,latency_p50_ms,ok_rps,some_future_column\nwarm,*,0,0,3,,,x\n').map(summaryFromRecord);
    expect(s).toMatchObject({ scope: 'warm', group: '*', attempts: 0, latency: { count: 0 } });
    expect(s!.okRps).toBeUndefined();
    expect(s!.counts.dropped).toBe(3);
    expect(s!.latency.p50).toBeUndefined();
  });

  it('names the file and what it lacks', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'summary.csv'), 'a,b\n1,2\n');
    await expect(readSummaryCsv(join(dir, 'summary.csv'))).rejects.toThrow(/summary\.csv: expected the columns scope, group, attempts, ok, found a header without them/);
    await expect(readRunSummaries(join(dir, 'missing'))).rejects.toThrow(/missing: expected a directory written by "limitprobe run", found nothing there/);
    await expect(readRunSummaries(join(dir, 'summary.csv'))).rejects.toThrow(/expected a directory, found a file/);
  });
});

describe('requests.csv error breakdown', () => {
  it('groups non-ok attempts by outcome, status and code, through quotes, commas and newlines', async () => {
    const dir = tempDir();
    const path = join(dir, 'requests.csv');
    const w = openCsv(path, REQUEST_COLUMNS);
    const base = { attempt: 1, group: 'g', targetedStartMs: 0, startMs: 1, endMs: 2, promptTokensEstimate: 1 } as const;
    w.write({ ...base, requestId: 1, phase: 'plain', outcome: 'ok', status: 200 });
    w.write({ ...base, requestId: 2, phase: 'a,b "c"', outcome: 'rate_limited_tokens', status: 429, errorCode: 'rate_limit_exceeded', errorMessage: 'Limit 10, Used 9, "Requested" 5' });
    w.write({ ...base, requestId: 3, phase: 'plain', outcome: 'rate_limited_tokens', status: 429, errorCode: 'rate_limit_exceeded', errorMessage: 'second' });
    w.write({ ...base, requestId: 4, phase: 'plain', outcome: 'timeout' });
    await w.close();
    // a quoted field spanning lines (not written by our writer, but valid CSV)
    const { appendFileSync } = await import('node:fs');
    appendFileSync(path, '5,1,g,"multi\nline",0.000,1.000,,,2.000,500,server_error,boom,,,1,,,,,,,,,,,,"x, y"\n');
    const groups = await readErrorBreakdown(path);
    expect(groups).toEqual([
      { outcome: 'rate_limited_tokens', status: '429', errorCode: 'rate_limit_exceeded', count: 2, example: 'Limit 10, Used 9, "Requested" 5', phases: ['a,b "c"', 'plain'] },
      { outcome: 'timeout', status: '', errorCode: '', count: 1, example: '', phases: ['plain'] },
      { outcome: 'server_error', status: '500', errorCode: 'boom', count: 1, example: 'x, y', phases: ['multi\nline'] },
    ]);
  });
});
