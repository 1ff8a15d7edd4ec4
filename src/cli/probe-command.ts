import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { CommandModule } from 'yargs';
import { getProfile, profileNames } from '../../mock-server/index.js';
import { ConfigError } from '../index.js';
import { ONLY_GROUPS, openProbeCsv, planText, probeHttp, profileYaml, writeLimitsJson, type OnlyGroup, type Prices } from '../index.js';
import { EXIT } from './exit.js';

interface ProbeArgs {
  'base-url': string;
  model: string;
  'api-key-env'?: string;
  dialect: string;
  'budget-usd': number;
  'max-requests': number;
  only?: string;
  out: string;
  yes: boolean;
  'emit-profile'?: string;
  'price-input'?: number;
  'price-output'?: number;
  profile?: string;
}

function pricesFor(a: ProbeArgs): { prices: Prices; from: string } {
  if (a['price-input'] !== undefined && a['price-output'] !== undefined) return { prices: { inputPerMTokens: a['price-input'], outputPerMTokens: a['price-output'] }, from: 'flags' };
  for (const name of a.profile ? [a.profile] : profileNames()) {
    const m = getProfile(name).models.find((x) => x.id === a.model);
    if (m) return { prices: { inputPerMTokens: m.priceInputPerMTokens, outputPerMTokens: m.priceOutputPerMTokens }, from: `profile ${name}` };
  }
  throw new ConfigError(`no price known for model ${JSON.stringify(a.model)}: pass --price-input and --price-output (USD per million tokens)`);
}

export function probeCommand(setExit: (code: number) => void): CommandModule<object, ProbeArgs> {
  return {
    command: 'probe',
    describe: "Measure an API key's limits (RPM, burst, TPM, sub-minute window, context, max output, concurrency) within a budget",
    builder: (y) =>
      y
        .option('base-url', { type: 'string', demandOption: true, describe: 'OpenAI-compatible base URL (…/v1)' })
        .option('model', { type: 'string', demandOption: true })
        .option('api-key-env', { type: 'string', describe: 'Environment variable holding the API key' })
        .option('dialect', { type: 'string', default: 'openai', choices: ['openai', 'azure', 'dashscope', 'anthropic', 'groq'] })
        .option('budget-usd', { type: 'number', default: 0.5 })
        .option('max-requests', { type: 'number', default: 500 })
        .option('only', { type: 'string', describe: `Comma-separated: ${ONLY_GROUPS.join(',')}` })
        .option('out', { type: 'string', default: 'reports/probe' })
        .option('yes', { type: 'boolean', default: false, describe: 'Do not ask for confirmation' })
        .option('emit-profile', { type: 'string', describe: 'Write a mock profile (YAML) from the findings' })
        .option('price-input', { type: 'number', describe: 'USD per million input tokens' })
        .option('price-output', { type: 'number', describe: 'USD per million output tokens' })
        .option('profile', { type: 'string', describe: 'Known profile to take prices from' })
        .check((a) => {
          if (!(a['budget-usd'] > 0)) throw new ConfigError(`--budget-usd: expected a positive number, found ${a['budget-usd']}`);
          if (!(Number.isInteger(a['max-requests']) && a['max-requests'] >= 1)) throw new ConfigError(`--max-requests: expected an integer ≥ 1, found ${a['max-requests']}`);
          return true;
        }),
    handler: async (a) => {
      const only = (a.only ? a.only.split(',').map((s) => s.trim()).filter(Boolean) : [...ONLY_GROUPS]) as OnlyGroup[];
      const bad = only.filter((g) => !(ONLY_GROUPS as readonly string[]).includes(g));
      if (bad.length) throw new ConfigError(`--only: unknown ${bad.join(', ')}; expected some of ${ONLY_GROUPS.join(',')}`);
      let apiKey: string | undefined;
      if (a['api-key-env']) {
        apiKey = process.env[a['api-key-env']];
        if (!apiKey) throw new ConfigError(`--api-key-env: environment variable ${a['api-key-env']} is not set`);
      }
      const { prices, from } = pricesFor(a);
      process.stdout.write(planText({ baseUrl: a['base-url'], model: a.model, only, budgetUsd: a['budget-usd'], maxRequests: a['max-requests'], prices, pricesFrom: from }));
      if (!a.yes) {
        if (!process.stdin.isTTY) throw new ConfigError('refusing to spend without confirmation: no terminal to ask on; pass --yes to accept the plan above');
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        const ans = (await rl.question('Proceed? [y/N] ')).trim().toLowerCase();
        rl.close();
        if (ans !== 'y' && ans !== 'yes') {
          process.stderr.write('limitprobe: declined; nothing was sent\n');
          setExit(EXIT.config);
          return;
        }
      }
      const csv = openProbeCsv(a.out);
      const r = await probeHttp({
        baseUrl: a['base-url'],
        ...(apiKey ? { apiKey } : {}),
        dialect: a.dialect as 'openai',
        model: a.model,
        prices,
        budgetUsd: a['budget-usd'],
        maxRequests: a['max-requests'],
        only,
        onStage: (s) => {
          csv.write(s);
          process.stderr.write(`  ${s.stage.strategy} ${s.stage.name}: ${s.ok}/${s.sent} ok\n`);
        },
      }).finally(() => csv.close());
      writeLimitsJson(a.out, r, { base_url: a['base-url'], model: a.model, dialect: a.dialect, budget_usd: a['budget-usd'], max_requests: a['max-requests'] });
      for (const l of r.limits) process.stdout.write(`${l.name.padEnd(12)} ${String(l.value ?? '?').padStart(10)}  [${l.low ?? '?'}, ${l.high ?? '?'}] ${l.unit}  ${l.method}${l.note ? '  — ' + l.note : ''}\n`);
      process.stdout.write(`spent $${r.spentUsd.toFixed(6)} in ${r.requests} requests; wrote ${a.out}/probe.csv and ${a.out}/limits.json\n`);
      if (r.undetermined.length) process.stdout.write(`could not determine:\n${r.undetermined.map((u) => `  ${u}`).join('\n')}\n`);
      if (a['emit-profile']) {
        writeFileSync(a['emit-profile'], profileYaml(r, { name: `probed-${a.model}`, model: a.model, dialect: a.dialect, prices }));
        process.stdout.write(`wrote mock profile ${a['emit-profile']}\n`);
      }
      setExit(EXIT.ok);
    },
  };
}
