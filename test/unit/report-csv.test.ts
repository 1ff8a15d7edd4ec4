import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../../src/metrics/record.js';
import { MetricsCollector } from '../../src/metrics/summary.js';
import { REQUEST_COLUMNS, SUMMARY_COLUMNS, TIMESERIES_COLUMNS, columnNames } from '../../src/report/columns.js';
import { openCsv } from '../../src/report/csv.js';
import { openRunReports, REDACTED } from '../../src/report/writers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'limitprobe-report-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const CONTRACT_HEADER =
  'request_id,attempt,group,phase,targeted_start_ms,start_ms,first_byte_ms,first_token_ms,end_ms,status,outcome,error_code,prompt_tokens,completion_tokens,prompt_tokens_estimate,retry_after_ms';
const FULL_HEADER = `${CONTRACT_HEADER},latency_ms,response_time_ms,ttft_ms,max_tokens,stream,ratelimit_remaining_requests,ratelimit_remaining_tokens,ratelimit_reset_requests_ms,ratelimit_reset_tokens_ms,bytes_in,error_message,first_targeted_start_ms`;

const limited: AttemptRecord = {
  requestId: 7,
  attempt: 2,
  group: 'chat',
  phase: 'steady',
  targetedStartMs: 1000,
  startMs: 1000.12345,
  firstByteMs: 1040.5,
  endMs: 1041,
  status: 429,
  outcome: 'rate_limited_tokens',
  errorCode: 'rate_limit_exceeded',
  errorMessage: 'Rate limit reached,\n"TPM"',
  promptTokensEstimate: 120,
  retryAfterMs: 644,
  maxTokens: 256,
  stream: true,
};

async function countLines(path: string): Promise<number> {
  let n = 0;
  for await (const _ of createInterface({ input: createReadStream(path) })) n++;
  return n;
}

describe('CSV writers', () => {
  it('requests.csv: exact header, empty cells for undefined, ms to 3 decimals, quoting', async () => {
    const path = join(dir, 'one.csv');
    const w = openCsv(path, REQUEST_COLUMNS);
    w.write(limited);
    await w.close();
    const [header, row, end] = (await readFile(path, 'utf8')).split('\n');
    expect(header).toBe(FULL_HEADER);
    expect(header.startsWith(`${CONTRACT_HEADER},`)).toBe(true);
    expect(row).toBe(
      '7,2,chat,steady,1000.000,1000.123,1040.500,,1041.000,429,rate_limited_tokens,rate_limit_exceeded,,,120,644.000,' +
        '40.877,41.000,,256,true,,,,,,"Rate limit reached, ""TPM""",',
    );
    expect(end).toBe('');
  });

  it('a dropped attempt has no start, latency or response time', async () => {
    const path = join(dir, 'dropped.csv');
    const w = openCsv(path, REQUEST_COLUMNS);
    w.write({ requestId: 1, attempt: 1, group: 'g', phase: 'p', targetedStartMs: 5, endMs: 5, outcome: 'dropped', promptTokensEstimate: 3 });
    await w.close();
    const row = (await readFile(path, 'utf8')).split('\n')[1];
    expect(row).toBe('1,1,g,p,5.000,,,,5.000,,dropped,,,,3,,,,,,,,,,,,,');
  });

  it('writes only the header when there are no rows', async () => {
    const path = join(dir, 'empty.csv');
    await openCsv(path, TIMESERIES_COLUMNS).close();
    expect(await readFile(path, 'utf8')).toBe(
      'second,offered,sent,ok,rate_limited_requests,rate_limited_tokens,rate_limited_other,other_errors,dropped,in_flight_max,tokens_in,tokens_out,latency_p50_ms,latency_p95_ms\n',
    );
  });

  it('streams 100k rows with backpressure', async () => {
    const path = join(dir, 'big.csv');
    const w = openCsv(path, REQUEST_COLUMNS);
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100_000; i++) {
      const ok = w.write({ ...limited, requestId: i, endMs: 1000 + i, errorMessage: undefined });
      if (!ok) await w.drained();
    }
    await w.close();
    const grown = process.memoryUsage().heapUsed - before;
    expect(w.rowsWritten).toBe(100_000);
    expect(await countLines(path)).toBe(100_001);
    expect(grown).toBeLessThan(64 * 1024 * 1024); // ~15 MB of CSV must not all be held at once
  });

  it('close() rejects with a typed error when the file cannot be written', async () => {
    const w = openCsv(join(dir, 'missing-dir', 'x.csv'), REQUEST_COLUMNS);
    await expect(w.close()).rejects.toMatchObject({ code: 'E_REPORT_WRITE' });
  });
});

describe('openRunReports', () => {
  it('creates the directory and all four files', async () => {
    const out = join(dir, 'nested', 'run-1');
    const reports = openRunReports(out);
    reports.recordAttempt(limited);
    reports.record({ ...limited, requestId: 8 });
    reports.writeTimeseriesRow({
      second: 0, offered: 2, sent: 2, ok: 0, rateLimitedRequests: 0, rateLimitedTokens: 2, rateLimitedOther: 0,
      otherErrors: 0, dropped: 0, tokensIn: 0, tokensOut: 0,
    });
    const m = new MetricsCollector();
    m.addPhase('steady', 0, 2000);
    m.record(limited);
    await reports.writeSummary(m.summaries());
    await reports.writeResolvedScenario({ target: { apiKey: 'sk-secret', apiKeyEnv: 'OPENAI_API_KEY', headers: { Authorization: 'Bearer x' } } });
    await reports.close();
    await reports.close(); // idempotent

    expect((await readFile(join(out, 'requests.csv'), 'utf8')).trim().split('\n')).toHaveLength(3);
    expect((await readFile(join(out, 'timeseries.csv'), 'utf8')).split('\n')[1]).toBe('0,2,2,0,0,2,0,0,0,,0,0,,');
    const summary = (await readFile(join(out, 'summary.csv'), 'utf8')).trim().split('\n');
    expect(summary[0]).toBe(columnNames(SUMMARY_COLUMNS).join(','));
    expect(summary.map((l) => l.split(',').slice(0, 2).join('/'))).toEqual(['scope/group', 'steady/*', 'total/*']);
    const scenario = JSON.parse(await readFile(join(out, 'scenario.resolved.json'), 'utf8'));
    expect(scenario).toEqual({ target: { apiKey: REDACTED, apiKeyEnv: 'OPENAI_API_KEY', headers: { Authorization: REDACTED } } });
  });
});
