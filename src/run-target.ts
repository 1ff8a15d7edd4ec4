/**
 * Where a run sends its requests, behind one shape: a real HTTP API, the embedded HTTP mock,
 * or (simulation) the mock's core in virtual time. run.ts sees only `OpenTarget`.
 */
import { RealClock, type Clock } from './clock.js';
import { ConfigError } from './errors.js';
import { authHeaders } from './client/endpoint.js';
import { HttpDispatch } from './client/undici-dispatch.js';
import { OpenAiSdkDispatch } from './client/openai-sdk.js';
import { loadUserClient, UserModuleDispatch } from './client/user-module.js';
import { runRelativeClock } from './exec/run-clock.js';
import type { Dispatch } from './exec/ports.js';
import type { Dialect } from './metrics/classify.js';
import type { Pricing } from './metrics/summary.js';
import { resolveSecrets, type Scenario } from './scenario/index.js';
import { createMockServer, getProfile, type MockCore, type MockCoreOptions } from '../mock-server/index.js';
import type { SharedLimits } from './client/retry/index.js';
import { openSimTarget } from './run-target-sim.js';

export interface OpenTarget {
  dispatch: Dispatch;
  /** Run-relative clock: every timestamp of the run comes from it. */
  clock: Clock;
  /** Sets the clock's t = 0 to now, right before the first send (a virtual clock is already there). */
  startClock(): void;
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
  /** The mock's core (live or simulated): its referee ledger, limits, counters. */
  core?: MockCore;
  close(): Promise<void>;
}

export interface TargetOptions {
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  /** Where relative paths in the scenario (client.module) resolve. Default: the working directory. */
  scenarioDir?: string;
}

interface Endpoint {
  baseUrl: string;
  apiKey?: string;
  groupApiKeys?: Record<string, string>;
  dialect: Dialect;
  headers?: Record<string, string>;
  clock: Clock;
}

/** The client that sends: limitprobe's undici client, the official openai SDK, or the user's module. */
async function clientDispatch(scenario: Scenario, opts: TargetOptions, e: Endpoint): Promise<Dispatch> {
  const c = scenario.client;
  if (c.module !== undefined) {
    const client = await loadUserClient(c.module, opts.scenarioDir ?? process.cwd(), { baseUrl: e.baseUrl, apiKey: e.apiKey });
    return new UserModuleDispatch({ client, baseUrl: e.baseUrl, headers: e.headers ?? {}, apiKey: e.apiKey, dialect: e.dialect, clock: e.clock });
  }
  if (c.kind === 'openai-sdk') {
    return new OpenAiSdkDispatch({ baseUrl: e.baseUrl, apiKey: e.apiKey, headers: e.headers, dialect: e.dialect, clock: e.clock, timeoutMs: c.timeoutMs });
  }
  return new HttpDispatch({
    baseUrl: e.baseUrl,
    apiKey: e.apiKey,
    groupApiKeys: e.groupApiKeys,
    dialect: e.dialect,
    headers: e.headers,
    timeoutMs: c.timeoutMs,
    clock: e.clock,
    connections: Math.min(scenario.maxInFlight, 1024),
  });
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
    const dispatch = await clientDispatch(scenario, opts, { baseUrl: t.baseUrl, apiKey, groupApiKeys, dialect: t.dialect, headers: t.headers, clock });
    const http = { chatUrl: `${t.baseUrl}/chat/completions`, headers: { 'content-type': 'application/json', ...authHeaders(t.dialect, apiKey), ...t.headers } };
    return { dispatch, clock, startClock: clock.restart, http, model: t.model, dialect: t.dialect, pricing: t.pricing, simulated: false, drive: realDrive, close: async () => void (await dispatch.close?.()) };
  }

  const mock = await createMockServer({ ...mockOptions(scenario), host: '127.0.0.1', port: 0 });
  const model = mock.core.resolveModel(t.model ?? mock.core.defaultModel.id) ?? mock.core.defaultModel;
  const clock = runRelativeClock(base);
  const dispatch = await clientDispatch(scenario, opts, { baseUrl: `${mock.url}/v1`, dialect: 'openai', clock }).catch(async (e: unknown) => {
    await mock.close();
    throw e;
  });
  return {
    dispatch,
    clock,
    startClock: clock.restart,
    model: model.id,
    dialect: 'openai',
    http: { chatUrl: `${mock.url}/v1/chat/completions`, headers: { 'content-type': 'application/json' } },
    pricing: { inputPerMillionUsd: model.profile.priceInputPerMTokens, outputPerMillionUsd: model.profile.priceOutputPerMTokens },
    simulated: false,
    drive: realDrive,
    mockState: () => mock.core.state(),
    core: mock.core,
    close: async () => {
      await dispatch.close?.().catch(() => {});
      await mock.close();
    },
  };
}

/** What the scenario's mock target asks of the mock (HTTP or simulated: the same settings). */
export function mockOptions(scenario: Scenario): Omit<MockCoreOptions, 'clock'> {
  const t = scenario.target;
  if (t.kind !== 'mock') throw new ConfigError('expected a mock target', [{ path: 'target.kind', expected: '"mock"', found: JSON.stringify(t.kind) }]);
  return {
    profile: t.profile,
    model: t.model,
    rpm: t.limits?.rpm,
    tpm: t.limits?.tpm,
    contextWindow: t.limits?.contextWindow,
    ...(t.limits?.rpmCapacity !== undefined ? { rpmCapacity: t.limits.rpmCapacity } : {}),
    ...(t.limits?.tpmCapacity !== undefined ? { tpmCapacity: t.limits.tpmCapacity } : {}),
    latency: t.latency,
    seed: scenario.seed,
    ...(t.rejectedConsumeRequests !== undefined ? { rejectedConsumeRequests: t.rejectedConsumeRequests } : {}),
    ...(t.subMinute !== undefined ? { enforcement: { subMinute: t.subMinute } } : {}),
  };
}

/** The limits the clients share (for pacing policies): the scenario's overrides over the mock profile's model. */
export function sharedLimitsOf(scenario: Scenario): SharedLimits | undefined {
  const t = scenario.target;
  if (t.kind !== 'mock') return undefined;
  let rpm = t.limits?.rpm;
  let tpm = t.limits?.tpm;
  if (rpm === undefined || tpm === undefined) {
    try {
      const p = getProfile(t.profile);
      const m = p.models.find((x) => x.id === (t.model ?? p.defaultModel)) ?? p.models[0];
      rpm ??= m?.rpm;
      tpm ??= m?.tpm;
    } catch {
      /* unknown profile: opening the target reports it */
    }
  }
  return { rpm, tpm };
}
