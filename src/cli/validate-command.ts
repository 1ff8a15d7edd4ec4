import type { CommandModule } from 'yargs';
import { buildPlan, loadScenario, parseThresholds } from '../index.js';
import { EXIT } from './exit.js';

interface ValidateArgs {
  scenario: string;
}

/** Checks a scenario without sending anything: schema, units, and what the plan would offer. */
export function validateCommand(setExit: (code: number) => void): CommandModule<object, ValidateArgs> {
  return {
    command: 'validate <scenario>',
    describe: 'Check a scenario file without sending anything',
    builder: (y) => y.positional('scenario', { type: 'string', demandOption: true, describe: 'Scenario file (YAML or JSON)' }),
    handler: async (a) => {
      const s = await loadScenario(a.scenario);
      const thresholds = parseThresholds(s.thresholds);
      const plan = buildPlan(s, { model: s.target.model ?? '(profile default)' });
      const lines = [`${a.scenario}: valid — "${s.name}", ${s.phases.length} phase(s), ${(plan.totalDurationMs / 1000).toFixed(1)} s`];
      for (const p of s.phases) {
        const load = p.kind === 'open' ? describeArrival(p.arrival) : `${p.concurrency} workers (closed loop)`;
        lines.push(`  ${p.name}: ${(p.durationMs / 1000).toFixed(1)} s, ${load}`);
      }
      lines.push(`  target: ${s.target.kind === 'mock' ? `embedded mock, profile ${s.target.profile}` : `${s.target.baseUrl} (${s.target.dialect})`}`);
      if (thresholds.length) lines.push(`  thresholds: ${thresholds.map((t) => t.expr).join('; ')}`);
      process.stdout.write(lines.join('\n') + '\n');
      setExit(EXIT.ok);
    },
  };
}

function describeArrival(a: { type: string; rate?: number; tokensPerMinute?: number } | undefined): string {
  if (!a) return 'arrivals set per group';
  const parts = [a.type];
  if (typeof a.rate === 'number') parts.push(`at ${Number(a.rate.toFixed(3))} req/s`);
  if (typeof a.tokensPerMinute === 'number') parts.push(`targeting ${a.tokensPerMinute} tokens/min`);
  return parts.join(' ');
}
