/**
 * What a sharded run does beyond a plain one, for run.ts to call:
 *   const shard = new ShardRun({ scenario, shard: spec, startAt });
 *   await shard.waitForStart(signal);             // before the target opens: sleeps until --start-at
 *   const plan = shard.plan(buildPlan(…));         // this shard's indices only, global ids
 *   shard.markStart(target.clock.now(), simulated) // as the run clock starts: t = 0's epoch, skew
 *   …execute…
 *   await shard.finish(outDir, { collector, execution, simulated }) // shard.json + metrics.json
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { HISTOGRAM_CONFIG, metricsFile } from '../metrics/snapshot.js';
import type { MetricsCollector } from '../metrics/summary.js';
import type { Plan } from '../plan/plan.js';
import type { Scenario } from '../scenario/index.js';
import { defaultRunId, scenarioHash, segmentSequence, SHARD_FILES, SHARD_FORMAT, SHARD_VERSION, type ShardManifest } from './manifest.js';
import { applyShard, type ShardedPlan } from './plan.js';
import type { ShardSpec } from './spec.js';

export interface ShardRunOptions {
  scenario: Scenario;
  shard: ShardSpec;
  /** --start-at: wall-clock epoch ms at which every shard's t = 0 should be. */
  startAt?: number;
  runId?: string;
  /** Wall clock (epoch ms); injectable for tests. */
  wallNow?: () => number;
}

export interface ShardFinish {
  collector: MetricsCollector;
  execution: { requests: number; attempts: number; dropped: number; endMs: number; interrupted: boolean };
  simulated: boolean;
}

export class ShardRun {
  readonly shard: ShardSpec;
  readonly scenarioHash: string;
  readonly runId: string;
  readonly startAt: number | undefined;
  private readonly seed: number;
  private readonly wallNow: () => number;
  private sharded: ShardedPlan | undefined;
  private startEpochMs: number | undefined;
  private simulated = false;

  constructor(opts: ShardRunOptions) {
    if (opts.startAt !== undefined && !(Number.isSafeInteger(opts.startAt) && opts.startAt > 0)) {
      throw new ConfigError('--start-at: expected epoch milliseconds', [{ path: '--start-at', expected: 'a positive integer (ms since 1970, e.g. $(( $(date +%s) * 1000 + 10000 )))', found: String(opts.startAt) }]);
    }
    this.shard = opts.shard;
    this.startAt = opts.startAt;
    this.seed = opts.scenario.seed;
    this.scenarioHash = scenarioHash(opts.scenario);
    this.runId = opts.runId ?? defaultRunId(this.scenarioHash, this.seed, opts.startAt);
    this.wallNow = opts.wallNow ?? Date.now;
  }

  /** This shard's part of the plan (see applyShard). */
  plan(plan: Plan): ShardedPlan {
    this.sharded = applyShard(plan, this.shard);
    return this.sharded;
  }

  /**
   * Sleep until --start-at on the wall clock (NTP-synced hosts: ms-level agreement). Coarse
   * timers to within 20 ms, then setImmediate turns. No-op without --start-at or when it has
   * passed (the skew then says how late this shard was).
   */
  async waitForStart(signal?: AbortSignal): Promise<void> {
    const at = this.startAt;
    if (at === undefined) return;
    for (;;) {
      signal?.throwIfAborted();
      const left = at - this.wallNow();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const t = left > 20 ? setTimeout(done, Math.min(left - 15, 2 ** 30)) : undefined;
        if (t === undefined) setImmediate(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  /**
   * Record the wall-clock instant of the run's t = 0: call right after the run clock exists,
   * with its now() (ms since run start). Simulated runs have no wall clock: t = 0 is startAt
   * (or now), skew 0.
   */
  markStart(runClockNowMs: number, simulated = false): void {
    this.simulated = simulated;
    this.startEpochMs = simulated ? (this.startAt ?? this.wallNow()) : Math.round(this.wallNow() - runClockNowMs);
  }

  /** The manifest as it stands (finish() writes it). */
  manifest(f: ShardFinish): ShardManifest {
    const startEpochMs = this.startEpochMs ?? this.startAt ?? this.wallNow();
    const m: ShardManifest = {
      format: SHARD_FORMAT,
      v: SHARD_VERSION,
      runId: this.runId,
      scenarioHash: this.scenarioHash,
      seed: this.seed,
      shard: { ...this.shard },
      sequence: segmentSequence(this.shard.count),
      startEpochMs,
      histogram: { ...HISTOGRAM_CONFIG },
      simulated: f.simulated || this.simulated,
      interrupted: f.execution.interrupted,
      globalArrivals: this.sharded?.globalArrivals ?? 0,
      ownArrivals: this.sharded?.ownArrivals ?? 0,
      requests: f.execution.requests,
      attempts: f.execution.attempts,
      dropped: f.execution.dropped,
      endMs: f.execution.endMs,
    };
    if (this.startAt !== undefined) {
      m.startAt = this.startAt;
      m.startSkewMs = startEpochMs - this.startAt;
    }
    return m;
  }

  /** Write shard.json (manifest) and metrics.json (encoded histograms and counters) into outDir. */
  async finish(outDir: string, f: ShardFinish): Promise<ShardManifest> {
    const m = this.manifest(f);
    await writeFile(join(outDir, SHARD_FILES.metrics), JSON.stringify(metricsFile(f.collector)) + '\n');
    await writeFile(join(outDir, SHARD_FILES.manifest), JSON.stringify(m, null, 2) + '\n');
    return m;
  }
}
