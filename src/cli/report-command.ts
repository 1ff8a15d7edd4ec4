import type { CommandModule } from 'yargs';
// TODO(wiring): import from '../index.js' once src/index.ts re-exports these (import rules: cli → index).
import { formatSummaryTable, readRunSummaries, writeHtmlReport } from '../index.js';
import { EXIT } from './exit.js';

interface ReportArgs {
  dir: string;
  groups: boolean;
  quiet: boolean;
}

/** `limitprobe report DIR`: regenerate DIR/report.html from the run's files and print the summary. */
export function reportCommand(setExit: (code: number) => void): CommandModule<object, ReportArgs> {
  return {
    command: 'report <dir>',
    describe: "Regenerate a run's report.html from its CSV files and print its summary",
    builder: (y) =>
      y
        .positional('dir', { type: 'string', demandOption: true, describe: 'Run directory (written by "limitprobe run")' })
        .option('groups', { type: 'boolean', default: false, describe: 'Also print per-group rows' })
        .option('quiet', { type: 'boolean', default: false, describe: 'Only write report.html; print its path' }),
    handler: async (a) => {
      const summaries = await readRunSummaries(a.dir);
      const path = await writeHtmlReport(a.dir);
      if (!a.quiet) process.stdout.write(`${formatSummaryTable(summaries, { groups: a.groups })}\n`);
      process.stdout.write(`report: ${path}\n`);
      setExit(EXIT.ok);
    },
  };
}
