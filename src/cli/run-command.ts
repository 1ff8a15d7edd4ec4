import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CommandModule } from 'yargs';
import { applyOverrides, formatSummaryTable, formatThresholdResults, loadScenario, parseThresholds, runScenario, thresholdsToJunit, type RunEvent } from '../index.js';
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
      });
      if (a.sim) scenario = { ...scenario, mode: 'sim' };
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
        result = await runScenario(scenario, {
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
