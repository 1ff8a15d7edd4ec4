import { readFile } from 'node:fs/promises';
import type { CommandModule } from 'yargs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../index.js';
import {
  createMockServer,
  parseApiKeySpec,
  parseFaultSpec,
  parseOverloadCapacity,
  parseOverloadWindow,
  parseLimiterStore,
  parseStoreFailure,
  parseStoreInstances,
  type MockServerOptions,
} from '../../mock-server/index.js';
import { EXIT } from './exit.js';

const DIALECTS = ['openai', 'groq', 'azure', 'dashscope', 'anthropic'] as const;

interface MockArgs {
  profile?: string;
  model?: string;
  rpm?: number;
  tpm?: number;
  rpd?: number;
  tpd?: number;
  itpm?: number;
  otpm?: number;
  'max-concurrent'?: number;
  'rpm-capacity'?: number;
  'tpm-capacity'?: number;
  'context-window'?: number;
  'sub-minute'?: 'none' | '1s' | '10s';
  'burst-factor'?: number;
  dialect?: (typeof DIALECTS)[number];
  port: number;
  host: string;
  seed: number;
  'ttft-ms'?: number;
  'tokens-per-second'?: number;
  'api-key'?: string[];
  'admin-token'?: string;
  'budget-usd'?: number;
  fault?: string[];
  'overload-capacity'?: string;
  'overload-window'?: string[];
  transport: 'direct' | 'msw';
  'token-estimate'?: 'tokenizer' | 'chars/4';
  'flush-headers-at'?: 'admission' | 'ttft';
  'validate-first'?: boolean;
  'rejected-count': boolean;
  'both-exhausted'?: 'requests' | 'tokens' | 'longer-wait';
  'drop-ratelimit-headers-on-429': boolean;
  'limiter-store'?: string;
  'store-failure'?: string;
  'store-instances'?: string;
}

const POSITIVE = ['rpm', 'tpm', 'rpd', 'tpd', 'itpm', 'otpm', 'max-concurrent', 'context-window', 'tokens-per-second', 'burst-factor'] as const;
/** Bucket sizes: whole requests / tokens. */
const INTEGERS = ['rpm-capacity', 'tpm-capacity'] as const;

