/**
 * Pure parsers for the `limitprobe mock` flags that carry small specs, so the CLI only maps
 * strings to MockServerOptions fields. Errors are ConfigErrors naming the flag.
 *
 *   --fault KIND[:PROBABILITY][:MS][@FROM-TO]     e.g. cut:0.05   stall:0.01:3s   reset@10s-20s
 *   --overload-capacity N[:MAXPROB[:SLOWDOWN]]    e.g. 50:0.5
 *   --overload-window FROM-TO[:PROBABILITY[:STATUS]]  e.g. 30s-45s:0.8:529
 *   --api-key KEY[=NAME][,rpm=N][,tpm=N][,rpd=N][,tpd=N][,itpm=N][,otpm=N][,concurrent=N][,rpm-capacity=N][,tpm-capacity=N][,account=A][,budget=USD]
 *
 * Times are ms or Go-style durations (`1m30s`, `250ms`).
 */
import { ConfigError } from '../src/errors.js';
import { parseGoDuration } from '../src/protocol/duration.js';
import type { TenantConfig } from './core/core.js';
import { FAULT_KINDS, type CapacityModel, type FaultKind, type FaultRule, type OverloadWindow } from './core/faults.js';

function bad(flag: string, value: string, expected: string): never {
  throw new ConfigError(`invalid ${flag}`, [{ path: flag, expected, found: JSON.stringify(value) }]);
}

function ms(flag: string, whole: string, s: string): number {
  const n = /^\d+(\.\d+)?$/.test(s) ? Number(s) : parseGoDuration(s);
  if (n === undefined || !Number.isFinite(n) || n < 0) bad(flag, whole, 'a time in ms or a Go duration (e.g. 250ms, 10s, 1m30s)');
  return n;
}

function prob(flag: string, whole: string, s: string): number {
  const p = Number(s);
  if (!(s !== '' && p >= 0 && p <= 1)) bad(flag, whole, 'a probability in [0, 1]');
  return p;
}

export function parseFaultSpec(spec: string): FaultRule {
  const flag = '--fault';
  const [main = '', window] = spec.split('@');
  const [kind = '', p, d] = main.split(':');
  if (!(FAULT_KINDS as readonly string[]).includes(kind)) bad(flag, spec, `KIND[:PROBABILITY][:MS][@FROM-TO] with KIND one of ${FAULT_KINDS.join(', ')}`);
  const r: FaultRule = { kind: kind as FaultKind };
  if (p !== undefined && p !== '') r.probability = prob(flag, spec, p);
  if (d !== undefined && d !== '') r.ms = ms(flag, spec, d);
  if (window !== undefined) {
    const [from = '', to = ''] = window.split('-');
    r.fromMs = ms(flag, spec, from);
    r.toMs = ms(flag, spec, to);
    if (r.toMs <= r.fromMs) bad(flag, spec, 'FROM before TO');
  }
  return r;
}

export function parseOverloadCapacity(spec: string): CapacityModel {
  const flag = '--overload-capacity';
  const [c = '', p, s] = spec.split(':');
  const concurrency = Number(c);
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) bad(flag, spec, 'N[:MAXPROB[:SLOWDOWN]] with N an integer ≥ 1');
  const out: CapacityModel = { concurrency };
  if (p !== undefined && p !== '') out.maxProbability = prob(flag, spec, p);
  if (s !== undefined && s !== '') {
    const v = Number(s);
    if (!(v >= 0)) bad(flag, spec, 'SLOWDOWN ≥ 0');
    out.slowdown = v;
  }
  return out;
}

export function parseOverloadWindow(spec: string): OverloadWindow {
  const flag = '--overload-window';
  const [range = '', p, st] = spec.split(':');
  const [from = '', to = ''] = range.split('-');
  const w: OverloadWindow = { fromMs: ms(flag, spec, from), toMs: ms(flag, spec, to) };
  if (w.toMs <= w.fromMs) bad(flag, spec, 'FROM-TO[:PROBABILITY[:STATUS]] with FROM before TO');
  if (p !== undefined && p !== '') w.probability = prob(flag, spec, p);
  if (st !== undefined && st !== '') {
    const v = Number(st);
    if (![429, 500, 502, 503, 529].includes(v)) bad(flag, spec, 'STATUS one of 429, 500, 502, 503, 529');
    w.status = v;
  }
  return w;
}

const TENANT_LIMITS: Record<string, keyof NonNullable<TenantConfig['limits']>> = { rpm: 'rpm', tpm: 'tpm', rpd: 'rpd', tpd: 'tpd', itpm: 'itpm', otpm: 'otpm', concurrent: 'maxConcurrent', 'rpm-capacity': 'rpmCapacity', 'tpm-capacity': 'tpmCapacity' };

/** One `--api-key`: [key, its tenant config]. */
export function parseApiKeySpec(spec: string): [string, TenantConfig] {
  const flag = '--api-key';
  const [head = '', ...opts] = spec.split(',');
  const eq = head.indexOf('=');
  const key = eq === -1 ? head : head.slice(0, eq);
  if (!key) bad(flag, spec, 'KEY[=NAME][,rpm=N]…');
  const cfg: TenantConfig = {};
  if (eq !== -1) cfg.name = head.slice(eq + 1);
  for (const o of opts) {
    const [k = '', v = ''] = o.split('=');
    if (k === 'account') cfg.account = v;
    else if (k === 'budget') {
      const n = Number(v);
      if (!(v !== '' && n >= 0)) bad(flag, spec, 'budget=USD ≥ 0');
      cfg.budgetUsd = n;
    } else if (TENANT_LIMITS[k]) {
      const n = Number(v);
      if (!(Number.isInteger(n) && n >= 1)) bad(flag, spec, `${k}=an integer ≥ 1`);
      (cfg.limits ??= {})[TENANT_LIMITS[k]] = n;
    } else bad(flag, spec, `options among ${[...Object.keys(TENANT_LIMITS), 'account', 'budget'].join(', ')}`);
  }
  return [key, cfg];
}

/**
 * `--limiter-store memory|redis://HOST:PORT[/DB]` → MockServerOptions.limiterStore. Validates
 * the form only (no connection; ioredis is not loaded here).
 */
export function parseLimiterStore(spec: string): 'memory' | string {
  const flag = '--limiter-store';
  if (spec === 'memory') return spec;
  let u: URL | undefined;
  try {
    u = new URL(spec);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'redis:' && u.protocol !== 'rediss:') || u.hostname === '') bad(flag, spec, 'memory or redis://HOST:PORT');
  return spec;
}

/** `--store-failure closed|open-local` → MockServerOptions.storeFailure. */
export function parseStoreFailure(spec: string): 'closed' | 'open-local' {
  if (spec === 'closed' || spec === 'open-local') return spec;
  if (spec === 'fail-closed') return 'closed';
  if (spec === 'fail-open-local') return 'open-local';
  return bad('--store-failure', spec, 'closed or open-local');
}

/** `--store-instances N` → MockServerOptions.storeInstances (the N of open-local's limit / N). */
export function parseStoreInstances(spec: string): number {
  const n = Number(spec);
  if (!(/^\d+$/.test(spec) && Number.isInteger(n) && n >= 1)) bad('--store-instances', spec, 'an integer ≥ 1');
  return n;
}
