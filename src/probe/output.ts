/**
 * What a probe writes and prints: DIR/probe.csv (one row per stage, streamed), DIR/limits.json
 * (each limit: value, low, high, method, unit, note), the plan text with its worst-case cost,
 * and a mock profile (YAML) built from the findings.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify as yamlStringify } from 'yaml';
import { openCsv, type CsvWriter } from '../report/csv.js';
import { fixed, int, ms, type Column } from '../report/columns.js';
import type { ProbeResult } from './probe.js';
import type { LimitFinding, Prices, StageSummary } from './types.js';

export const PROBE_COLUMNS: readonly Column<StageSummary>[] = [
  { name: 'stage', cell: (s) => int(s.index) },
  { name: 'strategy', cell: (s) => s.stage.strategy },
  { name: 'name', cell: (s) => s.stage.name },
  { name: 'start_ms', cell: (s) => ms(s.startMs) },
  { name: 'end_ms', cell: (s) => ms(s.endMs) },
  { name: 'planned', cell: (s) => int(s.stage.requests.length) },
  { name: 'sent', cell: (s) => int(s.sent) },
  { name: 'ok', cell: (s) => int(s.ok) },
  { name: 'rate_limited_requests', cell: (s) => int(s.rateLimitedRequests) },
  { name: 'rate_limited_tokens', cell: (s) => int(s.rateLimitedTokens) },
  { name: 'rate_limited_other', cell: (s) => int(s.rateLimitedOther) },
  { name: 'other', cell: (s) => int(s.other) },
  { name: 'prompt_tokens', cell: (s) => int(s.stage.requests[0]?.promptTokens) },
  { name: 'max_tokens', cell: (s) => int(s.stage.requests[0]?.maxTokens) },
  { name: 'cost_usd', cell: (s) => fixed(s.costUsd, 6) },
  { name: 'capped', cell: (s) => s.capped },
];

export function openProbeCsv(dir: string): CsvWriter<StageSummary> {
  mkdirSync(dir, { recursive: true });
  return openCsv(join(dir, 'probe.csv'), PROBE_COLUMNS);
}

export function limitsJson(r: ProbeResult, meta: Record<string, unknown> = {}): string {
  const limits: Record<string, Omit<LimitFinding, 'name'>> = {};
  for (const l of r.limits) {
    const { name, ...rest } = l;
    limits[name] = { value: rest.value, low: rest.low, high: rest.high, ...rest } as Omit<LimitFinding, 'name'>;
  }
  return JSON.stringify({ ...meta, limits, spent_usd: r.spentUsd, requests: r.requests, stages: r.stages, per_strategy: r.perStrategy, undetermined: r.undetermined }, null, 2) + '\n';
}

export function writeLimitsJson(dir: string, r: ProbeResult, meta: Record<string, unknown> = {}): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'limits.json'), limitsJson(r, meta));
}

/** The plan printed before anything is sent. The worst case is the budget itself: the probe never commits more. */
export function planText(o: { baseUrl: string; model: string; only: readonly string[]; budgetUsd: number; maxRequests: number; prices: Prices; pricesFrom: string }): string {
  const lines = [
    `limitprobe probe: ${o.model} at ${o.baseUrl}`,
    `  limits to find: ${o.only.join(', ')}`,
    `  prices: $${o.prices.inputPerMTokens}/M input, $${o.prices.outputPerMTokens}/M output (${o.pricesFrom})`,
    '  stages: 1-token prompts with max_tokens 1 for requests/min, burst, sub-minute window and concurrency;',
    '          large prompts only for tokens/min and the context window; max_tokens bisection for max output.',
    `  caps: at most ${o.maxRequests} requests and $${o.budgetUsd.toFixed(4)} (every request's worst case, prompt × input + max_tokens × output, is reserved before it is sent)`,
    `  worst-case cost: $${o.budgetUsd.toFixed(4)} (the budget; typically far less is spent)`,
  ];
  return lines.join('\n') + '\n';
}

/** A mock profile (YAML) from the findings: valid input for mock-server's Profile type. */
export function profileYaml(r: ProbeResult, o: { name: string; model: string; dialect: string; prices: Prices }): string {
  const v = (n: LimitFinding['name']) => r.limits.find((l) => l.name === n && l.value !== undefined)?.value;
  const context = v('context') ?? 32_768;
  const maxOut = v('max_output') ?? Math.min(8192, context);
  const model: Record<string, unknown> = {
    id: o.model,
    contextWindow: context,
    maxOutputTokens: maxOut,
    priceInputPerMTokens: o.prices.inputPerMTokens,
    priceOutputPerMTokens: o.prices.outputPerMTokens,
  };
  const rpm = v('rpm');
  const tpm = v('tpm');
  const conc = v('concurrency');
  if (rpm !== undefined) model['rpm'] = rpm;
  if (tpm !== undefined) model['tpm'] = tpm;
  if (conc !== undefined) model['maxConcurrent'] = conc;
  const win = r.limits.find((l) => l.name === 'sub_minute')?.note;
  // Burst ≠ refill → the mock's bucket capacities (a sub-minute layer is enforcement, not capacity).
  const layer = win !== undefined && /^per (second|10 s)$/.test(win);
  const differs = (b: number | undefined, rate: number | undefined) => b !== undefined && rate !== undefined && Math.abs(b - rate) > 0.05 * rate;
  const burst = v('burst');
  const tokenBurst = v('token_burst');
  if (!layer && differs(burst, rpm)) model['rpmCapacity'] = Math.max(1, Math.round(burst!));
  if (!layer && differs(tokenBurst, tpm)) model['tpmCapacity'] = Math.max(1, Math.round(tokenBurst!));
  const profile = {
    name: o.name,
    description: `Measured by limitprobe probe: ${r.limits.map((l) => `${l.name}=${l.value ?? '?'} (${l.method})`).join(', ')}`,
    dialect: o.dialect,
    org: 'org-probed',
    defaultModel: o.model,
    models: [model],
    latency: { ttftMs: 300, tokensPerSecond: 50, jitter: 0.1 },
  };
  const header = `# limitprobe mock profile, from a probe. Burst: ${v('burst') ?? '?'} requests, ${v('token_burst') ?? '?'} tokens; window: ${win ?? '?'}.\n# Sub-minute enforcement maps to the mock's enforcement.subMinute option ('1s' | '10s').\n`;
  return header + yamlStringify(profile);
}
