/**
 * Memory stays flat: RSS and heap of a long run, sampled every second, with every report
 * written (requests.csv and timeseries.csv streamed, summary, metrics histograms).
 *
 *   sim   1,000,000 requests through runScenario (src/run.ts) with `mode: sim`: the mock's core
 *         in virtual time, the real executor, recorders, CSV writers — only the sockets are
 *         simulated, so a million requests take a minute, not hours.
 *   live  100,000 requests at a high rate through runScenario against the HTTP mock
 *         (createMockServer in a child process, so the client's RSS is the client's alone):
 *         the same run over real sockets, undici and the RealClock.
 *
 * Each part runs in a fresh child process (its own RSS from zero). The parent prints, per part:
 * peak RSS (the kernel's high-water mark, getrusage maxRSS, and the highest 1 s sample), peak
 * heap, the slope of RSS and heap against requests done over the steady part of the run
 * (after the first 20 % of requests; a least-squares fit, MB per 100k requests) and the
 * sampled curve. Goal: peak RSS < 200 MB for 1M requests.
 *
 *   npx tsx bench/memory-1m.ts [--requests 1000000] [--rate 2000] [--live-requests 100000]
 *                              [--live-rate 2500] [--only sim|live] [--keep] [--heap-snapshot]
 *                              [--heap-growing-percent 30]
 *
 * --heap-growing-percent N adds a second sim part and a second live part whose child runs with
 * that V8 flag (the old generation may grow by N % of the live heap between full GCs instead of
 * up to 4×).
 * Each part also reports the lowest heapUsed sample of its steady part (≈ the live heap after a
 * full GC) beside the peak: peak ÷ low is V8's heap growth between full GCs.
 *
 * --keep keeps the report directories (their sizes are printed either way); --heap-snapshot
 * writes a V8 heap snapshot of the client at the end of each part, before its reports close.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { listeningUrl } from './child.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const MB = 2 ** 20;
const MODEL = 'qwen2-7b-instruct';

interface Sample {
  /** Wall seconds since the part started. */
  t: number;
  done: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** The mock child's RSS (live part only). */
  serverRss?: number;
}

interface PartResult {
  part: string;
  requests: number;
  attempts: number;
  wallS: number;
  cpuS: number;
  maxRssMb: number;
  samples: Sample[];
  reportBytes: Record<string, number>;
  outcomes: Record<string, number>;
  heapSnapshot?: string;
}

function rssOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

// ---- child: the HTTP mock -------------------------------------------------------------------

async function serveMock(): Promise<void> {
  const { createMockServer } = await import('../mock-server/index.js');
  const s = await createMockServer({
    profile: 'qwen2',
    model: MODEL,
    rpm: 1_000_000_000,
    tpm: 1_000_000_000_000,
    latency: { ttftMs: 20, tokensPerSecond: 1000, jitter: 0 },
  });
  process.stdout.write(`LISTENING ${s.url}\n`);
  process.on('SIGTERM', () => void s.close().then(() => process.exit(0)));
}

// ---- child: one part ------------------------------------------------------------------------

