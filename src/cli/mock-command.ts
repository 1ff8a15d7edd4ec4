import type { CommandModule } from 'yargs';
import { createMockServer } from '../../mock-server/index.js';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../index.js';
import { EXIT } from './exit.js';

interface MockArgs {
  profile: string;
  model?: string;
  rpm?: number;
  tpm?: number;
  'context-window'?: number;
  dialect: string;
  port: number;
  host: string;
  seed: number;
  'ttft-ms'?: number;
  'tokens-per-second'?: number;
}

export function mockCommand(setExit: (code: number) => void): CommandModule<object, MockArgs> {
  return {
    command: 'mock',
    describe: 'Serve the rate-limit mock over HTTP until interrupted',
    builder: (y) =>
      y
        .option('profile', { type: 'string', default: 'qwen2', describe: 'Provider/model profile (limits, models, prices)' })
        .option('model', { type: 'string', describe: 'Default model when a request names none' })
        .option('rpm', { type: 'number', describe: 'Requests per minute (overrides the profile)' })
        .option('tpm', { type: 'number', describe: 'Tokens per minute (overrides the profile)' })
        .option('context-window', { type: 'number', describe: 'Context window in tokens for every model' })
        .option('dialect', { type: 'string', default: 'openai', choices: ['openai'], describe: 'Wire dialect of headers and errors' })
        .option('port', { type: 'number', default: 8080, describe: 'Port (0 picks a free one)' })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'Bind address (loopback unless told otherwise)' })
        .option('seed', { type: 'number', default: 1, describe: 'Seed for latency jitter and output text' })
        .option('ttft-ms', { type: 'number', describe: 'Time to first token, ms' })
        .option('tokens-per-second', { type: 'number', describe: 'Output speed per request' })
        .check((a) => {
          for (const k of ['rpm', 'tpm', 'context-window', 'tokens-per-second'] as const) {
            const v = a[k];
            if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new ConfigError(`--${k}: expected a positive number, found ${String(v)}`);
          }
          if (!(Number.isInteger(a.port) && a.port >= 0 && a.port <= 65535)) throw new ConfigError(`--port: expected an integer 0–65535, found ${a.port}`);
          return true;
        }),
    handler: async (a) => {
      const server = await createMockServer({
        profile: await loadProfileArg(a.profile),
        model: a.model,
        rpm: a.rpm,
        tpm: a.tpm,
        contextWindow: a['context-window'],
        host: a.host,
        port: a.port,
        seed: a.seed,
        latency: {
          ...(a['ttft-ms'] !== undefined ? { ttftMs: a['ttft-ms'] } : {}),
          ...(a['tokens-per-second'] !== undefined ? { tokensPerSecond: a['tokens-per-second'] } : {}),
        },
      });
      process.stdout.write(`listening on ${server.url}\n`);
      process.stdout.write(`OpenAI-compatible base URL: ${server.url}/v1 — state: ${server.url}/__limitprobe/state\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
      setExit(EXIT.ok);
    },
  };
}

/** `--profile` is a profile name, or a YAML/JSON file (e.g. written by `probe --emit-profile`). */
async function loadProfileArg(arg: string): Promise<string | Parameters<typeof createMockServer>[0] extends infer O ? (O extends { profile?: infer P } ? P : never) : never> {
  if (!/\.(ya?ml|json)$/i.test(arg)) return arg;
  let text: string;
  try {
    text = await readFile(arg, 'utf8');
  } catch (e) {
    throw new ConfigError(`--profile: expected a readable profile file, found ${arg} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return parseYaml(text);
  } catch (e) {
    throw new ConfigError(`--profile: expected YAML or JSON in ${arg}, found a syntax error: ${(e as Error).message}`);
  }
}
