/**
 * `engine: autocannon`: each phase becomes one autocannon flood at the target's chat URL, with
 * bodies built by the same plan as chat runs (so sizes and seeds mean the same), recorded
 * through the same recorder — a flood and a token workload land in the same report format.
 */
import type { Clock } from './clock.js';
import { runFlood } from './client/autocannon-flood.js';
import type { ExecutionResult } from './exec/executor.js';
import type { RunEvent, Recorder } from './exec/ports.js';
import { ConfigError } from './errors.js';
import type { Dialect } from './metrics/classify.js';
import type { Plan } from './plan/plan.js';
import type { Scenario } from './scenario/index.js';

/** Distinct bodies per phase, cycled: enough variety for caches, cheap to build. */
const BODY_POOL = 256;

export interface FloodRunOptions {
  scenario: Scenario;
  plan: Plan;
  http: { chatUrl: string; headers: Record<string, string> };
  dialect: Dialect;
  recorder: Recorder;
  clock: Clock;
  stop: AbortSignal;
  onEvent?: (ev: RunEvent) => void;
}

export async function runFloodPhases(o: FloodRunOptions): Promise<ExecutionResult> {
  let nextId = 0;
  let attempts = 0;
  const ran: ExecutionResult['phases'] = [];
  for (const phase of o.plan.phases) {
    if (o.stop.aborted) break;
    const rate = phase.kind === 'open' ? phase.groups.reduce((a, g) => a + (g.rate ?? 0), 0) : undefined;
    if (phase.kind === 'open' && !(rate! > 0)) {
      throw new ConfigError(`phases[${phase.index}]: expected an arrival with a mean rate for the autocannon engine, found none`);
    }
    const requests = Array.from({ length: Math.min(phase.maxRequests ?? BODY_POOL, BODY_POOL) }, (_, i) => o.plan.makeRequest(i, phase, 0));
    const bodies = requests.map((r) =>
      JSON.stringify({ model: r.model, messages: r.messages, max_tokens: r.maxTokens, stream: false }),
    );
    const startMs = o.clock.now();
    o.onEvent?.({ type: 'phase-start', phase: phase.name, atMs: startMs });
    const res = await runFlood({
      url: o.http.chatUrl,
      method: 'POST',
      headers: o.http.headers,
      bodies,
      connections: phase.concurrency ?? o.scenario.flood.connections,
      pipelining: o.scenario.flood.pipelining,
      ...(phase.maxRequests !== undefined ? { amount: phase.maxRequests } : { durationMs: phase.durationMs }),
      ...(rate !== undefined ? { overallRate: rate } : {}),
      timeoutMs: Math.max(1_000, o.scenario.client.timeoutMs),
      parseBodies: o.dialect,
      recorder: o.recorder,
      firstRequestId: nextId,
      promptTokensEstimate: requests[0]?.promptTokens,
      phase: phase.name,
      now: () => o.clock.now(),
      signal: o.stop,
    });
    nextId += res.attempts;
    attempts += res.attempts;
    // A flood of a fixed amount lasts as long as it took; a timed one, its duration.
    ran.push({ name: phase.name, startMs, durationMs: phase.maxRequests !== undefined ? o.clock.now() - startMs : phase.durationMs });
    o.onEvent?.({ type: 'phase-end', phase: phase.name, atMs: o.clock.now() });
  }
  return { interrupted: o.stop.aborted, requests: nextId, attempts, dropped: 0, peakInFlight: 0, endMs: o.clock.now(), phases: ran };
}
