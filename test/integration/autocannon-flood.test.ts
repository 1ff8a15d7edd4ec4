/**
 * autocannon floods a real node:http server on loopback (port 0). The server is the referee:
 * it counts what it received and what it answered; the flood's records, our summary rows and
 * autocannon's own counters must agree with it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyResponse, runFlood } from '../../src/client/autocannon-flood.js';
import type { AttemptRecord } from '../../src/metrics/record.js';
import { SeriesBuilder, type SeriesRow } from '../../src/metrics/series.js';
import { ALL_GROUPS, MetricsCollector, TOTAL_SCOPE } from '../../src/metrics/summary.js';

interface Referee {
  received: number;
  indices: number[];
  byStatus: Record<number, number>;
}

const RPM_429 = JSON.stringify({
  error: { message: 'Rate limit reached for gpt-4o in organization org-x on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.', type: 'requests', param: null, code: 'rate_limit_exceeded' },
});
const TPM_429 = JSON.stringify({
  error: { message: 'Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 100, Used 90, Requested 20. Please try again in 6s.', type: 'tokens', param: null, code: 'rate_limit_exceeded' },
});

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** Answers by the `i` in the JSON body: i%5==1 → 429 RPM, i%5==3 → 429 TPM, i%50==7 → 500, i in hang → never. */
async function start(hang: Set<number> = new Set()): Promise<{ url: string; ref: Referee }> {
  const ref: Referee = { received: 0, indices: [], byStatus: {} };
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      ref.received++;
      const i = (JSON.parse(body) as { i: number }).i;
      ref.indices.push(i);
      if (hang.has(i)) return; // never answered: the client must time out
      const send = (status: number, text: string, headers: Record<string, string> = {}) => {
        ref.byStatus[status] = (ref.byStatus[status] ?? 0) + 1;
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(text);
      };
      if (i % 50 === 7) send(500, JSON.stringify({ error: { message: 'boom', type: 'server_error', code: null } }));
      else if (i % 5 === 1) send(429, RPM_429, { 'retry-after-ms': '20000', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-limit-requests': '3' });
      else if (i % 5 === 3) send(429, TPM_429, { 'retry-after': '6' });
      else send(200, JSON.stringify({ id: `c${i}`, choices: [{ message: { role: 'assistant', content: 'hi' } }], usage: { prompt_tokens: 10 + (i % 3), completion_tokens: 5, total_tokens: 15 + (i % 3) } }));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/chat/completions`, ref };
}

describe('runFlood (autocannon) against a real loopback server', () => {
  it('maps every response into records whose counts, tokens and summary rows match the server', async () => {
    const { url, ref } = await start();
    const records: AttemptRecord[] = [];
    const collector = new MetricsCollector();
    const rows: SeriesRow[] = [];
    const series = new SeriesBuilder({ onRow: (r) => rows.push(r), graceMs: 60_000 });
    const N = 400;
    const result = await runFlood({
      url,
      amount: N,
      connections: 4,
      bodies: (i) => JSON.stringify({ i, model: 'x', messages: [{ role: 'user', content: 'hi' }] }),
      recorder: {
        record(r) {
          records.push(r);
          collector.record(r);
          series.record(r);
        },
      },
      phase: 'flood',
      group: 'raw',
    });
    series.flush();

    // the server got exactly N requests, one per templated body index, each once
    expect(ref.received).toBe(N);
    expect([...ref.indices].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));

    // one record per response, classified from the body (openai dialect)
    const expected = { ok: 0, rpm: 0, tpm: 0, err: 0 };
    for (let i = 0; i < N; i++) {
      if (i % 50 === 7) expected.err++;
      else if (i % 5 === 1) expected.rpm++;
      else if (i % 5 === 3) expected.tpm++;
      else expected.ok++;
    }
    expect(result.attempts).toBe(N);
    expect(records).toHaveLength(N);
    expect(result.counts).toMatchObject({ ok: expected.ok, rate_limited_requests: expected.rpm, rate_limited_tokens: expected.tpm, server_error: expected.err, timeout: 0, network_error: 0 });
    expect(result.statusCounts).toEqual({ 200: ref.byStatus[200], 429: ref.byStatus[429], 500: ref.byStatus[500] });
    expect(ref.byStatus[200]).toBe(expected.ok);

    // autocannon's own counters agree
    expect(result.autocannon.statusCodeStats).toEqual({ 200: expected.ok, 429: expected.rpm + expected.tpm, 500: expected.err });
    expect(result.autocannon.responses).toBe(N);
    expect(result.autocannon.non2xx).toBe(N - expected.ok);
    expect(result.autocannon.errors).toBe(0);
    const lat = result.autocannon.latencyMs;
    expect(lat.p50).toBeLessThanOrEqual(lat.p90);
    expect(lat.p90).toBeLessThanOrEqual(lat.p97_5);
    expect(lat.p97_5).toBeLessThanOrEqual(lat.p99);

    // record fields: 429s carry retry-after and rate-limit headers; ok ones carry usage
    const rpm = records.find((r) => r.outcome === 'rate_limited_requests')!;
    expect(rpm).toMatchObject({ status: 429, errorCode: 'rate_limit_exceeded', retryAfterMs: 20_000, rateLimit: { remainingRequests: 0, limitRequests: 3 }, group: 'raw', phase: 'flood', attempt: 1 });
    expect(records.find((r) => r.outcome === 'rate_limited_tokens')!.retryAfterMs).toBe(6000);
    const ok = records.filter((r) => r.outcome === 'ok');
    expect(ok.every((r) => r.completionTokens === 5 && r.startMs! <= r.endMs && r.targetedStartMs === r.startMs && r.bytesIn! > 0)).toBe(true);
    expect(new Set(records.map((r) => r.requestId)).size).toBe(N);

    // the summary rows (the same code as every other run) match the server's counts
    const total = collector.summaries().find((s) => s.scope === TOTAL_SCOPE && s.group === ALL_GROUPS)!;
    expect(total.attempts).toBe(ref.received);
    expect(total.counts.ok).toBe(ref.byStatus[200]);
    expect(total.counts.rate_limited_requests + total.counts.rate_limited_tokens).toBe(ref.byStatus[429]);
    expect(total.counts.server_error).toBe(ref.byStatus[500]);
    expect(total.outputTokens).toBe(5 * expected.ok);
    let promptTokens = 0;
    for (let i = 0; i < N; i++) if (!(i % 50 === 7 || i % 5 === 1 || i % 5 === 3)) promptTokens += 10 + (i % 3);
    expect(total.inputTokens).toBe(promptTokens);
    expect(total.latency.count).toBe(expected.ok);
    expect(total.latency.p95).toBeDefined();
    expect(total.latency.p95!).toBeLessThanOrEqual(total.latency.max!);
    expect(total.scheduleLag.max).toBe(0);

    // the per-second series accounts for every response
    expect(rows.reduce((n, r) => n + r.ok, 0)).toBe(expected.ok);
    expect(rows.reduce((n, r) => n + r.rateLimitedRequests + r.rateLimitedTokens, 0)).toBe(expected.rpm + expected.tpm);
    expect(rows.reduce((n, r) => n + r.sent, 0)).toBe(N);
  });

  it('records a timeout for every request the server never answers; fixed bodies cycle in order', async () => {
    const hang = new Set([2, 5]);
    const { url, ref } = await start(hang);
    const bodies = Array.from({ length: 10 }, (_, i) => JSON.stringify({ i }));
    const records: AttemptRecord[] = [];
    const result = await runFlood({ url, amount: 30, connections: 2, bodies, timeoutMs: 1000, recorder: { record: (r) => records.push(r) } });
    // bodies cycle 0…9, 0…9, 0…9: each of 2 and 5 is sent three times and never answered
    expect(ref.received).toBe(30);
    expect([...ref.indices].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => Math.floor(i / 3)));
    expect(result.counts.timeout).toBe(6);
    expect(result.autocannon.timeouts).toBe(6);
    expect(result.attempts).toBe(30);
    const t = records.find((r) => r.outcome === 'timeout')!;
    expect(t.endMs - t.startMs!).toBe(1000);
    expect(t.status).toBeUndefined();
  });

  it('with pipelining, every record is a response autocannon saw and the server answered', async () => {
    const { url, ref } = await start();
    const records: AttemptRecord[] = [];
    const result = await runFlood({ url, amount: 200, connections: 2, pipelining: 4, bodies: (i) => JSON.stringify({ i }), recorder: { record: (r) => records.push(r) } });
    const answered = Object.values(ref.byStatus).reduce((a, b) => a + b, 0);
    expect(records.length).toBe(result.autocannon.responses);
    expect(result.counts.ok + result.counts.rate_limited_requests + result.counts.rate_limited_tokens + result.counts.server_error).toBe(records.length);
    // the last pipelining − 1 requests of each connection may be abandoned (see the module comment)
    expect(records.length).toBeGreaterThanOrEqual(200 - 2 * 3);
    expect(records.length).toBeLessThanOrEqual(answered);
    expect(ref.received).toBeLessThanOrEqual(200);
  });

  it('rejects a timeout autocannon cannot honour', async () => {
    await expect(runFlood({ url: 'http://127.0.0.1:9/', amount: 1, timeoutMs: 300 })).rejects.toThrow(/timeoutMs: expected at least 1000 ms/);
  });

  it('classifies by status only when asked (autocannon alone has no bodies to read)', () => {
    expect(classifyResponse(429, RPM_429, {}, false).outcome).toBe('rate_limited_other');
    expect(classifyResponse(503, '', {}, false).outcome).toBe('overloaded');
    expect(classifyResponse(200, 'not json', {}, 'openai')).toEqual({ outcome: 'ok' });
    expect(classifyResponse(429, RPM_429, { 'Retry-After-Ms': '1500' }, 'openai')).toMatchObject({ outcome: 'rate_limited_requests', retryAfterMs: 1500 });
  });

  it('stops on abort', async () => {
    const { url, ref } = await start();
    const ac = new AbortController();
    const p = runFlood({ url, durationMs: 60_000, connections: 2, body: JSON.stringify({ i: 0 }), signal: ac.signal, recorder: { record: (r) => r.requestId === 50 && ac.abort() } });
    const result = await p;
    expect(result.attempts).toBeGreaterThanOrEqual(51);
    expect(result.attempts).toBeLessThanOrEqual(ref.received);
  });
});