export function mockCommand(setExit: (code: number) => void): CommandModule<object, MockArgs> {
  return {
    command: 'mock',
    describe: "Serve the rate-limit mock over HTTP until interrupted (a provider's limits, headers and 429s)",
    builder: (y) =>
      y
        .option('profile', { type: 'string', describe: 'Profile name (qwen2, dashscope, openai-tier1, groq, azure, anthropic-tier1) or a YAML/JSON file (e.g. from probe --emit-profile); default: the dialect\'s' })
        .option('dialect', { type: 'string', choices: DIALECTS, describe: 'Wire dialect of headers and errors (default: the profile\'s)' })
        .option('model', { type: 'string', describe: 'Default model when a request names none' })
        .option('rpm', { type: 'number', describe: 'Requests per minute (overrides the profile)' })
        .option('tpm', { type: 'number', describe: 'Tokens per minute (overrides the profile)' })
        .option('rpd', { type: 'number', describe: 'Requests per day' })
        .option('tpd', { type: 'number', describe: 'Tokens per day' })
        .option('itpm', { type: 'number', describe: 'Input tokens per minute (Anthropic-style)' })
        .option('otpm', { type: 'number', describe: 'Output tokens per minute, charged as generated' })
        .option('max-concurrent', { type: 'number', describe: 'Concurrent requests per tenant' })
        .option('rpm-capacity', { type: 'number', describe: 'Request bucket size when it differs from --rpm (burst ≠ refill): holds N requests, refills at RPM per minute' })
        .option('tpm-capacity', { type: 'number', describe: 'Token bucket size when it differs from --tpm (burst ≠ refill): holds N tokens, refills at TPM per minute' })
        .option('context-window', { type: 'number', describe: 'Context window in tokens for every model' })
        .option('sub-minute', { type: 'string', choices: ['none', '1s', '10s'] as const, describe: 'Also enforce the limits per second (L/60) or per 10 s (L/6)' })
        .option('burst-factor', { type: 'number', describe: 'DashScope-style burst guard: 429 limit_burst_rate when the rate jumps by more than this factor' })
        .option('api-key', { type: 'string', array: true, describe: 'Accept this key (repeatable): KEY[=NAME][,rpm=N][,tpm=N]…; each key its own tenant. None: no auth' })
        .option('admin-token', { type: 'string', describe: 'Token the control API (/__limitprobe/…) requires; needed on a non-loopback --host' })
        .option('budget-usd', { type: 'number', describe: 'Spend budget: past it, fatal quota errors (insufficient_quota)' })
        .option('fault', { type: 'string', array: true, describe: 'Inject a fault (repeatable): KIND[:PROB][:MS][@FROM-TO], KIND one of reset, slow-first-byte, stall, cut, malformed-sse, error-event' })
        .option('overload-capacity', { type: 'string', describe: 'Provider overload by concurrency: N[:MAXPROB[:SLOWDOWN]]' })
        .option('overload-window', { type: 'string', array: true, describe: 'Provider overload in a time window (repeatable): FROM-TO[:PROB[:STATUS]]' })
        .option('transport', { type: 'string', choices: ['direct', 'msw'] as const, default: 'direct' as const, describe: 'direct: chat completions on node:http (fast); msw: everything through msw getResponse' })
        .option('token-estimate', { type: 'string', choices: ['tokenizer', 'chars/4'] as const, describe: 'How admission counts prompt tokens' })
        .option('flush-headers-at', { type: 'string', choices: ['admission', 'ttft'] as const, describe: 'When a 200\'s headers are sent' })
        .option('validate-first', { type: 'boolean', describe: 'Validate (context window) before the rate limits' })
        .option('rejected-count', { type: 'boolean', default: false, describe: 'A rejected request still costs one request of RPM' })
        .option('both-exhausted', { type: 'string', choices: ['requests', 'tokens', 'longer-wait'] as const, describe: 'Which limit a 429 names when both are short' })
        .option('drop-ratelimit-headers-on-429', { type: 'boolean', default: false, describe: 'Send no x-ratelimit-* headers on 429s (as some real APIs do)' })
        .option('limiter-store', { type: 'string', describe: 'memory (default), or redis://HOST:PORT: several mock instances enforce one org-wide limit' })
        .option('store-failure', { type: 'string', describe: 'When the store is unreachable: closed (default: 503 naming the outage) or open-local (limit / N here)' })
        .option('store-instances', { type: 'string', describe: 'N for open-local: how many mock instances share the limit' })
        .option('port', { type: 'number', default: 8080, describe: 'Port (0 picks a free one)' })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'Bind address (loopback unless told otherwise)' })
        .option('seed', { type: 'number', default: 1, describe: 'Seed for latency jitter, output text and faults' })
        .option('ttft-ms', { type: 'number', describe: 'Time to first token, ms' })
        .option('tokens-per-second', { type: 'number', describe: 'Output speed per request' })
        .check((a) => {
          for (const k of POSITIVE) {
            const v = a[k];
            if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new ConfigError(`--${k}: expected a positive number, found ${String(v)}`);
          }
          for (const k of INTEGERS) {
            const v = a[k];
            if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new ConfigError(`--${k}: expected an integer ≥ 1, found ${String(v)}`);
          }
          if (!(Number.isInteger(a.port) && a.port >= 0 && a.port <= 65535)) throw new ConfigError(`--port: expected an integer 0–65535, found ${a.port}`);
          return true;
        }),
    handler: async (a) => {
      // Handlers first: a supervisor may signal as soon as it reads the "listening on" line.
      let stopRequested!: () => void;
      const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
      process.once('SIGINT', () => stopRequested());
      process.once('SIGTERM', () => stopRequested());
      const server = await createMockServer(await optionsOf(a));
      process.stdout.write(`listening on ${server.url}\n`);
      process.stdout.write(`OpenAI-compatible base URL: ${server.url}/v1 — state: ${server.url}/__limitprobe/state\n`);
      await stopped;
      await server.close();
      setExit(EXIT.ok);
    },
  };
}

