/**
 * The Redis LimiterStore: the §1.4 scripts (lua.ts) run atomically in Redis with EVALSHA
 * (ioredis `defineCommand` loads them and falls back to EVAL on NOSCRIPT). Time is Redis `TIME`
 * (µs), so mock instances agree to the microsecond whatever their own clocks say; only a store
 * built with `testTime: true` accepts an injected `now`.
 *
 * ioredis is imported dynamically by `connectRedisStore`, so single-machine users never load it.
 * Commands fail fast while disconnected (no offline queue, no per-request retries, a command
 * timeout) and the client reconnects by itself: callers see StoreUnavailableError during the
 * outage and ordinary replies again once Redis is back.
 */
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { ConfigError } from '../../src/errors.js';
import { ADMIT_LUA, SETTLE_LUA } from './lua.js';
import { OUTCOME_CODES, StoreUnavailableError, type AdmitOp, type DimResult, type LimiterStore, type SettleOp, type StoreDecision } from './types.js';

export interface RedisStoreOptions {
  /** Accept `op.now` (µs) instead of Redis TIME. Tests only. */
  testTime?: boolean;
  /** ms a command may take before it counts as an outage. Default 1000. */
  commandTimeoutMs?: number;
  /** Extra ms added to every key's expiry (beyond its exact time to full). Default 1000. */
  expireMarginMs?: number;
  /** Key prefix that `clear()` removes. Default 'lp'. */
  prefix?: string;
  /** Most ms between reconnect attempts. Default 500. */
  maxReconnectDelayMs?: number;
}

type Scripted = RedisClient & {
  lpAdmit(...args: (string | number)[]): Promise<number[]>;
  lpSettle(...args: (string | number)[]): Promise<number[]>;
};

/** `redis://HOST:PORT[/DB]` (or rediss://) → the same without credentials, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'redis';
  }
}

export function parseRedisUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError('invalid limiter store', [{ path: 'limiterStore', expected: "'memory' or redis://HOST:PORT", found: JSON.stringify(url) }]);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ConfigError('invalid limiter store', [{ path: 'limiterStore', expected: "'memory' or redis://HOST:PORT", found: JSON.stringify(url) }]);
  return u;
}

function decode(r: number[]): StoreDecision {
  const dims: DimResult[] = [];
  for (let i = 3; i + 4 < r.length; i += 5) {
    dims.push({ level: Number(r[i]), pp: Number(r[i + 1]), toFullUs: Number(r[i + 2]), ok: Number(r[i + 3]) === 1, waitUs: Number(r[i + 4]) });
  }
  return { outcome: OUTCOME_CODES[Number(r[0]) - 1]!, nowUs: Number(r[1]), retryAfterUs: Number(r[2]), dims };
}

export class RedisLimiterStore implements LimiterStore {
  readonly kind = 'redis' as const;
  readonly name: string;
  private readonly margin: number;
  private readonly testTime: boolean;
  private readonly prefix: string;

  constructor(
    private readonly client: Scripted,
    url: string,
    opts: RedisStoreOptions = {},
  ) {
    this.name = redactUrl(url);
    this.margin = opts.expireMarginMs ?? 1000;
    this.testTime = opts.testTime ?? false;
    this.prefix = opts.prefix ?? 'lp';
  }

  private nowArg(now: number | undefined): string {
    return this.testTime && now !== undefined ? String(now) : '';
  }

  async admit(op: AdmitOp): Promise<StoreDecision> {
    const args: (string | number)[] = [op.key, op.reservation?.key ?? op.key, this.nowArg(op.now), op.dims.length, op.reservation ? op.reservation.ttlMs * 1000 : '', op.rejectedCount ? 1 : 0, this.margin];
    for (const d of op.dims) args.push(d.field, d.limit, Math.round(d.windowMs * 1000), d.check ?? 0, d.debit ?? d.check ?? 0, d.tokens ? 1 : 0, d.requests ? 1 : 0, d.capacity ?? d.limit);
    try {
      return decode(await this.client.lpAdmit(...args));
    } catch (e) {
      throw new StoreUnavailableError(this.name, e);
    }
  }

  async settle(op: SettleOp): Promise<StoreDecision> {
    const args: (string | number)[] = [op.key, op.reservationKey, this.nowArg(op.now), op.dims.length, this.margin];
    for (const d of op.dims) args.push(d.field, d.limit, Math.round(d.windowMs * 1000), d.actual === undefined ? '' : d.actual, d.capacity ?? d.limit);
    try {
      return decode(await this.client.lpSettle(...args));
    } catch (e) {
      throw new StoreUnavailableError(this.name, e);
    }
  }

  async clear(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await this.client.del(...keys);
    } while (cursor !== '0');
  }

  /** Whether the connection is up (for state and tests). */
  get connected(): boolean {
    return this.client.status === 'ready';
  }

  /** The underlying client (tests and the bench: latency, TIME). */
  get redis(): RedisClient {
    return this.client;
  }

  async close(): Promise<void> {
    if (this.client.status !== 'ready') {
      this.client.disconnect();
      return;
    }
    const timer = setTimeout(() => this.client.disconnect(), 1000);
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Connects to `url` (loading ioredis on first use) and registers the scripts. Resolves once
 * connected; a Redis that is down at start is an error (the mock refuses to start blind).
 */
export async function connectRedisStore(url: string, opts: RedisStoreOptions = {}): Promise<RedisLimiterStore> {
  parseRedisUrl(url);
  const mod = await import('ioredis');
  const Redis = mod.Redis ?? (mod as unknown as { default: typeof mod.Redis }).default;
  const maxDelay = opts.maxReconnectDelayMs ?? 500;
  const options: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs ?? 1000,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 50, maxDelay),
    enableAutoPipelining: true,
  };
  const client = new Redis(url, options) as Scripted;
  client.on('error', () => {}); // outages surface as command errors; reconnecting is automatic
  client.defineCommand('lpAdmit', { numberOfKeys: 2, lua: ADMIT_LUA });
  client.defineCommand('lpSettle', { numberOfKeys: 2, lua: SETTLE_LUA });
  try {
    await client.connect();
  } catch (e) {
    client.disconnect();
    throw new StoreUnavailableError(redactUrl(url), e);
  }
  return new RedisLimiterStore(client, url, opts);
}
