/**
 * Simulation throughput: simulated attempts per wall second, and the time to simulate one
 * hour of the Qwen2 seed limits (800 RPM / 800,000 TPM) at 2× overload (1,600 requests/min of
 * 800 + 200 tokens: twice the RPM, twice the TPM). Three layers, so we know where time goes:
 *
 *   engine   executor + simulated dispatch + mock core + virtual clock, a no-op recorder
 *   metrics  + MetricsCollector (HDR histograms): what each point of a `plan` sweep costs
 *   reports  + requests.csv / timeseries.csv / summary.csv on disk: a full `run --sim`
 *
 * Each is run `--repeat` times; the best and the median are printed (the machine is shared:
 * wall time is noisy, CPU time less so). Memory: peak heap and RSS sampled every 4 ms, and max RSS;
 * `--hours 4` shows it stays flat as the simulated time grows.
 *
 *   npx tsx bench/sim-throughput.ts [--hours 1] [--repeat 3] [--overload 2] [--closed] [--modes engine,metrics,reports]
 *   (compiled: npx tsc -p tsconfig.json --outDir /tmp/lp && node /tmp/lp/bench/sim-throughput.js)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimulated } from '../src/capacity/sim-run.js';
import { parseScenario } from '../src/scenario/index.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const hours = opt('hours', 1);
const repeat = opt('repeat', 3);
const overload = opt('overload', 2);
const closed = args.includes('--closed');
const modesArg = args.indexOf('--modes');
const modes = (modesArg >= 0 ? args[modesArg + 1]!.split(',') : ['engine', 'metrics', 'reports']) as ('engine' | 'metrics' | 'reports')[];

const scenario = parseScenario({
  name: 'sim-bench',
  seed: 1,
  target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct' },
  request: { promptTokens: 800, maxTokens: 200 },
  maxInFlight: 4096,
  phases: [
    closed
      ? { name: 'closed', duration: hours * 3600, concurrency: 64 }
      : { name: 'overload', duration: hours * 3600, arrival: { type: 'constant', rate: `${800 * overload}/min` } },
  ],
});

interface Sample {
  wallMs: number;
  cpuMs: number;
  attempts: number;
  peakHeapMb: number;
  peakRssMb: number;
}

async function once(mode: 'engine' | 'metrics' | 'reports'): Promise<Sample> {
  const dir = mode === 'reports' ? mkdtempSync(join(tmpdir(), 'lp-simbench-')) : undefined;
  const m0 = process.memoryUsage();
  let peak = m0.heapUsed;
  let peakRss = m0.rss;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    if (m.heapUsed > peak) peak = m.heapUsed;
    if (m.rss > peakRss) peakRss = m.rss;
  }, 4);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await runSimulated(scenario, { outDir: dir, collect: mode !== 'engine' });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(timer);
  if (dir) rmSync(dir, { recursive: true, force: true });
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, attempts: r.execution.attempts + r.execution.dropped, peakHeapMb: peak / 2 ** 20, peakRssMb: peakRss / 2 ** 20 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`scenario: ${closed ? '64 closed-loop workers' : `${800 * overload}/min open loop (${overload}× the 800 RPM)`}, 800+200 tokens, ${hours} simulated hour(s), qwen2 limits`);
console.log('mode     attempts   best wall  median wall  best cpu   attempts/s (best wall)  attempts/s (cpu)  peak heap  peak RSS');
await once('metrics'); // warm-up: JIT, tokenizer tables, module loading
for (const mode of modes) {
  const runs: Sample[] = [];
  for (let i = 0; i < repeat; i++) runs.push(await once(mode));
  const bestWall = Math.min(...runs.map((r) => r.wallMs));
  const bestCpu = Math.min(...runs.map((r) => r.cpuMs));
  const n = runs[0]!.attempts;
  console.log(
    `${mode.padEnd(8)} ${String(n).padStart(8)} ${bestWall.toFixed(0).padStart(9)} ms ${median(runs.map((r) => r.wallMs)).toFixed(0).padStart(9)} ms ${bestCpu.toFixed(0).padStart(7)} ms ${Math.round((n / bestWall) * 1000).toLocaleString('en-US').padStart(18)} ${Math.round((n / bestCpu) * 1000).toLocaleString('en-US').padStart(18)} ${Math.max(...runs.map((r) => r.peakHeapMb)).toFixed(0).padStart(8)} MB ${Math.max(...runs.map((r) => r.peakRssMb)).toFixed(0).padStart(7)} MB`,
  );
}
console.log(`max RSS of the process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