async function runPart(part: 'sim' | 'live', requests: number, rate: number, url?: string): Promise<PartResult> {
  const { parseScenario } = await import('../src/scenario/index.js');
  const { runScenario } = await import('../src/run.js');
  const outDir = mkdtempSync(join(tmpdir(), `lp-mem-${part}-`));
  const scenario = parseScenario({
    name: `memory-${part}`,
    seed: 1,
    mode: part === 'sim' ? 'sim' : 'live',
    target:
      part === 'sim'
        ? { kind: 'mock', profile: 'qwen2', model: MODEL, limits: { rpm: 1_000_000_000, tpm: 1_000_000_000 }, latency: { ttftMs: 20, tokensPerSecond: 1000 } }
        : { kind: 'http', baseUrl: `${url}/v1`, model: MODEL },
    request: { promptTokens: { dist: 'uniform', min: 50, max: 200 }, maxTokens: 16 },
    maxInFlight: 2048,
    phases: [{ name: 'load', requests, arrival: { type: 'constant', rate } }],
    output: { dir: outDir },
  });
  const serverPid = process.env.MEM_SERVER_PID ? Number(process.env.MEM_SERVER_PID) : undefined;
  let done = 0;
  const outcomes: Record<string, number> = {};
  const samples: Sample[] = [];
  const t0 = performance.now();
  const take = () => {
    const m = process.memoryUsage();
    samples.push({ t: (performance.now() - t0) / 1000, done, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, serverRss: rssOf(serverPid) });
  };
  take();
  const timer = setInterval(take, 1000);
  const cpu0 = process.cpuUsage();
  let heapSnapshot: string | undefined;
  const result = await runScenario(scenario, {
    outDir,
    warn: () => {},
    observer: {
      record(rec) {
        done++;
        outcomes[rec.outcome] = (outcomes[rec.outcome] ?? 0) + 1;
        if (args.includes('--heap-snapshot') && done === Math.floor(requests * 0.9)) heapSnapshot = writeHeapSnapshot(join(outDir, `${part}.heapsnapshot`));
      },
    },
  });
  clearInterval(timer);
  take();
  const cpu = process.cpuUsage(cpu0);
  const reportBytes: Record<string, number> = {};
  for (const f of readdirSync(outDir)) if (!f.endsWith('.heapsnapshot')) reportBytes[f] = statSync(join(outDir, f)).size;
  if (!args.includes('--keep')) rmSync(outDir, { recursive: true, force: true });
  else process.stderr.write(`reports kept in ${outDir}\n`);
  return {
    part,
    requests: result.execution.requests,
    attempts: result.execution.attempts + result.execution.dropped,
    wallS: (performance.now() - t0) / 1000,
    cpuS: (cpu.user + cpu.system) / 1e6,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    samples,
    reportBytes,
    outcomes,
    heapSnapshot,
  };
}

// ---- parent ---------------------------------------------------------------------------------

const self = fileURLToPath(import.meta.url);

function spawnChild(childArgs: string[], env: Record<string, string> = {}, nodeFlags: string[] = []): ChildProcess {
  return spawn(process.execPath, [...process.execArgv, ...nodeFlags, self, ...childArgs], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
}

function startMock(): Promise<{ child: ChildProcess; url: string }> {
  return listeningUrl(spawnChild(['--serve']), 'mock');
}

function runChild(childArgs: string[], env: Record<string, string> = {}, nodeFlags: string[] = []): Promise<PartResult> {
  const child = spawnChild(childArgs, env, nodeFlags);
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => (buf += d.toString()));
    child.once('exit', (code) => {
      const m = /RESULT (\{.*\})/.exec(buf);
      if (m) resolve(JSON.parse(m[1]!) as PartResult);
      else reject(new Error(`part ${childArgs.join(' ')} exited with ${code} and no result:\n${buf.slice(-2000)}`));
    });
  });
}

