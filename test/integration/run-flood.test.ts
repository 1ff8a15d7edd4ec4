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
    const rows = readCsv(join(out, 'requests.csv')).rows;
    // A fixed amount: every request answered, one row each, and the mock's counts match exactly.
    expect(rows).toHaveLength(2000);
    expect(mock.admitted + mock.rejectedTotal).toBe(2000);
    expect(total.counts.ok).toBe(mock.admitted);
    expect(total.counts.rate_limited_requests).toBe(mock.rejected.rate_limited_requests);
    // 800 burst + 13.3/s refill over the flood's span.
    const spanS = (Math.max(...rows.map((r) => Number(r.end_ms))) - Math.min(...rows.map((r) => Number(r.start_ms)))) / 1000;
    expect(total.counts.ok).toBeGreaterThanOrEqual(800);
    expect(total.counts.ok).toBeLessThanOrEqual(800 + Math.ceil((800 / 60) * spanS) + 1);
    expect(total.counts.rate_limited_requests).toBeGreaterThan(100);
    expect(new Set(rows.map((r) => r.request_id)).size).toBe(rows.length);
    expect(rows.filter((r) => r.outcome === 'ok').every((r) => r.prompt_tokens === '30' && r.completion_tokens === '4')).toBe(true);
    expect(res.thresholdsFailed).toBe(false);
  });
});
