/**
 * Keeps the dependency direction of ARCHITECTURE.md true: a module may import only the
 * modules its row allows. Reads import lines of every source file (static and dynamic).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** Module of a repo-relative path: src/<dir>, src/<file>, or mock-server(/core). */
function moduleOf(rel: string): string {
  const parts = rel.split('/');
  if (parts[0] === 'mock-server') return parts[1] === 'core' ? 'mock-server/core' : 'mock-server';
  if (parts[0] !== 'src') return parts[0]!;
  if (parts.length === 2) return parts[1]!.replace(/\.ts$/, '');
  // metrics/record and metrics/classify are the pure types/rules clients may use.
  if (parts[1] === 'metrics' && (parts[2] === 'record.ts' || parts[2] === 'classify.ts')) return `metrics/${parts[2].replace('.ts', '')}`;
  return parts[1]!;
}

const base = ['errors', 'clock', 'protocol'];
const allowed: Record<string, string[]> = {
  errors: [],
  clock: [],
  protocol: ['metrics/record'],
  tokens: ['protocol', 'plan'],
  scenario: ['errors', 'protocol'],
  plan: ['scenario', 'errors', 'tokens', 'exec'],
  exec: ['plan', 'clock', 'errors', 'metrics/record'],
  client: ['exec', ...base, 'tokens', 'metrics/record', 'metrics/classify', 'mock-server/core'],
  metrics: ['exec', 'protocol', 'errors', 'metrics/record', 'metrics/classify'],
  'metrics/record': ['protocol'],
  'metrics/classify': ['metrics/record', 'protocol', 'errors'],
  report: ['metrics', 'metrics/record', 'metrics/classify', 'exec', 'errors'],
  cli: ['index', 'errors', 'mock-server'],
  'mock-server/core': [...base, 'tokens', 'plan'],
  'mock-server': [...base, 'tokens', 'plan', 'mock-server/core'],
};
// run.ts and index.ts may import all of src except cli, and mock-server/index.ts.
// capacity/ runs whole scenarios (simulated) many times: it sits beside run.ts.
// probe/ drives dispatches (live or simulated) stage by stage; shard/ wraps plans and merges
// whole run directories: both orchestrate like run.ts.
const composition = ['run', 'run-target', 'run-target-sim', 'run-flood', 'run-matrix', 'capacity', 'probe', 'shard', 'index'];

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = m[1] ?? m[2]!;
    if (spec.startsWith('.')) out.push(relative(root, resolve(dirname(file), spec)).replace(/\.js$/, '.ts'));
  }
  return out;
}

describe('import rules', () => {
  const violations: string[] = [];
  let scanned = 0;
  for (const top of ['src', 'mock-server']) {
    for (const file of files(join(root, top))) {
      const rel = relative(root, file);
      const from = moduleOf(rel);
      for (const target of importsOf(file)) {
        scanned++;
        const to = moduleOf(target);
        if (to === from || from.startsWith(to + '/') || to.startsWith(from + '/')) continue;
        if (composition.includes(from)) {
          if (to === 'cli') violations.push(`${rel} → ${target} (composition root must not import cli)`);
          continue;
        }
        const ok = allowed[from];
        if (!ok) {
          violations.push(`${rel}: module "${from}" has no row in the import rules`);
          continue;
        }
        if (!ok.includes(to)) violations.push(`${rel} → ${target} ("${from}" may import only: ${ok.join(', ') || 'nothing'})`);
      }
    }
  }

  it('every import points downstream', () => {
    expect(scanned).toBeGreaterThan(20);
    expect(violations).toEqual([]);
  });
});