/** Flags → MockServerOptions: plain fields copied, small specs parsed by the mock's own parsers. */
async function optionsOf(a: MockArgs): Promise<MockServerOptions> {
  const o: MockServerOptions = { host: a.host, port: a.port, seed: a.seed, dispatch: a.transport };
  if (a.profile !== undefined) o.profile = await loadProfileArg(a.profile);
  if (a.dialect !== undefined) o.dialect = a.dialect;
  if (a.model !== undefined) o.model = a.model;
  const numbers = { rpm: a.rpm, tpm: a.tpm, rpd: a.rpd, tpd: a.tpd, itpm: a.itpm, otpm: a.otpm, maxConcurrent: a['max-concurrent'], rpmCapacity: a['rpm-capacity'], tpmCapacity: a['tpm-capacity'], contextWindow: a['context-window'], budgetUsd: a['budget-usd'] };
  for (const [k, v] of Object.entries(numbers)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  if (a['sub-minute'] !== undefined) o.enforcement = { subMinute: a['sub-minute'] };
  if (a['burst-factor'] !== undefined) o.burst = { factor: a['burst-factor'] };
  if (a['api-key']?.length) o.apiKeys = Object.fromEntries(a['api-key'].map(parseApiKeySpec));
  if (a['admin-token'] !== undefined) o.adminToken = a['admin-token'];
  if (a.fault?.length) o.faults = a.fault.map(parseFaultSpec);
  if (a['overload-capacity'] !== undefined || a['overload-window']?.length) {
    o.overload = {
      ...(a['overload-capacity'] !== undefined ? { capacity: parseOverloadCapacity(a['overload-capacity']) } : {}),
      ...(a['overload-window']?.length ? { timeline: a['overload-window'].map(parseOverloadWindow) } : {}),
    };
  }
  if (a['token-estimate'] !== undefined) o.tokenEstimate = a['token-estimate'];
  if (a['flush-headers-at'] !== undefined) o.flushHeadersAt = a['flush-headers-at'];
  if (a['validate-first'] !== undefined) o.validateFirst = a['validate-first'];
  if (a['rejected-count']) o.rejectedConsumeRequests = true;
  if (a['both-exhausted'] !== undefined) o.bothExhausted = a['both-exhausted'];
  if (a['drop-ratelimit-headers-on-429']) o.dropRateLimitHeadersOn429 = true;
  if (a['limiter-store'] !== undefined) o.limiterStore = parseLimiterStore(a['limiter-store']);
  if (a['store-failure'] !== undefined) o.storeFailure = parseStoreFailure(a['store-failure']);
  if (a['store-instances'] !== undefined) o.storeInstances = parseStoreInstances(a['store-instances']);
  if (a['ttft-ms'] !== undefined || a['tokens-per-second'] !== undefined) {
    o.latency = {
      ...(a['ttft-ms'] !== undefined ? { ttftMs: a['ttft-ms'] } : {}),
      ...(a['tokens-per-second'] !== undefined ? { tokensPerSecond: a['tokens-per-second'] } : {}),
    };
  }
  return o;
}

/** `--profile` is a profile name, or a YAML/JSON file (e.g. written by `probe --emit-profile`). */
async function loadProfileArg(arg: string): Promise<NonNullable<MockServerOptions['profile']>> {
  if (!/\.(ya?ml|json)$/i.test(arg)) return arg;
  let text: string;
  try {
    text = await readFile(arg, 'utf8');
  } catch (e) {
    throw new ConfigError(`--profile: expected a readable profile file, found ${arg} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return parseYaml(text) as NonNullable<MockServerOptions['profile']>;
  } catch (e) {
    throw new ConfigError(`--profile: expected YAML or JSON in ${arg}, found a syntax error: ${(e as Error).message}`);
  }
}