/** Least-squares slope of y against x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

function report(r: PartResult, label: string): Record<string, string | number> {
  const s = r.samples;
  const steady = s.filter((x) => x.done >= r.requests * 0.2 && x.done < r.attempts);
  const per100k = (k: 'rss' | 'heapUsed') => (slope(steady.map((x) => x.done), steady.map((x) => x[k] / MB)) * 100_000).toFixed(2);
  const perMin = (k: 'rss' | 'heapUsed') => (slope(steady.map((x) => x.t), steady.map((x) => x[k] / MB)) * 60).toFixed(2);
  const peak = (k: 'rss' | 'heapUsed' | 'heapTotal' | 'external') => Math.max(...s.map((x) => x[k])) / MB;
  const at = (q: number) => s.find((x) => x.done >= r.requests * q);
  console.log(`\n${label}: ${r.attempts.toLocaleString('en-US')} attempts in ${r.wallS.toFixed(1)} s wall (${r.cpuS.toFixed(1)} s CPU), outcomes ${JSON.stringify(r.outcomes)}`);
  console.log(`reports: ${Object.entries(r.reportBytes).map(([f, b]) => `${f} ${(b / MB).toFixed(1)} MB`).join(', ')}`);
  console.log('curve (one line per ~10 % of requests): t s, requests done, RSS MB, heapUsed MB, heapTotal MB, external MB' + (s.some((x) => x.serverRss) ? ', mock RSS MB' : ''));
  let next = 0;
  for (const x of s) {
    if (x.done >= next || x === s[s.length - 1]) {
      console.log(
        `  ${x.t.toFixed(0).padStart(4)}  ${String(x.done).padStart(8)}  ${(x.rss / MB).toFixed(0).padStart(5)}  ${(x.heapUsed / MB).toFixed(0).padStart(5)}  ${(x.heapTotal / MB).toFixed(0).padStart(5)}  ${(x.external / MB).toFixed(0).padStart(5)}` +
          (x.serverRss ? `  ${(x.serverRss / MB).toFixed(0).padStart(5)}` : ''),
      );
      next = x.done + r.requests / 10;
    }
  }
  return {
    part: label,
    requests: r.attempts,
    'wall s': Number(r.wallS.toFixed(1)),
    'peak RSS MB (maxRSS)': Number(r.maxRssMb.toFixed(0)),
    'peak RSS MB (1 s samples)': Number(peak('rss').toFixed(0)),
    'peak heapUsed MB': Number(peak('heapUsed').toFixed(0)),
    // The lowest 1 s sample after the first 20 %: an upper bound on the live heap after a full GC.
    'heapUsed low MB (steady)': steady.length ? Number((Math.min(...steady.map((x) => x.heapUsed)) / MB).toFixed(0)) : '-',
    'peak heapTotal MB': Number(peak('heapTotal').toFixed(0)),
    'RSS at 20 % / 50 % / 100 %': [at(0.2), at(0.5), s[s.length - 1]].map((x) => (x ? (x.rss / MB).toFixed(0) : '-')).join(' / '),
    'RSS slope MB/100k req': per100k('rss'),
    'heap slope MB/100k req': per100k('heapUsed'),
    'RSS slope MB/min': perMin('rss'),
    samples: s.length,
    'goal < 200 MB': r.maxRssMb < 200 ? 'met' : 'MISSED',
  };
}

async function main(): Promise<void> {
  const requests = Number(opt('requests', '1000000'));
  const rate = Number(opt('rate', '2000'));
  const liveRequests = Number(opt('live-requests', '100000'));
  const liveRate = Number(opt('live-rate', '2500'));
  const only = opt('only', '');
  const started = new Date();
  console.log(`memory — ${started.toISOString()}, node ${process.version}, ${cpus().length} CPUs, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const rows: Record<string, string | number>[] = [];
  const pass = args.filter((a) => a === '--keep' || a === '--heap-snapshot');
  if (only !== 'live') {
    const r = await runChild(['--part', 'sim', String(requests), String(rate), ...pass]);
    rows.push(report(r, `sim ${requests.toLocaleString('en-US')} req @ ${rate}/s (virtual)`));
    if (r.heapSnapshot) console.log(`heap snapshot: ${r.heapSnapshot}`);
    console.log(`load average now ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    // The same run with V8 told to grow the old generation by at most this percentage per
    // full GC (default: up to 4× the live heap): evidence for what the peak is made of.
    const hgp = opt('heap-growing-percent', '');
    if (hgp) {
      const flags = [`--heap-growing-percent=${hgp}`];
      const r2 = await runChild(['--part', 'sim', String(requests), String(rate), ...pass], {}, flags);
      rows.push(report(r2, `sim ${requests.toLocaleString('en-US')} req @ ${rate}/s (virtual), node ${flags.join(' ')}`));
      console.log(`load average now ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    }
  }
  if (only !== 'sim') {
    const mock = await startMock();
    try {
      const r = await runChild(['--part', 'live', String(liveRequests), String(liveRate), mock.url, ...pass], { MEM_SERVER_PID: String(mock.child.pid) });
      rows.push(report(r, `live ${liveRequests.toLocaleString('en-US')} req @ ${liveRate}/s vs HTTP mock`));
      if (r.heapSnapshot) console.log(`heap snapshot: ${r.heapSnapshot}`);
      const hgp = opt('heap-growing-percent', '');
      if (hgp) {
        const flags = [`--heap-growing-percent=${hgp}`];
        const r2 = await runChild(['--part', 'live', String(liveRequests), String(liveRate), mock.url, ...pass], { MEM_SERVER_PID: String(mock.child.pid) }, flags);
        rows.push(report(r2, `live ${liveRequests.toLocaleString('en-US')} req @ ${liveRate}/s vs HTTP mock, node ${flags.join(' ')}`));
      }
    } finally {
      mock.child.kill('SIGTERM');
    }
    console.log(`load average now ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  }
  console.log('');
  console.table(rows);
  console.log(`wall ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s; load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

const pi = args.indexOf('--part');
if (args.includes('--serve')) {
  await serveMock();
} else if (pi >= 0) {
  const [part, n, r, url] = args.slice(pi + 1);
  const res = await runPart(part as 'sim' | 'live', Number(n), Number(r), url?.startsWith('http') ? url : undefined);
  process.stdout.write(`RESULT ${JSON.stringify(res)}\n`);
  process.exit(0);
} else {
  await main();
}
