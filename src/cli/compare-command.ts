import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CommandModule } from 'yargs';
// TODO(wiring): import from '../index.js' once src/index.ts re-exports these (import rules: cli → index).
import { compareRuns, compareToJunit, formatCompareTable } from '../index.js';
import { EXIT } from './exit.js';

interface CompareArgs {
  baseline: string;
  current: string;
  tolerance: string[];
  junit?: string;
  all: boolean;
  quiet: boolean;
}

/**
 * `limitprobe compare BASELINE_DIR CURRENT_DIR`: metric by metric from both summary.csv files;
 * prints the differences, writes CURRENT_DIR/compare.csv (and --junit FILE); exit 99 on a
 * regression, 2 on bad input (a missing directory or file, a malformed --tolerance), else 0.
 */
export function compareCommand(setExit: (code: number) => void): CommandModule<object, CompareArgs> {
  return {
    command: 'compare <baseline> <current>',
    describe: 'Compare a run with a baseline run; exit 99 on a regression',
    builder: (y) =>
      y
        .positional('baseline', { type: 'string', demandOption: true, describe: 'Baseline run directory' })
        .positional('current', { type: 'string', demandOption: true, describe: 'Current run directory (compare.csv is written here)' })
        .option('tolerance', {
          type: 'string',
          array: true,
          default: [] as string[],
          describe: "[SCOPE:]METRIC=CHANGE, repeatable, overrides the defaults: 'p95(response_time_ms)=+10%', 'rate(ok)=-1pp', 'p99(*)=off' (see docs/ci.md)",
        })
        .option('junit', { type: 'string', describe: 'Also write the comparison as JUnit XML to this file' })
        .option('all', { type: 'boolean', default: false, describe: 'Print every metric, also those zero in both runs' })
        .option('quiet', { type: 'boolean', default: false, describe: 'Print only regressions and the verdict line' }),
    handler: async (a) => {
      const report = await compareRuns(a.baseline, a.current, { tolerances: a.tolerance });
      if (a.junit) {
        mkdirSync(dirname(a.junit), { recursive: true });
        writeFileSync(a.junit, compareToJunit(report.results));
      }
      process.stdout.write(`compare: baseline ${a.baseline} → current ${a.current}\n`);
      process.stdout.write(formatCompareTable(report.results, { all: a.all, failuresOnly: a.quiet }));
      process.stdout.write(`compare.csv: ${report.csvPath}${a.junit ? `, JUnit: ${a.junit}` : ''}\n`);
      if (report.regressions.length) {
        process.stderr.write(`limitprobe: ${report.regressions.length} regression(s) against the baseline\n`);
        setExit(EXIT.threshold);
      } else setExit(EXIT.ok);
    },
  };
}
