/**
 * Dialect rendering shared by every route: rate-limit headers in the dialect's style, the
 * retry-after headers, and error bodies as Replies. Pure: data in, headers/Reply out.
 */
import { formatGoDuration } from '../../src/protocol/duration.js';
import { RATE_LIMIT_HEADER } from '../../src/protocol/openai.js';
import type { DialectSpec, ErrorBody, RateLimitContext } from '../dialects/types.js';
import type { AdmissionDecision } from './admission.js';
import type { BucketView } from './bucket.js';
import type { LimitsView } from './dialect-openai.js';
import { JSON_CT, type Reply } from './reply.js';
import type { RuleName } from './rules.js';

/** RFC 3339 UTC, whole seconds, rounded up (a client waiting until then is never early). */
export function rfc3339(epochMs: number): string {
  return new Date(Math.ceil(epochMs / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface HeaderContext {
  limits: LimitsView;
  rules: Partial<Record<RuleName, BucketView>>;
  /** Unix ms of the mock's "now". */
  epochNow: number;
}

const roundK = (n: number) => Math.round(n / 1000) * 1000;

/** Rate-limit headers for a chat answer in `d`'s style. */
export function rateLimitHeadersFor(d: DialectSpec, c: HeaderContext, into: Record<string, string>): Record<string, string> {
  const L = c.limits;
  switch (d.headers.style) {
    case 'none':
      return into;
    case 'openai':
      into[RATE_LIMIT_HEADER.limitRequests] = String(Math.floor(L.requests.limit));
      into[RATE_LIMIT_HEADER.limitTokens] = String(Math.floor(L.tokens.limit));
      into[RATE_LIMIT_HEADER.remainingRequests] = String(L.requests.remaining);
      into[RATE_LIMIT_HEADER.remainingTokens] = String(L.tokens.remaining);
      into[RATE_LIMIT_HEADER.resetRequests] = formatGoDuration(L.requests.resetMs);
      into[RATE_LIMIT_HEADER.resetTokens] = formatGoDuration(L.tokens.resetMs);
      return into;
    case 'azure':
      // The request limit is the per-10 s value (RPM/6), as Azure reports it.
      into[RATE_LIMIT_HEADER.limitRequests] = String(Math.floor(L.requests.limit));
      into[RATE_LIMIT_HEADER.limitTokens] = String(Math.floor(L.tokens.limit));
      into[RATE_LIMIT_HEADER.remainingRequests] = String(L.requests.remaining);
      into[RATE_LIMIT_HEADER.remainingTokens] = String(L.tokens.remaining);
      return into;
    case 'anthropic': {
      const put = (name: string, v: BucketView | undefined, round: boolean) => {
        if (!v) return;
        into[`anthropic-ratelimit-${name}-limit`] = String(Math.floor(v.limit));
        into[`anthropic-ratelimit-${name}-remaining`] = String(round ? roundK(v.remaining) : v.remaining);
        into[`anthropic-ratelimit-${name}-reset`] = rfc3339(c.epochNow + v.resetMs);
      };
      const r = c.rules;
      put('requests', r.rpm ?? L.requests, false);
      put('input-tokens', r.itpm, true);
      put('output-tokens', r.otpm, true);
      // "tokens": the most restrictive of the token limits.
      const cands = [r.tpm, r.itpm, r.otpm].filter((v): v is BucketView => v !== undefined);
      if (cands.length) put('tokens', cands.reduce((a, b) => (b.remaining / b.limit < a.remaining / a.limit ? b : a)), true);
      return into;
    }
  }
}

/**
 * What a rate-limit 429 says: the rule it names and the wait it advises (a concurrency refusal
 * has no refill to wait for: it advises 1 s). The HTTP reply and the simulated dispatch both
 * render from this, so a simulated run records the same message and advice as a live one.
 */
export function rateLimitedContext(d: Extract<AdmissionDecision, { kind: 'rate_limited' }>, model: string, org: string, requestId: string): RateLimitContext {
  const rule: RuleName | 'burst' = d.rule ?? (d.dimension === 'requests' ? 'rpm' : 'tpm');
  const waitMs = rule === 'concurrent' && d.waitMs === 0 ? 1000 : d.waitMs;
  return { model, org, rule, limit: Math.round(d.limit * 1000) / 1000, used: d.used, requested: d.requested, waitMs, requestId };
}

/** retry-after headers for a wait of `waitMs` in `d`'s style (seconds rounded up; ms as shown in the message). */
export function retryAfterHeaders(d: DialectSpec, waitMs: number, into: Record<string, string>): Record<string, string> {
  const shown = Math.round(waitMs);
  if (d.headers.retryAfter === 'none') return into;
  into['retry-after'] = String(Math.ceil(shown / 1000));
  if (d.headers.retryAfter === 'seconds+ms') into['retry-after-ms'] = String(shown);
  return into;
}

export function errorReply(e: ErrorBody, headers: Record<string, string>): Reply {
  if (e.headers) Object.assign(headers, e.headers);
  headers['content-type'] = JSON_CT;
  return { status: e.status, headers, body: JSON.stringify(e.body) };
}
