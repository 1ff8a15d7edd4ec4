/**
 * Generator accuracy: how faithfully our open-loop executor keeps its schedule, and how fast
 * our undici client can go, against a raw node:http server that answers a small JSON chat
 * completion at once (so the server is never the limit of the open-loop part).
 *
 * (a) Open loop, through the real stack: parseScenario → buildPlan (constant arrivals) →
 *     execute() on a RealClock → HttpDispatch (undici Pool). From the records of the measured
 *     phase (a 1 s warm-up phase at the same rate comes first): achieved vs intended rate,
 *     schedule lag (startMs − targetedStartMs) p50/p99/p99.9/max, response time from the
 *     planned start, and the client process's CPU (process.cpuUsage) and event-loop
 *     utilisation over the phase: "without burning a core to spin" is the CPU column.
 * (b) Closed loop, maximum sustained rate with C connections: autocannon; HttpDispatch.send
 *     in C workers (one prebuilt request: the client alone); execute() with a closed phase of
 *     C workers (makeRequest + recording: the whole generator). Ratios to autocannon are
 *     paired (same repetition, same server).
 *
 * The server runs in a child process and every client in a fresh child process (the
 * generator must not share its event loop with the server, nor inherit another client's heap
 * or JIT state). Repetitions are interleaved and their order rotated; tables show the median
 * [min–max] of the repetitions, ratios are taken per repetition, then the median.
 *
 *   npx tsx bench/generator-accuracy.ts [--repeat 3] [--duration 5] [--connections 64] [--rates 1000,5000]
 *                                       [--only dispatch,executor,open,no-op]  (autocannon always runs)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { createServer } from 'node:http';
import { loadavg, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { AttemptResult } from '../src/exec/ports.js';
import { cpuMicros, listeningUrl } from './child.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};

const MODEL = 'gpt-4o-mini';
const PROMPT_TOKENS = 32;
const MAX_TOKENS = 16;

/** The raw server's answer: a small, complete chat.completion with usage. */
const COMPLETION = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: MODEL,
  choices: [{ index: 0, message: { role: 'assistant', content: 'This is a short answer from the raw server.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: MAX_TOKENS, total_tokens: PROMPT_TOKENS + MAX_TOKENS },
});

// ---- shared helpers -------------------------------------------------------------------------


function pct(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// ---- child: the raw server ------------------------------------------------------------------

function serve(): void {
  const body = Buffer.from(COMPLETION);
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const a = server.address() as { port: number };
    process.stdout.write(`LISTENING http://127.0.0.1:${a.port}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}

// ---- child: clients -------------------------------------------------------------------------

interface ClientResult {
  kind: string;
  /** Open loop: the intended rate. */
  intended?: number;
  achieved: number;
  planned?: number;
  sent: number;
  ok: number;
  dropped: number;
  errors: number;
  lagP50?: number;
  lagP99?: number;
  lagP999?: number;
  lagMax?: number;
  earlyPct?: number;
  latP50: number;
  latP99: number;
  rtP99?: number;
  cpuPct: number;
  cpuUsPerReq: number;
  elu?: number;
  serverCpuPct?: number;
  serverCpuUsPerReq?: number;
  windowMs: number;
  /** The first makeRequest of the process (the tokenizer's rank table loads lazily), ms. */
  coldMakeRequestMs?: number;
  /** Open loop: lag p99 of each second of the measured phase (by planned time): a stall or a drift. */
  lagP99BySecond?: number[];
}

/**
 * The plan's first makeRequest loads the tokenizer's rank table (lazily, 0.1–0.5 s). In a
 * real run that happens at t = 0 of the schedule (see README: a start-up stall); here it is
 * paid before the clock starts so the tables show the steady state, and its cost is reported.
 */
function prewarm(plan: { phases: readonly unknown[]; makeRequest: (id: number, phase: never, t: number) => unknown }): number {
  const t0 = performance.now();
  plan.makeRequest(-1, plan.phases[0] as never, 0);
  return performance.now() - t0;
}

async function scenarioFor(url: string, phases: unknown[]) {
  const { parseScenario } = await import('../src/scenario/index.js');
  return parseScenario({
    name: 'generator-accuracy',
    seed: 1,
    target: { kind: 'http', baseUrl: `${url}/v1`, model: MODEL },
    request: { promptTokens: PROMPT_TOKENS, maxTokens: MAX_TOKENS },
    maxInFlight: 512,
    phases,
  });
}

async function clientStack(url: string, connections: number) {
  const { RealClock } = await import('../src/clock.js');
  const { runRelativeClock } = await import('../src/exec/run-clock.js');
  const { HttpDispatch } = await import('../src/client/undici-dispatch.js');
  const clock = runRelativeClock(new RealClock());
  const dispatch = new HttpDispatch({ baseUrl: `${url}/v1`, dialect: 'openai', timeoutMs: 60_000, clock, connections });
  return { clock, dispatch };
}

interface Window {
  cpu: NodeJS.CpuUsage;
  t: number;
  server?: number;
  elu: ReturnType<typeof performance.eventLoopUtilization>;
}
const serverPid = process.env.BENCH_SERVER_PID ? Number(process.env.BENCH_SERVER_PID) : undefined;
const openWindow = (): Window => ({ cpu: process.cpuUsage(), t: performance.now(), server: cpuMicros(serverPid), elu: performance.eventLoopUtilization() });
function closeWindow(w: Window, n: number) {
  const cpu = process.cpuUsage(w.cpu);
  const windowMs = performance.now() - w.t;
  const cpuUs = cpu.user + cpu.system;
  const s1 = cpuMicros(serverPid);
  const serverUs = w.server !== undefined && s1 !== undefined ? s1 - w.server : undefined;
  return {
    windowMs,
    cpuPct: (100 * cpuUs) / (windowMs * 1000),
    cpuUsPerReq: n > 0 ? cpuUs / n : NaN,
    elu: performance.eventLoopUtilization(w.elu).utilization,
    serverCpuPct: serverUs === undefined ? undefined : (100 * serverUs) / (windowMs * 1000),
    serverCpuUsPerReq: serverUs === undefined || n === 0 ? undefined : serverUs / n,
  };
}

/** (a) open loop at `rate` through parse → plan → execute → HttpDispatch. */
async function clientOpen(url: string, rate: number, durationS: number, noop = false): Promise<ClientResult> {
  const { buildPlan } = await import('../src/plan/plan.js');
  const { execute } = await import('../src/exec/executor.js');
  const scenario = await scenarioFor(url, [
    { name: 'warm', duration: 1, arrival: { type: 'constant', rate } },
    { name: 'measured', duration: durationS, arrival: { type: 'constant', rate } },
  ]);
  const plan = buildPlan(scenario);
  const coldMakeRequestMs = prewarm(plan);
  const { clock, dispatch } = await clientStack(url, Math.min(scenario.maxInFlight, 1024));
  const cap = Math.ceil(rate * durationS) + 16;
  const lag = new Float64Array(cap);
  const lat = new Float64Array(cap);
  const rt = new Float64Array(cap);
  const bySec: number[][] = [];
  let n = 0;
  let ok = 0;
  let dropped = 0;
  let errors = 0;
  let win: Window | undefined;
  let closed: ReturnType<typeof closeWindow> | undefined;
  let measuredSent = 0;
  const recorder = {
    record(rec: { phase: string; outcome: string; startMs?: number; endMs: number; targetedStartMs: number }) {
      if (rec.phase !== 'measured') return;
      if (rec.outcome === 'dropped') return void dropped++;
      if (rec.outcome === 'ok') ok++;
      else errors++;
      if (rec.startMs === undefined || n >= cap) return;
      lag[n] = rec.startMs - rec.targetedStartMs;
      const sec = Math.floor((rec.targetedStartMs - 1000) / 1000);
      (bySec[sec] ??= []).push(lag[n]!);
      lat[n] = rec.endMs - rec.startMs;
      rt[n] = rec.endMs - rec.targetedStartMs;
      n++;
    },
  };
  let firstStart = Infinity;
  let lastStart = -Infinity;
  const result = await execute({
    plan,
    dispatch: {
      send: (req, attempt, signal) => {
        if (req.phase === 'measured') {
          const t = clock.now();
          if (t < firstStart) firstStart = t;
          if (t > lastStart) lastStart = t;
          measuredSent++;
        }
        // no-op: the scheduler alone (plan, clock, executor, recording), an answer at once.
        return noop ? Promise.resolve<AttemptResult>({ startMs: clock.now(), endMs: clock.now(), outcome: 'ok', promptTokensEstimate: req.promptTokens }) : dispatch.send(req, attempt, signal);
      },
    },
    recorder: recorder as never,
    clock,
    maxInFlight: scenario.maxInFlight,
    onEvent: (ev) => {
      if (ev.type === 'phase-start' && ev.phase === 'measured') win = openWindow();
      if (ev.type === 'phase-end' && ev.phase === 'measured') closed = closeWindow(win!, measuredSent);
    },
  });
  await dispatch.close();
  void result;
  const L = lag.subarray(0, n).sort();
  const Lt = lat.subarray(0, n).sort();
  const R = rt.subarray(0, n).sort();
  let early = 0;
  for (const x of L) if (x < 0) early++;
  const planned = Math.round(rate * durationS);
  return {
    kind: `open ${rate}/s${noop ? ' no-op' : ''}`,
    lagP99BySecond: bySec.map((xs) => pct(xs.sort((a, b) => a - b), 0.99)),
    intended: rate,
    planned,
    // Over the measured phase: every send between its first and last planned arrival.
    achieved: measuredSent > 1 ? ((measuredSent - 1) * 1000) / (lastStart - firstStart) : 0,
    sent: measuredSent,
    ok,
    dropped,
    errors,
    lagP50: pct(L, 0.5),
    lagP99: pct(L, 0.99),
    lagP999: pct(L, 0.999),
    lagMax: L[L.length - 1],
    earlyPct: (100 * early) / Math.max(1, n),
    latP50: pct(Lt, 0.5),
    latP99: pct(Lt, 0.99),
    rtP99: pct(R, 0.99),
    coldMakeRequestMs,
    ...closed!,
  };
}

/**
 * (a) The machine's floor: a bare loop that sleeps on a RealClock until each planned time of
 * the same constant schedule and records the lag — no plan, executor, dispatch or recording.
 * Whatever lag this shows is the host's (CPU contention, timer and wake-up latency), not the
 * generator's; the open-loop rows of the same repetition are to be read against it.
 */
async function clientFloor(rate: number, durationS: number): Promise<ClientResult> {
  const { RealClock } = await import('../src/clock.js');
  const clock = new RealClock();
  const n = Math.round(rate * (durationS + 1));
  const warmN = Math.round(rate);
  const lag = new Float64Array(n - warmN);
  const bySec: number[][] = [];
  const t0 = clock.now() + 50;
  let win: Window | undefined;
  for (let i = 0; i < n; i++) {
    if (i === warmN) win = openWindow();
    const t = t0 + (i * 1000) / rate;
    if (clock.now() < t) await clock.sleepUntil(t);
    const l = clock.now() - t;
    if (i >= warmN) {
      lag[i - warmN] = l;
      (bySec[Math.floor((i - warmN) / rate)] ??= []).push(l);
    }
  }
  const stats = closeWindow(win!, n - warmN);
  const L = lag.sort();
  return {
    kind: `floor ${rate}/s`,
    intended: rate,
    planned: n - warmN,
    achieved: rate,
    sent: n - warmN,
    ok: 0,
    dropped: 0,
    errors: 0,
    lagP50: pct(L, 0.5),
    lagP99: pct(L, 0.99),
    lagP999: pct(L, 0.999),
    lagMax: L[L.length - 1],
    earlyPct: 0,
    latP50: NaN,
    latP99: NaN,
    lagP99BySecond: bySec.map((xs) => pct(xs.sort((a, b) => a - b), 0.99)),
    ...stats,
  };
}

/** (b) HttpDispatch.send in C workers, back to back, one prebuilt request: the client alone. */
async function clientDispatch(url: string, connections: number, durationS: number): Promise<ClientResult> {
  const { buildPlan } = await import('../src/plan/plan.js');
  const scenario = await scenarioFor(url, [{ name: 'closed', duration: durationS, concurrency: connections }]);
  const plan = buildPlan(scenario);
  const req = plan.makeRequest(0, plan.phases[0]!, 0);
  const { dispatch } = await clientStack(url, connections);
  const signal = new AbortController().signal;
  setMaxListeners(0, signal); // every worker's attempt listens to it, as in the executor
  const lat: number[] = [];
  let measuring = false;
  let stopAt = Infinity;
  let n = 0;
  let ok = 0;
  let errors = 0;
  const worker = async () => {
    while (performance.now() < stopAt) {
      const r = await dispatch.send(req, 1, signal);
      if (!measuring) continue;
      n++;
      if (r.outcome === 'ok') ok++;
      else errors++;
      if (r.startMs !== undefined) lat.push(r.endMs - r.startMs);
    }
  };
  const all = Promise.all(Array.from({ length: connections }, worker));
  await new Promise((r) => setTimeout(r, 1000)); // warm-up, not counted
  measuring = true;
  const w = openWindow();
  await new Promise((r) => setTimeout(r, durationS * 1000));
  measuring = false;
  const stats = closeWindow(w, n);
  stopAt = 0;
  await all;
  await dispatch.close();
  lat.sort((a, b) => a - b);
  return { kind: 'dispatch', achieved: (n * 1000) / stats.windowMs, sent: n, ok, dropped: 0, errors, latP50: pct(lat, 0.5), latP99: pct(lat, 0.99), ...stats };
}

/** (b) execute() with a closed phase of C workers: makeRequest, send, record — the whole generator. */
async function clientExecClosed(url: string, connections: number, durationS: number): Promise<ClientResult> {
  const { buildPlan } = await import('../src/plan/plan.js');
  const { execute } = await import('../src/exec/executor.js');
  const scenario = await scenarioFor(url, [
    { name: 'warm', duration: 1, concurrency: connections },
    { name: 'measured', duration: durationS, concurrency: connections },
  ]);
  const plan = buildPlan(scenario);
  const coldMakeRequestMs = prewarm(plan);
  const { clock, dispatch } = await clientStack(url, connections);
  const lat: number[] = [];
  let n = 0;
  let ok = 0;
  let errors = 0;
  let win: Window | undefined;
  let closed: ReturnType<typeof closeWindow> | undefined;
  await execute({
    plan,
    dispatch,
    recorder: {
      record(rec) {
        if (rec.phase !== 'measured' || closed) return;
        n++;
        if (rec.outcome === 'ok') ok++;
        else errors++;
        if (rec.startMs !== undefined) lat.push(rec.endMs - rec.startMs);
      },
    },
    clock,
    maxInFlight: scenario.maxInFlight,
    onEvent: (ev) => {
      if (ev.type === 'phase-start' && ev.phase === 'measured') win = openWindow();
      if (ev.type === 'phase-end' && ev.phase === 'measured') closed = closeWindow(win!, n);
    },
  });
  await dispatch.close();
  lat.sort((a, b) => a - b);
  return { kind: 'executor', achieved: (n * 1000) / closed!.windowMs, sent: n, ok, dropped: 0, errors, latP50: pct(lat, 0.5), latP99: pct(lat, 0.99), coldMakeRequestMs, ...closed! };
}

/** (b) autocannon with the same body, same connections (programmatic API = its CLI). */
async function clientAutocannon(url: string, connections: number, durationS: number): Promise<ClientResult> {
  const { default: autocannon } = await import('autocannon');
  const body = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x '.repeat(PROMPT_TOKENS).trim() }], max_tokens: MAX_TOKENS, stream: false });
  const base = { url: `${url}/v1/chat/completions`, method: 'POST' as const, headers: { 'content-type': 'application/json' }, body, connections };
  await autocannon({ ...base, duration: 1 }); // warm-up, discarded
  const w = openWindow();
  const r = await autocannon({ ...base, duration: durationS });
  const n = r.requests.total;
  const stats = closeWindow(w, n);
  return {
    kind: 'autocannon',
    achieved: (n * 1000) / stats.windowMs,
    sent: n,
    ok: r['2xx'],
    dropped: 0,
    errors: r.errors + r.timeouts + r.non2xx,
    latP50: r.latency.p50,
    latP99: r.latency.p99,
    ...stats,
  };
}

// ---- parent: orchestrate --------------------------------------------------------------------

const self = fileURLToPath(import.meta.url);

function startServer(): Promise<{ child: ChildProcess; url: string }> {
  return listeningUrl(spawn(process.execPath, [...process.execArgv, self, '--serve'], { stdio: ['ignore', 'pipe', 'inherit'] }), 'server');
}

function runClient(clientArgs: string[], serverPidArg: number, hardKillS: number): Promise<ClientResult> {
  const child = spawn(process.execPath, [...process.execArgv, self, '--client', ...clientArgs], {
    env: { ...process.env, BENCH_SERVER_PID: String(serverPidArg) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const kill = setTimeout(() => child.kill('SIGKILL'), hardKillS * 1000);
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => (buf += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(kill);
      const m = /RESULT (\{.*\})/.exec(buf);
      if (m) resolve(JSON.parse(m[1]!) as ClientResult);
      else reject(new Error(`client ${clientArgs.join(' ')} exited with ${code} and no result:\n${buf}`));
    });
  });
}

const f = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
const spread = (xs: number[], d: number) => `${f(median(xs), d)} [${f(Math.min(...xs), d)}–${f(Math.max(...xs), d)}]`;
const spreadInt = (xs: number[]) => `${Math.round(median(xs)).toLocaleString('en-US')} [${Math.round(Math.min(...xs)).toLocaleString('en-US')}–${Math.round(Math.max(...xs)).toLocaleString('en-US')}]`;

async function main(): Promise<void> {
  const repeat = Number(opt('repeat', '3'));
  const duration = Number(opt('duration', '5'));
  const connections = Number(opt('connections', '64'));
  const rates = opt('rates', '1000,5000').split(',').map(Number);
  const load0 = loadavg();
  const started = new Date();
  console.log(`generator accuracy — ${started.toISOString()}, node ${process.version}, ${cpus().length} CPUs, load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`open loop: ${rates.join(', ')} req/s constant, ${duration} s measured after 1 s warm-up; closed loop: ${connections} connections, ${duration} s after 1 s warm-up; ${repeat} repetitions\n`);

  const server = await startServer();
  const pid = server.child.pid!;
  const jobs: { key: string; args: string[] }[] = [
    ...rates.map((r) => ({ key: `open ${r}/s`, args: ['open', server.url, String(r), String(duration)] })),
    ...rates.map((r) => ({ key: `open ${r}/s no-op`, args: ['open-noop', server.url, String(r), String(duration)] })),
    ...rates.map((r) => ({ key: `floor ${r}/s`, args: ['floor', server.url, String(r), String(duration)] })),
    { key: 'autocannon', args: ['ac', server.url, String(connections), String(duration)] },
    { key: 'dispatch', args: ['dispatch', server.url, String(connections), String(duration)] },
    { key: 'executor', args: ['exec-closed', server.url, String(connections), String(duration)] },
  ];
  // --only dispatch,executor,open,no-op: a subset of the jobs (quick checks; autocannon and the floor always run).
  const only = opt('only', '');
  if (only) {
    const want = only.split(',');
    const keep = (k: string) =>
      k === 'autocannon' || k.startsWith('floor') || want.some((w) => (w === 'open' ? k.startsWith('open') && !k.endsWith('no-op') : w === 'no-op' ? k.endsWith('no-op') : k === w));
    jobs.splice(0, jobs.length, ...jobs.filter((j) => keep(j.key)));
  }
  const results = new Map<string, ClientResult[]>(jobs.map((j) => [j.key, []]));
  const ratios = new Map<string, number[]>([['dispatch', []], ['executor', []]]);
  const loads: number[] = [];
  try {
    for (let rep = 0; rep < repeat; rep++) {
      const order = jobs.map((_, i) => jobs[(i + rep) % jobs.length]!);
      const thisRep = new Map<string, ClientResult>();
      for (const j of order) {
        const r = await runClient(j.args, pid, duration + 30);
        thisRep.set(j.key, r);
        results.get(j.key)!.push(r);
        loads.push(loadavg()[0]!);
        process.stderr.write(`rep ${rep + 1}/${repeat} ${j.key}: ${Math.round(r.achieved)} req/s, cpu ${r.cpuPct.toFixed(0)} %${r.lagP99 !== undefined ? `, lag p99 ${r.lagP99.toFixed(2)} ms` : ''} (load ${loadavg()[0]!.toFixed(2)})\n`);
      }
      const ac = thisRep.get('autocannon')?.achieved ?? NaN;
      for (const k of ['dispatch', 'executor']) if (thisRep.has(k)) ratios.get(k)!.push(thisRep.get(k)!.achieved / ac);
    }
  } finally {
    server.child.kill('SIGTERM');
  }

  console.log('\n(a) open loop through parse → buildPlan → execute (RealClock) → HttpDispatch; median [min–max] of the repetitions');
  console.table(
    rates.flatMap((rate) => [`open ${rate}/s`, `open ${rate}/s no-op`, `floor ${rate}/s`]).filter((key) => results.has(key)).map((key) => {
      const rs = results.get(key)!;
      const rate = rs[0]!.intended!;
      const m = (k: keyof ClientResult) => rs.map((r) => r[k] as number);
      return {
        run: key.startsWith('floor') ? `${rate}/s, floor (bare RealClock loop)` : key.endsWith('no-op') ? `${rate}/s, no-op dispatch` : `${rate}/s, HttpDispatch`,
        'achieved req/s': spread(m('achieved'), 1),
        'achieved/intended': f(median(rs.map((r) => r.achieved / rate)), 4),
        'sent/planned': `${median(m('sent'))}/${rs[0]!.planned}`,
        'lag p50 ms': spread(m('lagP50'), 3),
        'lag p99 ms': spread(m('lagP99'), 2),
        'lag p99.9 ms': f(median(m('lagP999'))),
        'lag max ms': f(median(m('lagMax'))),
        'early %': f(median(m('earlyPct')), 1),
        'latency p99 ms': f(median(m('latP99'))),
        'resp. time p99 ms': f(median(m('rtP99'))),
        'client CPU %': spread(m('cpuPct'), 0),
        'client ELU': f(median(m('elu'))),
        'client µs/req': f(median(m('cpuUsPerReq')), 0),
        'server CPU %': f(median(m('serverCpuPct')), 0),
        'dropped/errors': `${median(m('dropped'))}/${median(m('errors'))}`,
        'cold makeRequest ms': f(median(m('coldMakeRequestMs')), 0),
      };
    }),
  );

  const lagVsFloor = rates.flatMap((rate) =>
    [`open ${rate}/s`, `open ${rate}/s no-op`]
      .filter((k) => results.has(k) && results.has(`floor ${rate}/s`))
      .map((k) => {
        const rs = results.get(k)!;
        const fl = results.get(`floor ${rate}/s`)!;
        const d = rs.map((r, i) => r.lagP99! - fl[i]!.lagP99!);
        return `  ${k.padEnd(18)} lag p99 − floor p99 (same repetition): ${spread(d, 2)} ms`;
      }),
  );
  if (lagVsFloor.length) console.log(`paired with the floor:\n${lagVsFloor.join('\n')}`);
  console.log('lag p99 per second of the measured phase (ms), each repetition — a single stall or a steady drift:');
  for (const key of rates.flatMap((rate) => [`open ${rate}/s`, `open ${rate}/s no-op`, `floor ${rate}/s`]).filter((key) => results.has(key))) {
    for (const r of results.get(key)!) console.log(`  ${key.padEnd(18)} ${(r.lagP99BySecond ?? []).map((x) => f(x, x < 10 ? 2 : 0)).join('  ')}`);
  }

  console.log(`\n(b) closed loop, ${connections} connections, maximum sustained rate; ratio = paired (same repetition) ÷ autocannon, median [min–max]`);
  console.table(
    ['autocannon', 'dispatch', 'executor'].filter((k) => results.has(k)).map((k) => {
      const rs = results.get(k)!;
      const m = (key: keyof ClientResult) => rs.map((r) => r[key] as number);
      return {
        client: k === 'autocannon' ? `autocannon c${connections}` : k === 'dispatch' ? `HttpDispatch.send ×${connections} workers` : `execute() closed, ${connections} workers`,
        'req/s': spreadInt(m('achieved')),
        'ratio to autocannon': k === 'autocannon' ? '1' : spread(ratios.get(k)!, 3),
        'p50 ms': f(median(m('latP50'))),
        'p99 ms': f(median(m('latP99'))),
        'client CPU %': f(median(m('cpuPct')), 0),
        'client µs/req': f(median(m('cpuUsPerReq')), 1),
        'server CPU %': f(median(m('serverCpuPct')), 0),
        'server µs/req': f(median(m('serverCpuUsPerReq')), 1),
        errors: median(m('errors')),
      };
    }),
  );
  const load1 = loadavg();
  console.log(`\nload average (1 min) after each client: median ${median(loads).toFixed(2)} [${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}]; at the end ${load1.map((x) => x.toFixed(2)).join(' ')}; wall ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s`);
}

const ci = args.indexOf('--client');
if (args.includes('--serve')) {
  serve();
} else if (ci >= 0) {
  const [kind, url, a, b] = args.slice(ci + 1);
  const r =
    kind === 'open' || kind === 'open-noop'
      ? await clientOpen(url!, Number(a), Number(b), kind === 'open-noop')
      : kind === 'floor'
        ? await clientFloor(Number(a), Number(b))
      : kind === 'dispatch'
        ? await clientDispatch(url!, Number(a), Number(b))
        : kind === 'exec-closed'
          ? await clientExecClosed(url!, Number(a), Number(b))
          : await clientAutocannon(url!, Number(a), Number(b));
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
  process.exit(0);
} else {
  await main();
}
