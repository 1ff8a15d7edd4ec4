/**
 * The shard manifest (`shard.json` beside the usual reports) and the scenario hash that ties
 * the shards of one run together. Everything `limitprobe merge` checks before it combines.
 */
import { createHash } from 'node:crypto';
import type { HistogramConfig } from '../metrics/snapshot.js';
import type { Scenario } from '../scenario/index.js';
import type { ShardSpec } from './spec.js';

export const SHARD_FORMAT = 'limitprobe-shard';
export const SHARD_VERSION = 1;
export const SHARD_FILES = { manifest: 'shard.json', metrics: 'metrics.json', merge: 'merge.json' } as const;

export interface ShardManifest {
  format: typeof SHARD_FORMAT;
  v: number;
  /** Shared by every shard of one run (given, or derived from scenario hash, seed and start). */
  runId: string;
  /** sha256 of the scenario as planned (output location excluded: each shard writes its own). */
  scenarioHash: string;
  seed: number;
  shard: ShardSpec;
  /** k6-style segment sequence of the split: "0,1/3,2/3,1". */
  sequence: string;
  /** --start-at: the agreed wall-clock start (epoch ms), when given. */
  startAt?: number;
  /** Wall-clock epoch ms of this shard's run t = 0 (every time in its reports is relative to it). */
  startEpochMs: number;
  /** startEpochMs − startAt: how late (> 0) this shard's t = 0 was; absent without --start-at. */
  startSkewMs?: number;
  histogram: HistogramConfig;
  simulated: boolean;
  interrupted: boolean;
  /** Open-loop arrivals of the whole run, and the ones this shard owns. */
  globalArrivals: number;
  ownArrivals: number;
  /** What the executor did: requests made, attempts sent, dropped, run end (ms). */
  requests: number;
  attempts: number;
  dropped: number;
  endMs: number;
}

/** JSON with object keys sorted, so the hash does not depend on key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The scenario's identity for merging: everything but where the reports go. */
export function scenarioHash(scenario: Scenario): string {
  const { output: _output, ...rest } = scenario as Scenario & { output?: unknown };
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

export function segmentSequence(count: number): string {
  return ['0', ...Array.from({ length: count - 1 }, (_, j) => `${j + 1}/${count}`), '1'].join(',');
}

export function defaultRunId(hash: string, seed: number, startAt: number | undefined): string {
  return `${hash.slice(0, 12)}-s${seed}${startAt === undefined ? '' : `-t${startAt}`}`;
}
