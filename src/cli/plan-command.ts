import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { ConfigError, loadScenario, formatPlan, parseSlos, planCapacity, PARAM_NAMES, PARAMS, writePlanCsv, type ParamName, type SearchMode } from '../index.js';
import { EXIT } from './exit.js';

interface PlanArgs {
  scenario: string;
  vary: string;
  from: number;
  to: number;
  slo?: string[];
  phases?: string;
  in?: string[];
  set?: string[];
  search: string;
  steps?: number;
  resolution: number;
  out?: string;
  seed?: number;
  json: boolean;
}

function parseSet(s: string): { param: ParamName; value: number } {
  const m = /^\s*([a-z-]+)\s*=\s*([0-9.eE+-]+)\s*$/.exec(s);
  const value = m ? Number(m[2]) : NaN;
  if (!m || !PARAM_NAMES.includes(m[1] as ParamName) || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError('invalid --set', [{ path: '--set', expected: `PARAM=VALUE with PARAM one of ${PARAM_NAMES.join(', ')} and VALUE > 0`, found: JSON.stringify(s) }]);
  }
  return { param: m[1] as ParamName, value };
}

const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

export function planCommand(setExit: (code: number) => void): CommandModule<object, PlanArgs> {
  return {
    command: 'plan <scenario>',
    describe: 'Find the largest value of a parameter that keeps every SLO, simulating each point in virtual time',
    builder: (y) =>
      y
        .positional('scenario', { type: 'string', demandOption: true, describe: 'Scenario file with a mock target (simulated whatever its mode)' })
        .option('vary', { type: 'string', demandOption: true, choices: PARAM_NAMES, describe: PARAM_NAMES.map((p) => `${p}: ${PARAMS[p].describe}`).join('; ') })
        .option('from', { type: 'number', demandOption: true, describe: 'Lowest value to try' })
        .option('to', { type: 'number', demandOption: true, describe: 'Highest value to try' })
        .option('slo', { type: 'string', array: true, describe: 'SLO, threshold syntax: \'p95(response_time_ms) < 30000\', \'rate(ok) > 0.99\', \'phase=steady: …\' (repeatable; default: the scenario\'s thresholds)' })
        .option('phases', { type: 'string', describe: 'Run only these phases (comma-separated; default all)' })
        .option('in', { type: 'string', array: true, describe: 'Apply the value only in these phases (repeatable; default every phase it applies to)' })
        .option('set', { type: 'string', array: true, describe: 'Hold another parameter at a value first, e.g. --set rate=1000 (repeatable; same phases as --in)' })
        .option('search', { type: 'string', default: 'auto', choices: ['auto', 'bisect', 'grid'], describe: 'auto: a grid, then bisection where the verdicts change (if monotonic); bisect; grid only' })
        .option('steps', { type: 'number', describe: 'Grid points (default 5 for auto, 9 for grid)' })
        .option('resolution', { type: 'number', default: 0.002, describe: 'Bisection stops when the bracket is narrower than this fraction of the value' })
        .option('out', { type: 'string', describe: 'Directory for plan.csv (default: the scenario\'s output.dir + "-plan")' })
        .option('seed', { type: 'number', describe: 'Seed (default: the scenario\'s)' })
        .option('json', { type: 'boolean', default: false, describe: 'Print the result as JSON' })
        .check((a) => {
          if (!(Number.isFinite(a.from) && Number.isFinite(a.to) && a.to > a.from)) throw new ConfigError(`--from/--to: expected finite numbers with from < to, found ${a.from} … ${a.to}`);
          if (a.from <= 0) throw new ConfigError(`--from: expected a value > 0, found ${a.from}`);
          if (a.steps !== undefined && !(Number.isInteger(a.steps) && a.steps >= 2)) throw new ConfigError(`--steps: expected an integer ≥ 2, found ${a.steps}`);
          if (!(a.resolution > 0 && a.resolution < 1)) throw new ConfigError(`--resolution: expected a fraction in (0, 1), found ${a.resolution}`);
          return true;
        }),
    handler: async (a) => {
      let scenario = await loadScenario(a.scenario);
      if (a.seed !== undefined) scenario = { ...scenario, seed: a.seed };
      const specs = a.slo?.length ? a.slo : scenario.thresholds;
      if (!specs.length) throw new ConfigError('no SLO to plan for', [{ path: '--slo', expected: "at least one SLO (--slo 'rate(ok) > 0.99') or thresholds in the scenario", found: 'none' }]);
      const slos = parseSlos(specs);
      const plan = await planCapacity(scenario, {
        vary: a.vary as ParamName,
        from: a.from,
        to: a.to,
        slos,
        phases: list(a.phases),
        in: a.in?.flatMap((s) => list(s) ?? []),
        set: (a.set ?? []).map(parseSet),
        mode: a.search as SearchMode,
        steps: a.steps,
        relative: a.resolution,
        onPoint: a.json ? undefined : (p) => process.stderr.write(`  tried ${a.vary} = ${+p.value.toFixed(3)}: ${p.pass ? 'pass' : 'fail'}\n`),
      });
      const dir = a.out ?? `${scenario.output.dir}-plan`;
      mkdirSync(dir, { recursive: true });
      const csv = join(dir, 'plan.csv');
      await writePlanCsv(csv, plan);
      if (a.json) {
        const { points, ...rest } = plan;
        process.stdout.write(JSON.stringify({ ...rest, csv, points: points.map((p) => ({ value: p.value, pass: p.pass, binding: p.binding, verdicts: p.verdicts })) }, null, 2) + '\n');
      } else {
        process.stdout.write(formatPlan(plan) + '\n');
        process.stdout.write(`\nplan.csv: ${csv}\n`);
      }
      setExit(EXIT.ok);
    },
  };
}
