/**
 * Where a run sends its requests, behind one shape: a real HTTP API, the embedded HTTP mock,
 * or (simulation) the mock's core in virtual time. run.ts sees only `OpenTarget`.
 */
import { RealClock, type Clock } from './clock.js';
import { authHeaders } from './client/endpoint.js';
import { HttpDispatch } from './client/undici-dispatch.js';
import { runRelativeClock } from './exec/run-clock.js';
import type { Dispatch } from './exec/ports.js';
import type { Dialect } from './metrics/classify.js';
import type { Pricing } from './metrics/summary.js';
import { resolveSecrets, type Scenario } from './scenario/index.js';
import { createMockServer } from '../mock-server/index.js';
import { openSimTarget } from './run-target-sim.js';

export interface OpenTarget {
  dispatch: Dispatch;
  /** Run-relative clock: every timestamp of the run comes from it. */
  clock: Clock;
  model: string;
  dialect: Dialect;
  pricing?: Pricing;
  /** Where an HTTP client sends chat completions and with which headers (absent in simulation). */
  http?: { chatUrl: string; headers: Record<string, string> };
  /** True when time is virtual (the summary says so). */
  simulated: boolean;
  /** Runs the work to completion; a virtual-time target advances its clock while it waits. */
  drive<T>(work: Promise<T>): Promise<T>;
  /** The mock's own counters (ground truth), when the target is a mock. */
  mockState?(): unknown;
  close(): Promise<void>;
}

export interface TargetOptions {
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
}

const realDrive = <T>(work: Promise<T>) => work;

export async function openTarget(scenario: Scenario, opts: TargetOptions = {}): Promise<OpenTarget> {
  // Simulation: the mock's core in virtual time, no sockets.
  if (scenario.mode === 'sim') return openSimTarget(scenario);
  const t = scenario.target;
  const base = opts.clock ?? new RealClock();
  if (t.kind === 'http') {
    const { apiKey, groupApiKeys } = resolveSecrets(scenario, opts.env ?? process.env);
    const clock = runRelativeClock(base);
    const dispatch = new HttpDispatch({
      baseUrl: t.baseUrl,
      apiKey,
      groupApiKeys,
      dialect: t.dialect,
      headers: t.headers,
      timeoutMs: scenario.client.timeoutMs,
      clock,
      connections: Math.min(scenario.maxInFlight, 1024),
    });
    const http = { chatUrl: `${t.baseUrl}/chat/completions`, headers: { 'content-type': 'application/json', ...authHeaders(t.dialect, apiKey), ...t.headers } };
    return { dispatch, clock, http, model: t.model, dialect: t.dialect, pricing: t.pricing, simulated: false, drive: realDrive, close: () => dispatch.close() };
  }

  const mock = await createMockServer({
    profile: t.profile,
    model: t.model,
    rpm: t.limits?.rpm,
    tpm: t.limits?.tpm,
    contextWindow: t.limits?.contextWindow,
    latency: t.latency,
    seed: scenario.seed,
    host: '127.0.0.1',
    port: 0,
  });
  const model = mock.core.resolveModel(t.model ?? mock.core.defaultModel.id) ?? mock.core.defaultModel;
  const clock = runRelativeClock(base);
  const dispatch = new HttpDispatch({
    baseUrl: `${mock.url}/v1`,
    dialect: 'openai',
    timeoutMs: scenario.client.timeoutMs,
    clock,
    connections: Math.min(scenario.maxInFlight, 1024),
  });
  return {
    dispatch,
    clock,
    model: model.id,
    dialect: 'openai',
    http: { chatUrl: `${mock.url}/v1/chat/completions`, headers: { 'content-type': 'application/json' } },
    pricing: { inputPerMillionUsd: model.profile.priceInputPerMTokens, outputPerMillionUsd: model.profile.priceOutputPerMTokens },
    simulated: false,
    drive: realDrive,
    mockState: () => mock.core.state(),
    close: async () => {
      await dispatch.close().catch(() => {});
      await mock.close();
    },
  };
}
