/**
 * The control API (/__limitprobe/…), transport-neutral: state, counters, referee ledger (JSON
 * and CSV), reset, and runtime configuration (limit changes, overload, faults). With an admin
 * token configured every control route needs it (`authorization: Bearer TOKEN` or
 * `x-limitprobe-admin-token: TOKEN`); a wrong or missing token gets 401.
 */
import { ConfigError } from '../../src/errors.js';
import type { LimitChange, MockCore } from './core.js';
import type { FaultRule, OverloadOptions } from './faults.js';
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

export function controlConfigPost(core: MockCore, text: string): Reply {
  let body: ControlConfig;
  try {
    body = JSON.parse(text) as ControlConfig;
  } catch {
    return problem(400, 'limitprobe control API: the body is not JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return problem(400, 'limitprobe control API: expected an object {limits?, overload?, faults?}');
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
