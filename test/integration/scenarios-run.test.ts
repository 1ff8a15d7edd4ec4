/**
 * Every shipped shape scenario runs briefly against the embedded mock: the executor honours
 * each shape (arrivals, closed loop with think time and request caps, groups, conversations).
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/plan.js';
import { runScenario } from '../../src/run.js';
import { loadScenario } from '../../src/scenario/index.js';
import { readCsv } from '../helpers/csv.js';
import { tempDir } from '../helpers/cli.js';

const dir = resolve(import.meta.dirname, '../../scenarios');
const shapes = readdirSync(dir).filter((f) => /^shape-.*\.ya?ml$/.test(f));

describe('shipped shape scenarios run', () => {
  it('there is one per shape', () => expect(shapes.length).toBeGreaterThanOrEqual(6));

  it.each(shapes)('%s', { timeout: 60_000 }, async (f) => {
    const s = await loadScenario(join(dir, f));
    const out = tempDir();
    const res = await runScenario(s, { outDir: out });
    const rows = readCsv(join(out, 'requests.csv')).rows;
    const plan = buildPlan(s, { model: 'qwen2-7b-instruct' });
    for (const p of plan.phases) {
      const mine = rows.filter((r) => r.phase === p.name);
      if (p.kind === 'open') {
        // The achieved arrivals are the planned ones: same count, same targeted times …
        const planned = [...p.arrivals!()];
        expect(mine.map((r) => Number(r.targeted_start_ms)).sort((a, b) => a - b), p.name).toEqual(planned.map((t) => Number(t.toFixed(3))));
        // … and sent on time: per 500 ms window, the sends match the plan within a few (more on a
        // loaded machine, where sends lag: the allowance grows with the window's own lag).
        const windows = new Map<number, number>();
        for (const t of planned) windows.set(Math.floor(t / 500), (windows.get(Math.floor(t / 500)) ?? 0) + 1);
        for (const r of mine) {
          const w = Math.floor(Number(r.start_ms) / 500);
          windows.set(w, (windows.get(w) ?? 0) - 1);
        }
        const lagged = new Map<number, number>();
        for (const r of mine) {
          if (Number(r.start_ms) - Number(r.targeted_start_ms) > 20) {
            const w = Math.floor(Number(r.targeted_start_ms) / 500);
            lagged.set(w, (lagged.get(w) ?? 0) + 1);
          }
        }
        for (const [w, diff] of windows) expect(Math.abs(diff), `${p.name} window ${w}`).toBeLessThanOrEqual(3 + (lagged.get(w) ?? 0) + (lagged.get(w - 1) ?? 0));
      } else if (p.maxRequests !== undefined) {
        expect(mine.length, p.name).toBeLessThanOrEqual(p.maxRequests);
      }
    }
    const total = res.summaries.find((x) => x.scope === 'total' && x.group === '*')!;
    expect(total.attempts).toBeGreaterThan(0);
    expect(total.counts.network_error + total.counts.server_error + total.counts.bad_request).toBe(0);
    // Every phase that has load offered some.
    for (const p of s.phases) {
      const row = res.summaries.find((x) => x.scope === p.name && x.group === '*');
      expect(row, p.name).toBeDefined();
    }
    if (s.groups?.length) {
      const names = new Set(res.summaries.map((x) => x.group));
      for (const g of s.groups) expect(names.has(g.name), g.name).toBe(true);
    }
  });
});
