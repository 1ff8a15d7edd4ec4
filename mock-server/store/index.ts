/**
 * Shared limiter stores (scale-anchors §1.4/§3.1): the LimiterStore boundary, the memory store,
 * and `openLimiterStore`, which loads the Redis store (and ioredis) only for a redis:// URL.
 */
export { MemoryLimiterStore, type MemoryLimiterStoreOptions } from './memory.js';
export { dimParams, refill, toFull, gcd, type DimParams } from './arith.js';
export { SharedLimiter, limitsFromStore, viewFromStore, unsupportedRules, type SharedLimiterOptions, type StoreFailureMode, type StoreOutage, type LimiterStoreState, type SharedReservation, type SharedAdmission } from './shared.js';
export { storeOutageReply, STORE_OUTAGE_HEADER, STORE_OUTAGE_TYPE } from './outage.js';
export { StoreUnavailableError, OUTCOME_CODES, type LimiterStore, type AdmitOp, type SettleOp, type StoreDecision, type StoreDim, type DimResult, type StoreOutcome } from './types.js';
export type { RedisStoreOptions, RedisLimiterStore } from './redis.js';

import type { RedisStoreOptions, RedisLimiterStore } from './redis.js';

/** Connects a Redis store for `url` (redis:// or rediss://), importing ioredis on first use. */
export async function connectRedisStore(url: string, opts: RedisStoreOptions = {}): Promise<RedisLimiterStore> {
  const mod = await import('./redis.js');
  return mod.connectRedisStore(url, opts);
}
