/**
 * The reply when the shared limiter store is unreachable in 'closed' mode: a 503 that names the
 * store outage in its header and body, never anything shaped like a provider 429 (no
 * rate-limit headers, no retry-after, no provider error type).
 */
import type { Reply } from '../core/reply.js';
import { JSON_CT } from '../core/reply.js';

export const STORE_OUTAGE_HEADER = 'x-limitprobe-store-outage';
export const STORE_OUTAGE_TYPE = 'limiter_store_unavailable';

export function storeOutageReply(store: string, error: string, headers: Record<string, string> = {}): Reply {
  headers[STORE_OUTAGE_HEADER] = store;
  headers['content-type'] = JSON_CT;
  const body = {
    error: {
      message: `limitprobe mock: the shared limiter store ${store} is unreachable (${error}); no rate-limit decision was made. This is the mock's own outage, not a provider response.`,
      type: STORE_OUTAGE_TYPE,
      code: STORE_OUTAGE_TYPE,
      param: null,
    },
  };
  return { status: 503, headers, body: JSON.stringify(body) };
}
