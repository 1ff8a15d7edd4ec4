/**
 * Mock throughput: autocannon against (a) a raw node:http server answering the same JSON body,
 * (b) the mock's JSON completions with limits on (set high enough not to reject), (c) the
 * mock's SSE streaming; (b′)/(c′) the same through the all-msw dispatch (`dispatch: 'msw'`,
 * every request via msw getResponse) for comparison. Latency is zero: this measures the
 * mock's own cost per request. Servers run in child processes (the load generator must not share the
 * server's core); every figure comes from the same run, so the ratios to raw are paired.
 *
 *   npx tsx bench/mock-throughput.ts [--duration 5] [--connections 64] [--max-tokens 16] [--profile]
 *
 * --profile: the direct-dispatch mock runs under `node --cpu-prof`; after the run the top
 * functions by self time (JSON load only) are printed, grouped by file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { cpuMicros, listeningUrl } from './child.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};

const MODEL = 'qwen2-7b-instruct';
const PROMPT = 'You are a load test. '.repeat(20).trim();

function requestBody(stream: boolean, maxTokens: number): string {
  return JSON.stringify({
    model: MODEL,
    messages: [{ role: 'user', content: PROMPT }],
    max_tokens: maxTokens,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

// ---- child: serve ---------------------------------------------------------------------------
async function serve(kind: string): Promise<void> {
  if (kind === 'raw') {
    const body = Buffer.from(process.env.RAW_BODY ?? '{}');
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
        res.end(body);
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const a = server.address() as { port: number };
      process.stdout.write(`LISTENING http://127.0.0.1:${a.port}\n`);
    });
    return;
  }
  const { createMockServer } = await import('../mock-server/index.js');
  const s = await createMockServer({
    dispatch: kind === 'mock-msw' ? 'msw' : 'direct',
    rpm: 1_000_000_000,
    tpm: 1_000_000_000_000,
    latency: { ttftMs: 0, tokensPerSecond: 0, jitter: 0 },
  });
  process.stdout.write(`LISTENING ${s.url}\n`);
  // Exit cleanly on SIGTERM so --cpu-prof writes its profile.
  process.on('SIGTERM', () => {
    void s.close().then(() => process.exit(0));
  });
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** Top self-time functions and files of a .cpuprofile. */
function summarizeProfile(file: string, top = 18): void {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i]!, (self.get(prof.samples[i]!) ?? 0) + (prof.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const files = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const url = n.callFrame.url.replace(/^.*\/(node_modules\/[^/]+(\/[^/]+)?)\/.*$/, '$1').replace(/^.*\/work\/main\//, '').replace(/^file:\/\//, '');
    const key = `${n.callFrame.functionName || '(anonymous)'}  ${url || '(native)'}${url ? ':' + (n.callFrame.lineNumber + 1) : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const group = url.startsWith('node:') ? url : url.startsWith('node_modules') ? url : url.includes('mock-server') || url.includes('src/') ? url : n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : url || '(native)';
    files.set(group, (files.get(group) ?? 0) + us);
  }
  const pct = (us: number) => ((100 * us) / total).toFixed(1) + ' %';
  console.log(`\nCPU profile of the direct mock (${(total / 1e6).toFixed(2)} s sampled): top functions by self time`);
  console.table([...fn].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => ({ function: k, self: pct(v) })));
  console.log('by file / area');
  console.table([...files].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => ({ area: k, self: pct(v) })));
}

// ---- parent: orchestrate --------------------------------------------------------------------
interface Started {
  child: ChildProcess;
  url: string;
}

function startServer(kind: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Started> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [...nodeArgs, ...process.execArgv, self, '--serve', kind], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return listeningUrl(child, `${kind} server`);
}

function stop(s: Started): Promise<void> {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null) return resolve();
    s.child.once('exit', () => resolve());
    s.child.kill('SIGTERM');
    setTimeout(() => s.child.kill('SIGKILL'), 3000).unref();
  });
}


interface Result {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  cpuUsPerReq?: number;
  bytesPerReq: number;
}

async function load(name: string, s: Started, body: string, duration: number, connections: number): Promise<Result> {
  const url = `${s.url}/v1/chat/completions`;
  const base = { url, method: 'POST' as const, headers: { 'content-type': 'application/json' }, body, connections };
  await autocannon({ ...base, duration: 1 }); // warm-up, discarded
  const cpu0 = cpuMicros(s.child.pid!);
  const r = await autocannon({ ...base, duration });
  const cpu1 = cpuMicros(s.child.pid!);
  const done = r.requests.total;
  return {
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    cpuUsPerReq: cpu0 !== undefined && cpu1 !== undefined && done > 0 ? (cpu1 - cpu0) / done : undefined,
    bytesPerReq: done > 0 ? r.throughput.total / done : 0,
  };
}

/** The mock's own cost without HTTP: chatCompletions() in process, JSON, limits on. */
async function coreCost(maxTokens: number): Promise<{ label: string; us: number }[]> {
  const { MockCore } = await import('../mock-server/core/core.js');
  const { chatCompletions } = await import('../mock-server/core/chat.js');
  const body = requestBody(false, maxTokens);
  const out: { label: string; us: number }[] = [];
  const variants: [string, Record<string, unknown>][] = [
    ['core: openai dialect, RPM+TPM', {}],
    ['core: + 3 API keys, 1 s layer, burst guard', { apiKeys: ['a', 'b', 'c'], enforcement: { subMinute: '1s' }, burst: { factor: 1e9 } }],
    ['core: anthropic dialect (RPM, ITPM, OTPM)', { dialect: 'anthropic', profile: 'qwen2' }],
  ];
  for (const [label, extra] of variants) {
    const core = new MockCore({ rpm: 1e9, tpm: 1e12, itpm: 1e12, otpm: 1e12, latency: { ttftMs: 0, tokensPerSecond: 0, jitter: 0 }, ...extra });
    const meta = { header: (n: string) => (n === 'authorization' ? 'Bearer b' : undefined) };
    const run = (n: number) => (async () => {
      for (let i = 0; i < n; i++) await chatCompletions(core, body, undefined, meta);
    })();
    await run(5000);
    const t0 = performance.now();
    const N = 30000;
    await run(N);
    out.push({ label, us: ((performance.now() - t0) * 1000) / N });
  }
  return out;
}

async function main(): Promise<void> {
  const duration = opt('duration', 5);
  const connections = opt('connections', 64);
  const maxTokens = opt('max-tokens', 16);
  const jsonBody = requestBody(false, maxTokens);
  const streamBody = requestBody(true, maxTokens);

  // The raw server answers with exactly the mock's JSON response.
  const probe = await startServer('mock');
  const sample = await fetch(`${probe.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: jsonBody });
  const rawBody = await sample.text();
  await stop(probe);

  const results: Result[] = [];
  const raw = await startServer('raw', { RAW_BODY: rawBody });
  results.push(await load('(a) raw node:http, same JSON body', raw, jsonBody, duration, connections));
  await stop(raw);

  const profileDir = args.includes('--profile') ? mkdtempSync(join(tmpdir(), 'mock-prof-')) : undefined;
  const mock = await startServer('mock', {}, profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []);
  results.push(await load('(b) mock JSON, limits on', mock, jsonBody, duration, connections));
  if (profileDir) {
    await stop(mock);
  }
  const mock2 = profileDir ? await startServer('mock') : mock;
  results.push(await load(`(c) mock SSE, ${maxTokens} tokens + usage`, mock2, streamBody, duration, connections));
  await stop(mock2);

  const viaMsw = await startServer('mock-msw');
  results.push(await load("(b') mock JSON, dispatch: 'msw'", viaMsw, jsonBody, duration, connections));
  results.push(await load("(c') mock SSE, dispatch: 'msw'", viaMsw, streamBody, duration, connections));
  await stop(viaMsw);

  const base = results[0]!.rps;
  console.log(`\nautocannon c=${connections}, ${duration} s each, node ${process.version}, ${maxTokens} output tokens, body ${rawBody.length} B\n`);
  const rows = results.map((r) => ({
    server: r.name,
    'req/s': Math.round(r.rps),
    'ratio to raw': (r.rps / base).toFixed(3),
    'p50 ms': r.p50,
    'p99 ms': r.p99,
    'server CPU µs/req': r.cpuUsPerReq === undefined ? '-' : Math.round(r.cpuUsPerReq),
    'B/resp': Math.round(r.bytesPerReq),
    non2xx: r.non2xx,
    errors: r.errors,
  }));
  console.table(rows);
  console.log('\nThe mock core alone (in process, no HTTP, same JSON request):');
  console.table((await coreCost(maxTokens)).map((c) => ({ variant: c.label, 'µs/req': c.us.toFixed(1), 'req/s on one core': Math.round(1e6 / c.us) })));
  if (profileDir) {
    const f = readdirSync(profileDir).find((x) => x.endsWith('.cpuprofile'));
    if (f) summarizeProfile(join(profileDir, f));
    else console.log(`no profile written in ${profileDir}`);
  }
}

const serveIdx = args.indexOf('--serve');
if (serveIdx >= 0) {
  await serve(args[serveIdx + 1]!);
} else {
  await main();
}
