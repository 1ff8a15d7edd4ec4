/**
 * The control API (/__limitprobe/…), transport-neutral: state, counters, referee ledger (JSON
 * and CSV), reset, and runtime configuration (limit changes, overload, faults). With an admin
 * token configured every control route needs it (`authorization: Bearer TOKEN` or
 * `x-limitprobe-admin-token: TOKEN`); a wrong or missing token gets 401.
 */
import { ConfigError } from '../../src/errors.js';
import type { LimitChange, MockCore } from './core.js';
import { FAULT_KINDS, type FaultRule, type OverloadOptions } from './faults.js';
import { refereeCsv } from './referee.js';
import { JSON_CT, type Reply } from './reply.js';

const json = (status: number, v: unknown): Reply => ({ status, headers: { 'content-type': JSON_CT, 'cache-control': 'no-store' }, body: JSON.stringify(v) });
const problem = (status: number, message: string, issues?: unknown) => json(status, { error: { message, ...(issues ? { issues } : {}) } });

export type HeaderLookup = (name: string) => string | null | undefined;

/** undefined when allowed; the 401 otherwise. */
export function controlAuth(core: MockCore, header: HeaderLookup | undefined): Reply | undefined {
  const token = core.settings.adminToken;
  if (token === undefined) return undefined;
  const auth = header?.('authorization');
  const given = header?.('x-limitprobe-admin-token') ?? (auth && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, '').trim() : undefined);
  return given === token ? undefined : problem(401, 'limitprobe control API: missing or wrong admin token');
}

export function controlState(core: MockCore): Reply {
  return json(200, core.state());
}

export function controlCounters(core: MockCore): Reply {
  const s = core.state();
  return json(200, { now: s.now, admitted: s.admitted, completed: s.completed, aborted: s.aborted, inFlight: s.inFlight, rejected: s.rejected, rejectedTotal: s.rejectedTotal, tokens: s.tokens });
}

export function controlReset(core: MockCore): Reply {
  core.reset();
  return controlState(core);
}

export function controlReferee(core: MockCore, csv: boolean): Reply {
  if (csv) return { status: 200, headers: { 'content-type': 'text/csv; charset=utf-8', 'cache-control': 'no-store' }, body: refereeCsv(core.referee.ledger()) };
  return json(200, core.referee.ledger());
}

/** What GET /__limitprobe/config shows and POST accepts (POST: every field optional). */
export interface ControlConfig {
  limits?: LimitChange | LimitChange[];
  overload?: OverloadOptions | null;
  faults?: FaultRule[] | null;
}

export function controlConfigGet(core: MockCore): Reply {
  const s = core.state();
  return json(200, { dialect: s.dialect, profile: s.profile, settings: s.settings, limitChanges: core.limitChanges(), overload: core.overload ?? null, faults: core.faults ?? null, tenants: core.tenants().map((t) => ({ name: t.name, scope: t.scope, limits: t.limits })) });
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const num = (v: unknown, min = 0) => v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= min);

/** Problems with a POSTed config, as "path: what was wrong" strings. */
export function configProblems(body: Record<string, unknown>): string[] {
  const out: string[] = [];
  const limits = body.limits;
  if (limits !== undefined) {
    const list = Array.isArray(limits) ? limits : [limits];
    list.forEach((l, i) => {
      if (!isObj(l)) out.push(`limits[${i}]: expected an object`);
    });
  }
  const o = body.overload;
  if (o !== undefined && o !== null) {
    if (!isObj(o)) out.push('overload: expected an object or null');
    else {
      if (o.capacity !== undefined && !(isObj(o.capacity) && num(o.capacity.concurrency, 1) && o.capacity.concurrency !== undefined && num(o.capacity.maxProbability) && num(o.capacity.slowdown)))
        out.push('overload.capacity: expected {concurrency ≥ 1, maxProbability?, slowdown?}');
      if (o.timeline !== undefined && !(Array.isArray(o.timeline) && o.timeline.every((w) => isObj(w) && typeof w.fromMs === 'number' && typeof w.toMs === 'number' && num(w.probability) && num(w.status, 100))))
        out.push('overload.timeline: expected [{fromMs, toMs, probability?, status?}]');
      if (!num(o.status, 100)) out.push('overload.status: expected an HTTP status');
    }
  }
  const f = body.faults;
  if (f !== undefined && f !== null) {
    if (!Array.isArray(f) || !f.every((r) => isObj(r) && (FAULT_KINDS as readonly unknown[]).includes(r.kind) && num(r.probability) && num(r.ms) && num(r.afterTokens) && num(r.fromMs, -Infinity) && num(r.toMs, -Infinity)))
      out.push(`faults: expected [{kind: ${FAULT_KINDS.join('|')}, probability?, fromMs?, toMs?, ms?, afterTokens?}] or null`);
  }
  return out;
}

export function controlConfigPost(core: MockCore, text: string): Reply {
  let body: ControlConfig;
  try {
    body = JSON.parse(text) as ControlConfig;
  } catch {
    return problem(400, 'limitprobe control API: the body is not JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return problem(400, 'limitprobe control API: expected an object {limits?, overload?, faults?}');
  const problems = configProblems(body as Record<string, unknown>);
  if (problems.length) return problem(400, 'limitprobe control API: invalid config', problems);
  try {
    const changes = body.limits === undefined ? [] : Array.isArray(body.limits) ? body.limits : [body.limits];
    for (const c of changes) core.setLimits(c);
  } catch (e) {
    if (e instanceof ConfigError) return problem(400, e.message, e.issues);
    throw e;
  }
  if (body.overload !== undefined) core.overload = body.overload ?? undefined;
  if (body.faults !== undefined) core.faults = body.faults ?? undefined;
  return controlConfigGet(core);
}
