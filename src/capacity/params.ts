/**
 * The parameters a capacity plan can vary, and how each is applied to a scenario. Values are
 * in the units people plan in: requests per minute, tokens per minute, clients, requests in
 * flight, tokens. Applying never mutates the scenario it is given.
 */
import { ConfigError } from '../errors.js';
import type { Arrival, Phase, Scenario } from '../scenario/index.js';

export const PARAMS = {
  rate: { unit: 'requests/min', integer: false, describe: 'open-loop arrival rate (constant, poisson, gamma arrivals) in requests per minute' },
  tpm: { unit: 'tokens/min', integer: false, describe: 'token-targeted arrival rate (tokensPerMinute of constant, poisson, gamma arrivals): the request rate follows from the request mix' },
  clients: { unit: 'clients', integer: true, describe: 'closed-loop clients (the concurrency of closed-loop phases): each sends, waits for its answer (and think time), sends again' },
  concurrency: { unit: 'in flight', integer: true, describe: 'the client-side cap on requests in flight (maxInFlight): open-loop arrivals over it are dropped' },
  'prompt-tokens': { unit: 'tokens', integer: true, describe: 'prompt size (fixed) of every request in the phases' },
  'max-tokens': { unit: 'tokens', integer: true, describe: 'max_tokens (fixed) of every request in the phases' },
} as const;
export type ParamName = keyof typeof PARAMS;
export const PARAM_NAMES = Object.keys(PARAMS) as ParamName[];

export interface ApplyOptions {
  /** Run only these phases (in scenario order); default all. */
  phases?: readonly string[];
  /** Apply the parameter only in these phases; default every phase that has what it sets. */
  in?: readonly string[];
}

const RATE_TYPES = new Set<Arrival['type']>(['constant', 'poisson', 'gamma']);

/** The scenario with only the phases asked for (checked against its phase names). */
export function selectPhases(s: Scenario, names: readonly string[] | undefined): Scenario {
  if (!names?.length) return s;
  const known = s.phases.map((p) => p.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) {
    throw new ConfigError('unknown phase', unknown.map((n) => ({ path: '--phases', expected: `one of ${known.join(', ')}`, found: JSON.stringify(n) })));
  }
  const phases = s.phases.filter((p) => names.includes(p.name));
  const groups = s.groups?.map((g) => (g.activeIn ? { ...g, activeIn: g.activeIn.filter((n) => names.includes(n)) } : g)).filter((g) => !g.activeIn || g.activeIn.length > 0);
  return groups ? { ...s, phases, groups } : { ...s, phases };
}

/** `s` with `param` set to `value` (after phase selection). Throws a ConfigError when it applies nowhere. */
export function applyParam(s0: Scenario, param: ParamName, value: number, opts: ApplyOptions = {}): Scenario {
  const s = structuredClone(selectPhases(s0, opts.phases));
  const v = PARAMS[param].integer ? Math.round(value) : value;
  const inScope = (p: Phase) => !opts.in?.length || opts.in.includes(p.name);
  if (opts.in?.length) {
    const known = s.phases.map((p) => p.name);
    const unknown = opts.in.filter((n) => !known.includes(n));
    if (unknown.length) throw new ConfigError('unknown phase', unknown.map((n) => ({ path: '--in', expected: `one of the phases run: ${known.join(', ')}`, found: JSON.stringify(n) })));
  }
  let applied = 0;
  const setArrival = (a: Arrival | undefined): boolean => {
    if (!a || !RATE_TYPES.has(a.type)) return false;
    const r = a as Extract<Arrival, { type: 'constant' | 'poisson' | 'gamma' }>;
    if (param === 'rate') {
      r.rate = v / 60;
      delete r.tokensPerMinute;
    } else {
      r.tokensPerMinute = v;
      delete r.rate;
    }
    return true;
  };
  switch (param) {
    case 'rate':
    case 'tpm':
      for (const p of s.phases) {
        if (!inScope(p) || p.kind !== 'open') continue;
        if (setArrival(p.arrival)) applied++;
        for (const g of s.groups ?? []) if ((!g.activeIn || g.activeIn.includes(p.name)) && setArrival(g.arrival)) applied++;
      }
      break;
    case 'clients':
      for (const p of s.phases) {
        if (inScope(p) && p.kind === 'closed') {
          p.concurrency = v;
          applied++;
        }
      }
      break;
    case 'concurrency':
      s.maxInFlight = v;
      applied++;
      break;
    case 'prompt-tokens':
    case 'max-tokens': {
      const field = param === 'prompt-tokens' ? 'promptTokens' : 'maxTokens';
      for (const p of s.phases) {
        if (!inScope(p)) continue;
        p.request = { ...p.request, [field]: { dist: 'fixed', value: v } };
        applied++;
      }
      // Groups override phases: set theirs too so the value holds for every request.
      for (const g of s.groups ?? []) if (g.request?.[field] !== undefined) g.request = { ...g.request, [field]: { dist: 'fixed', value: v } };
      break;
    }
  }
  if (applied === 0) {
    const where = param === 'clients' ? 'a closed-loop phase (concurrency)' : 'an open phase with a constant, poisson or gamma arrival';
    throw new ConfigError(`--vary ${param} applies to nothing in this scenario`, [{ path: '--vary', expected: where + (opts.in?.length ? ` among ${opts.in.join(', ')}` : ''), found: 'none' }]);
  }
  return s;
}
