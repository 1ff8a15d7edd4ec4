/**
 * The whole pipeline against the embedded HTTP mock on a loopback port: JSON and streaming,
 * usage equal to the planned prompt, TTFT/ITL only where they apply, context-window errors,
 * the three CSVs and the resolved scenario.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.js';
import { parseScenario } from '../../src/scenario/index.js';
import { REQUEST_COLUMNS, SUMMARY_COLUMNS, TIMESERIES_COLUMNS } from '../../src/report/columns.js';
import { readCsv } from '../helpers/csv.js';
import { tempDir } from '../helpers/cli.js';

const CONTRACT = 'request_id,attempt,group,phase,targeted_start_ms,start_ms,first_byte_ms,first_token_ms,end_ms,status,outcome,error_code,prompt_tokens,completion_tokens,prompt_tokens_estimate,retry_after_ms';

function scenario(extra: Record<string, unknown> = {}) {
  return parseScenario({
    name: 'it',
    seed: 3,
    target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct', latency: { ttftMs: 20, tokensPerSecond: 500 } },
    request: { promptTokens: { dist: 'uniform', min: 50, max: 400 }, maxTokens: 16 },
    phases: [
      { name: 'json', duration: 1, arrival: { type: 'constant', rate: 20 } },
      { name: 'sse', duration: 1, arrival: { type: 'poisson', rate: 20 }, request: { stream: true } },
      { name: 'closed', duration: 0.5, concurrency: 3 },
    ],
    ...extra,
  });
}

describe('runScenario against the HTTP mock', () => {
  it('records every attempt with usage equal to the plan, JSON and streaming, and writes the reports', async () => {
    const out = tempDir();
    const res = await runScenario(scenario(), { outDir: out });
    expect(res.interrupted).toBe(false);

    const req = readCsv(join(out, 'requests.csv'));
    expect(req.header.slice(0, 16).join(',')).toBe(CONTRACT);
    expect(req.header).toEqual(REQUEST_COLUMNS.map((c) => c.name));
    expect(req.rows.length).toBe(res.execution.attempts);
    expect(req.rows.every((r) => r.outcome === 'ok' && r.status === '200')).toBe(true);
    for (const r of req.rows) {
      // The mock counts with the same tokenizer: server usage equals our exact prompt.
      expect(r.prompt_tokens).toBe(r.prompt_tokens_estimate);
      expect(r.completion_tokens).toBe('16');
      expect(Number(r.end_ms)).toBeGreaterThanOrEqual(Number(r.start_ms));
      expect(Number(r.start_ms)).toBeGreaterThanOrEqual(Number(r.targeted_start_ms));
    }
    const sse = req.rows.filter((r) => r.phase === 'sse');
    expect(sse.length).toBeGreaterThan(5);
    expect(sse.every((r) => r.first_token_ms !== '' && r.stream === 'true')).toBe(true);
    // TTFT ≥ the mock's 20 ms time to first token; JSON responses have no first token.
    expect(sse.every((r) => Number(r.ttft_ms) >= 19)).toBe(true);
    expect(req.rows.filter((r) => r.phase === 'json').every((r) => r.first_token_ms === '')).toBe(true);
    expect(req.rows.filter((r) => r.phase === 'json')).toHaveLength(20);

    const sum = readCsv(join(out, 'summary.csv'));
    expect(sum.header).toEqual(SUMMARY_COLUMNS.map((c) => c.name));
    expect(sum.rows.map((r) => r.scope)).toEqual(['json', 'sse', 'closed', 'total']);
    const total = sum.rows.at(-1)!;
    expect(Number(total.ok)).toBe(req.rows.length);
    expect(Number(total.cost_usd)).toBeGreaterThan(0);
    // ITL at 500 tok/s is ~2 ms per token.
    const sseRow = sum.rows.find((r) => r.scope === 'sse')!;
    expect(Number(sseRow.itl_p50_ms)).toBeGreaterThan(1);
    expect(Number(sseRow.itl_p50_ms)).toBeLessThan(10);

    const ts = readCsv(join(out, 'timeseries.csv'));
    expect(ts.header).toEqual(TIMESERIES_COLUMNS.map((c) => c.name));
    expect(ts.rows.reduce((a, r) => a + Number(r.sent), 0)).toBe(req.rows.length);

    const resolved = JSON.parse(readFileSync(join(out, 'scenario.resolved.json'), 'utf8'));
    expect(resolved.name).toBe('it');
    expect(existsSync(join(out, 'mock-state.json'))).toBe(true);
    expect((res.mockState as { admitted: number }).admitted).toBe(req.rows.length);
  });

  it('classifies prompts over the context window as context_exceeded, with the mock agreeing', async () => {
    const out = tempDir();
    const s = scenario({
      target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct', limits: { contextWindow: 1000 }, latency: { ttftMs: 1 } },
      request: { promptTokens: { dist: 'uniform', min: 600, max: 1400 }, maxTokens: 100 },
      phases: [{ name: 'ctx', duration: 1, arrival: { type: 'constant', rate: 40 } }],
    });
    const res = await runScenario(s, { outDir: out });
    const { rows } = readCsv(join(out, 'requests.csv'));
    const over = rows.filter((r) => Number(r.prompt_tokens_estimate) + 100 > 1000);
    expect(over.length).toBeGreaterThan(5);
    for (const r of over) {
      expect(r.status).toBe('400');
      expect(r.outcome).toBe('context_exceeded');
      expect(r.error_code).toBe('context_length_exceeded');
      expect(r.error_message).toMatch(/maximum context length is 1000 tokens/);
    }
    expect(rows.filter((r) => r.outcome === 'ok')).toHaveLength(rows.length - over.length);
    expect((res.mockState as { rejected: Record<string, number> }).rejected.context_exceeded).toBe(over.length);
  });

  it('records timeouts and network errors as outcomes, never as a crash', async () => {
    const out = tempDir();
    // Nothing listens on port 9 (discard) on loopback: every attempt is a network error.
    const s = parseScenario({
      name: 'down',
      target: { kind: 'http', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' },
      request: { promptTokens: 5, maxTokens: 1 },
      phases: [{ duration: 0.3, arrival: { type: 'constant', rate: 10 } }],
    });
    const res = await runScenario(s, { outDir: out });
    const { rows } = readCsv(join(out, 'requests.csv'));
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.outcome === 'network_error' && r.status === '' && r.error_code !== '')).toBe(true);
    expect(res.summaries.find((x) => x.scope === 'total')!.counts.network_error).toBe(3);
  });
});
