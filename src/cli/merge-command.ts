import type { CommandModule } from 'yargs';
import { formatSummaryTable, mergeRuns } from '../index.js';
import { EXIT } from './exit.js';

interface MergeArgs {
  dirs: string[];
  out: string;
  'allow-missing': boolean;
  json: boolean;
}

export function mergeCommand(setExit: (code: number) => void): CommandModule<object, MergeArgs> {
  return {
    command: 'merge <dirs..>',
    describe: 'Merge the run directories of "run --shard i/N" into one run directory',
    builder: (y) =>
      y
        .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'Shard run directories (each with shard.json)' })
        .option('out', { type: 'string', demandOption: true, describe: 'Directory for the merged run' })
        .option('allow-missing', { type: 'boolean', default: false, describe: 'Merge even when shards are missing (listed in merge.json)' })
        .option('json', { type: 'boolean', default: false, describe: 'Print the merge result as JSON on stdout' }),
    handler: async (a) => {
      const r = await mergeRuns(a.dirs, a.out, { allowMissing: a['allow-missing'] });
      for (const w of r.warnings) process.stderr.write(`limitprobe: warning: ${w}\n`);
      if (a.json) {
        const { outDir, runId, shards, missing, requestRows, warnings, summaries } = r;
        process.stdout.write(JSON.stringify({ outDir, runId, shards, missing, requestRows, warnings, summaries }, null, 2) + '\n');
      } else {
        process.stdout.write(`merged ${r.shards.length} shard${r.shards.length === 1 ? '' : 's'} of run ${r.runId}: ${r.requestRows} attempts\n`);
        for (const s of r.shards) {
          const skew = s.startSkewMs === undefined ? '' : `, start skew ${s.startSkewMs} ms`;
          process.stdout.write(`  ${s.shard}  ${s.dir}  ${s.requests} requests${skew}${s.interrupted ? ', interrupted' : ''}\n`);
        }
        if (r.missing.length) process.stdout.write(`  missing: ${r.missing.join(', ')}\n`);
        process.stdout.write(formatSummaryTable(r.summaries) + '\n');
        process.stdout.write(`\nreports: ${r.outDir}/{requests,timeseries,summary}.csv\n`);
      }
      setExit(EXIT.ok);
    },
  };
}
