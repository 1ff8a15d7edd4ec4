import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { applyOverrides, formatSummaryTable, formatThresholdResults, loadScenario, parseThresholds, parseShardSpec, ConfigError, runMatrix, runScenario, thresholdsToJunit, type RunEvent } from '../index.js';
import { EXIT } from './exit.js';
import { createProgress } from './progress.js';

interface RunArgs {
  scenario: string;
  out?: string;
  seed?: number;
  json: boolean;
  quiet: boolean;
  'target-url'?: string;
  model?: string;
  'api-key-env'?: string;
  dialect?: string;
  rate?: string;
  duration?: string;
  threshold?: string[];
  junit?: string;
  sim?: boolean;
  shard?: string;
  'start-at'?: number;
  concurrency?: string;
  set?: string[];
}

export function runCommand(setExit: (code: number) => void): CommandModule<object, RunArgs> {
  return {
    command: 'run <scenario>',
    describe: 'Run a scenario file and write CSV reports',
    builder: (y) =>
      y
        .positional('scenario', { type: 'string', demandOption: true, describe: 'Scenario file (YAML or JSON)' })
        .option('out', { type: 'string', describe: 'Report directory (default: the scenario\'s output.dir)' })
        .option('seed', { type: 'number', describe: 'Seed for arrivals and request contents' })
        .option('json', { type: 'boolean', default: false, describe: 'Print the summary as JSON on stdout' })
        .option('quiet', { type: 'boolean', default: false, describe: 'Print only the summary' })
        .option('target-url', { type: 'string', describe: 'Send to this OpenAI-compatible base URL instead of the mock' })
        .option('model', { type: 'string', describe: 'Model name' })
        .option('api-key-env', { type: 'string', describe: 'Environment variable holding the API key' })
        .option('dialect', { type: 'string', describe: 'openai | azure | dashscope | anthropic | groq' })
        .option('rate', { type: 'string', describe: 'Arrival rate for every phase: N (per second), "N/s" or "N/min"' })
        .option('duration', { type: 'string', describe: 'Duration of every phase: seconds, or "30s", "2m"' })
        .option('concurrency', { type: 'string', describe: 'Every phase becomes a closed loop of N workers' })
        .option('set', { type: 'string', array: true, describe: 'Set any scenario field: path.to.field=value (repeatable), e.g. phases[0].arrival.rate=20' })
        .option('shard', { type: 'string', describe: 'Run shard i of N (0-based), e.g. 0/3: this process sends only its stripe of the schedule' })
        .option('start-at', { type: 'number', describe: 'Epoch ms at which every shard starts (with --shard)' })
        .option('sim', { type: 'boolean', describe: "Run in virtual time against the mock's core (mock targets): an hour in seconds, deterministic" })
        .option('junit', { type: 'string', describe: 'Write threshold results as JUnit XML to this file' })
        .option('threshold', { type: 'string', array: true, describe: 'Add a threshold, e.g. "p95(response_time_ms) < 2000" (repeatable); a failure exits 99' }),
    handler: async (a) => {
      let scenario = await loadScenario(a.scenario);
      scenario = applyOverrides(scenario, {
        targetUrl: a['target-url'],
        model: a.model,
        apiKeyEnv: a['api-key-env'],
        dialect: a.dialect,
        rate: a.rate,
        duration: a.duration,
        seed: a.seed,
        outDir: a.out,
        concurrency: a.concurrency,
        set: a.set,
      });
      if (a.sim) scenario = { ...scenario, mode: 'sim' };
      const shard = a.shard === undefined ? undefined : parseShardSpec(a.shard);
      if (a['start-at'] !== undefined && !shard) throw new ConfigError(`--start-at: expected it together with --shard, found it alone`);
      if (a.threshold?.length) {
        parseThresholds(a.threshold, '--threshold');
        scenario = { ...scenario, thresholds: [...scenario.thresholds, ...a.threshold] };
      }

      const stop = new AbortController();
      let signals = 0;
      const onSignal = () => {
        // First signal: stop scheduling and flush; a second one: leave at once.
        if (++signals > 1) process.exit(EXIT.interrupted);
        process.stderr.write('\nlimitprobe: interrupted — finishing in-flight requests and writing reports (Ctrl-C again to quit now)\n');
        stop.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);

      const progress = createProgress(process.stderr, { mode: a.quiet || a.json ? 'off' : 'auto' });
      progress.start(scenario);
      let result;
      try {
        if (scenario.matrix?.length) {
          const m = await runMatrix(scenario, undefined, { outDir: scenario.output.dir, signal: stop.signal });
          process.stdout.write(`\n${scenario.name}: ${m.runs.length} policies on the same seeded workload${stop.signal.aborted ? ' (interrupted)' : ''}\n${m.table}\n\nreports: ${scenario.output.dir}/policies.csv and one folder per policy\n`);
          setExit(stop.signal.aborted ? EXIT.interrupted : EXIT.ok);
          return;
        }
        result = await runScenario(scenario, {
          scenarioDir: dirname(resolve(a.scenario)),
          shard,
          startAt: a['start-at'],
          signal: stop.signal,
          onEvent: (ev: RunEvent) => progress.event(ev),
          onThresholdAbort: (failed) => progress.note(`threshold failed: ${failed.map((r) => r.expr).join(', ')} — stopping the run`),
        });
      } finally {
        progress.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }

      if (a.json) {
        const { outDir, interrupted, summaries, thresholds } = result;
        process.stdout.write(JSON.stringify({ outDir, interrupted, thresholds, summaries }, null, 2) + '\n');
      } else {
        process.stdout.write(`\n${scenario.name}${result.interrupted ? ' (interrupted)' : ''}\n`);
        process.stdout.write(formatSummaryTable(result.summaries) + '\n');
        if (result.thresholds.length) {
          process.stdout.write('\n' + formatThresholdResults(result.thresholds, { abortedBy: result.abortedBy?.map((r) => r.expr) }) + '\n');
        }
        process.stdout.write(`\nreports: ${result.outDir}/{requests,timeseries,summary}.csv\n`);
      }
      if (a.junit) {
        mkdirSync(dirname(a.junit), { recursive: true });
        writeFileSync(a.junit, thresholdsToJunit(result.thresholds));
      }
      // A failed threshold (even one that stopped the run) is 99; a signal without one is 130.
      setExit(result.thresholdsFailed || result.abortedBy ? EXIT.threshold : result.interrupted ? EXIT.interrupted : EXIT.ok);
    },
  };
}
