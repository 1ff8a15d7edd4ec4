/**
 * plan.csv (one row per point tried, in the order tried: the value, the verdicts, which limit
 * bound, and the run's total summary row with the same columns as summary.csv) and the
 * console view: the curve sorted by value and the answer.
 */
import { openCsv } from '../report/csv.js';
import { SUMMARY_COLUMNS, fixed, type Column } from '../report/columns.js';
import type { PlanPoint, PlanResult } from './planner.js';

const num = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? undefined : String(+v.toFixed(6)));

export function planColumns(sloCount: number): Column<PlanPoint>[] {
  const cols: Column<PlanPoint>[] = [
    { name: 'point', cell: (p) => String(p.index) },
    { name: 'stage', cell: (p) => p.stage },
    { name: 'param', cell: (p) => p.param },
    { name: 'value', cell: (p) => num(p.value) },
    { name: 'pass', cell: (p) => String(p.pass) },
    { name: 'failed', cell: (p) => p.verdicts.filter((v) => !v.ok).map((v) => v.expr).join('; ') || undefined },
    { name: 'focus', cell: (p) => p.focus.scope },
    { name: 'binding', cell: (p) => p.binding },
    { name: 'focus_ok', cell: (p) => String(p.focus.counts.ok) },
    { name: 'focus_rate_limited_requests', cell: (p) => String(p.focus.counts.rate_limited_requests) },
    { name: 'focus_rate_limited_tokens', cell: (p) => String(p.focus.counts.rate_limited_tokens) },
  ];
  for (let i = 0; i < sloCount; i++) {
    cols.push({ name: `slo${i + 1}_observed`, cell: (p) => num(p.verdicts[i]?.observed) });
    cols.push({ name: `slo${i + 1}_ok`, cell: (p) => (p.verdicts[i] ? String(p.verdicts[i]!.ok) : undefined) });
  }
  cols.push({ name: 'wall_ms', cell: (p) => fixed(p.wallMs, 1) });
  for (const c of SUMMARY_COLUMNS) cols.push({ name: c.name, cell: (p) => c.cell(p.total) });
  return cols;
}

export async function writePlanCsv(path: string, plan: PlanResult): Promise<void> {
  const w = openCsv(path, planColumns(plan.slos.length));
  for (const p of plan.points) w.write(p);
  await w.close();
}

function fmt(v: number | undefined): string {
  if (v === undefined) return '—';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  return a >= 100 ? v.toLocaleString('en-US', { maximumFractionDigits: 1 }) : a >= 1 ? v.toFixed(2) : v.toPrecision(4);
}

/** The curve (one line per point, by value) and the answer, as printed by `limitprobe plan`. */
export function formatPlan(plan: PlanResult): string {
  const lines: string[] = [];
  const how = plan.mode === 'grid' ? 'grid' : plan.mode === 'bisect' ? 'bisection' : plan.monotonic ? 'grid, then bisection (monotonic)' : 'grid (NOT monotonic: the answer is local)';
  const wall = plan.points.reduce((a, p) => a + p.wallMs, 0);
  const fixedAt = plan.set.length ? ` with ${plan.set.map((f) => `${f.param} = ${fmt(f.value)}`).join(', ')}` : '';
  lines.push(`plan ${plan.scenario}: vary ${plan.param} (${plan.unit}) from ${fmt(plan.from)} to ${fmt(plan.to)}${fixedAt}; ${how}; ${plan.points.length} points simulated in ${(wall / 1000).toFixed(2)} s`);
  lines.push(`  ok % and binding (the limit that rejected more) are of ${plan.focusScope === 'total' ? 'the whole run' : `phase ${plan.focusScope}`}`);
  plan.slos.forEach((e, i) => lines.push(`  [${i + 1}] ${e}`));
  const header = ['value', 'pass', ...plan.slos.map((_, i) => `[${i + 1}]`), 'ok %', 'binding', 'ok share'];
  const rows = [...plan.points]
    .sort((a, b) => a.value - b.value)
    .map((p) => {
      const all = p.focus.attempts + p.focus.counts.dropped;
      const okRate = all ? p.focus.counts.ok / all : 0;
      const bar = '█'.repeat(Math.round(okRate * 20)).padEnd(20, '·');
      return [fmt(p.value), p.pass ? 'yes' : 'NO', ...p.verdicts.map((v) => `${fmt(v.observed)}${v.ok ? '' : ' ✗'}`), (okRate * 100).toFixed(1), p.binding, bar];
    });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => (i === cells.length - 1 ? c : c.padStart(widths[i]!))).join('  ');
  lines.push('', line(header), ...rows.map(line), '');
  if (plan.answer === undefined) {
    lines.push(`answer: none — even ${plan.param} = ${fmt(plan.from)} ${plan.unit} breaks an SLO`);
  } else if (plan.firstFail === undefined) {
    lines.push(`answer: ${plan.param} ≥ ${fmt(plan.answer)} ${plan.unit} — every SLO held over the whole range (raise --to)`);
  } else {
    const fail = plan.points.find((p) => p.value === plan.firstFail);
    const broke = fail?.verdicts.filter((v) => !v.ok).map((v) => `${v.expr} (observed ${fmt(v.observed)})`).join('; ');
    lines.push(`answer: ${plan.param} = ${fmt(plan.answer)} ${plan.unit} keeps every SLO; ${fmt(plan.firstFail)} breaks ${broke ?? 'an SLO'}`);
  }
  return lines.join('\n');
}
