/** Every example users copy from scenarios/ loads and validates, and points editors at the schema. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/index.js';
import { buildPlan } from '../../src/plan/plan.js';

const dir = resolve(import.meta.dirname, '../../scenarios');
const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f));

describe('shipped scenarios', () => {
  it('exist', () => expect(files).toContain('quickstart.yaml'));
  it.each(files)('%s loads, validates and plans', async (f) => {
    const s = await loadScenario(join(dir, f));
    expect(s.phases.length).toBeGreaterThan(0);
    const plan = buildPlan(s, { model: 'qwen2-7b-instruct' });
    expect(plan.totalDurationMs).toBeGreaterThan(0);
    if (f.endsWith('.yaml') || f.endsWith('.yml')) {
      expect(readFileSync(join(dir, f), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../scenario.schema.json');
    }
  });
});
