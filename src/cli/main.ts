#!/usr/bin/env node
/** The limitprobe command line. The only module that calls process.exit. */
import { setFlagsFromString } from 'node:v8';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { mockCommand } from './mock-command.js';
import { runCommand } from './run-command.js';
import { validateCommand } from './validate-command.js';
import { initCommand } from './init-command.js';
import { reportCommand } from './report-command.js';
import { compareCommand } from './compare-command.js';
import { planCommand } from './plan-command.js';
import { probeCommand } from './probe-command.js';
import { mergeCommand } from './merge-command.js';
import { EXIT, exitCodeFor, printError } from './exit.js';

/**
 * A long run's live heap is flat (36–61 MB over 1M requests) but V8 lets the old generation
 * grow to ~4× the live size before a full GC: RSS peaked at 254 MB. Growing the heap 30 % at a
 * time keeps such a run under 200 MB at no measured cost (bench/memory-1m.ts). Set by the
 * command line only: the library never changes its host's V8 settings. A value given to node
 * itself (`node --heap-growing-percent=N …/limitprobe`) wins.
 */
if (!process.execArgv.some((a) => a.startsWith('--heap-growing-percent'))) setFlagsFromString('--heap-growing-percent=30');

async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  await yargs(argv)
    .scriptName('limitprobe')
    .usage('$0 <command> [options]')
    .command(runCommand((c) => (code = c)))
    .command(mockCommand((c) => (code = c)))
    .command(validateCommand((c) => (code = c)))
    .command(initCommand((c) => (code = c)))
    .command(reportCommand((c) => (code = c)))
    .command(compareCommand((c) => (code = c)))
    .command(planCommand((c) => (code = c)))
    .command(probeCommand((c) => (code = c)))
    .command(mergeCommand((c) => (code = c)))
    .demandCommand(1, 'Name a command: run, mock, validate, init, plan, probe, report, compare or merge.')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`limitprobe: ${msg}\nRun "limitprobe --help" for usage.\n`);
      code = EXIT.config;
    })
    .parseAsync();
  return code;
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    printError(err);
    process.exitCode = exitCodeFor(err);
  },
);
