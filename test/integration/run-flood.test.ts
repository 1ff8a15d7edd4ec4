/** engine: autocannon floods the embedded mock and lands in the same reports, counts matching the mock's. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.js';
import { loadScenario } from '../../src/scenario/index.js';
import { readCsv } from '../helpers/csv.js';
import { ROOT, tempDir } from '../helpers/cli.js';

describe('autocannon engine', () => {
  it('floods the mock; accepted = the bucket arithmetic, every response one row, harness and mock agree', { timeout: 60_000 }, async () => {
    const s = await loadScenario(join(ROOT, 'scenarios/flood-qwen2.yaml'));
    const out = tempDir();
    const res = await runScenario(s, { outDir: out });
    const total = res.summaries.find((x) => x.scope === 'total')!;
    const mock = res.mockState as { admitted: number; rejectedTotal: number; rejected: Record<string, number> };
    // When the duration ends autocannon stops reading: requests in flight then (at most one per
    // connection) were answered by the mock but have no row. Everything else matches exactly.
    const inFlightAtStop = s.flood.connections * s.flood.pipelining;
    const rows = readCsv(join(out, 'requests.csv')).rows;
    const lost = mock.admitted + mock.rejectedTotal - rows.length;
    expect(lost).toBeGreaterThanOrEqual(0);
    expect(lost).toBeLessThanOrEqual(inFlightAtStop);
    expect(mock.admitted - total.counts.ok).toBeLessThanOrEqual(lost);
    expect(mock.rejected.rate_limited_requests - total.counts.rate_limited_requests).toBeLessThanOrEqual(lost);
    // 800 burst + 13.3/s refill over ~3 s of flood.
    expect(total.counts.ok).toBeGreaterThanOrEqual(800);
    expect(total.counts.ok).toBeLessThanOrEqual(800 + 14 * 4);
    expect(total.counts.rate_limited_requests).toBeGreaterThan(100);
    expect(new Set(rows.map((r) => r.request_id)).size).toBe(rows.length);
    expect(rows.filter((r) => r.outcome === 'ok').every((r) => r.prompt_tokens === '30' && r.completion_tokens === '4')).toBe(true);
    expect(res.thresholdsFailed).toBe(false);
  });
});
