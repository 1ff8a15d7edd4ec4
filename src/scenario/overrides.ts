/**
 * Command-line overrides. Each flag becomes edits of the scenario's input form at a path;
 * the edited input is validated again by the same schema as the file, and any issue at an
 * edited path is reported under the flag's name. A general `--set path=value` is one more
 * edit (see `Edits.set`).
 */
import { parse as parseYaml } from 'yaml';
import { ConfigError, type Issue } from '../errors.js';
import { parseScenario } from './parse.js';
import { parsePath, setAt, type PathSegment } from './paths.js';
import type { Scenario, ScenarioInput } from './schema.js';
import { toInput } from './to-input.js';
import { RATE_PATTERN, rateToPerSecond } from './units.js';

export interface Overrides {
  /** `--target-url`: the target becomes kind http with this baseUrl (model kept if set). */
  targetUrl?: string;
  model?: string;
  apiKeyEnv?: string;
  dialect?: string;
  /**
   * `--rate`: every phase's arrival rate. constant/poisson/gamma take it as their rate (a
   * tokensPerMinute target is dropped: the flag is explicit); ramp/steps/spike are scaled so
   * their peak rate is R, keeping their shape; closed-loop phases become constant arrivals.
   * Rejected when groups bring their own arrivals (the flag would not say which to change).
   */
  rate?: number | string;
  /** `--duration`: every phase's duration. */
  duration?: number | string;
  seed?: number | string;
  outDir?: string;
  /** `--concurrency N`: every phase becomes a closed loop of N workers. */
  concurrency?: number | string;
  /** `--set path.to.field=value` (repeatable): any field; values are YAML scalars or flow collections. */
  set?: readonly string[];
}

/** Numbers typed on a command line arrive as strings; the schema wants numbers for these. */
function numeric(v: number | string): number | string {
  return typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
}

/** Edits of plain input data, remembering which flag made each one. */
class Edits {
  readonly made: { path: PathSegment[]; flag: string }[] = [];
  constructor(readonly input: Record<string, unknown>) {}

  set(path: PathSegment[], value: unknown, flag: string): void {
    setAt(this.input, path, value);
    this.made.push({ path, flag });
  }

  /** The flag whose edit an issue path falls under, if any. */
  flagFor(issuePath: string): string | undefined {
    let segs: PathSegment[];
    try {
      segs = parsePath(issuePath);
    } catch {
      return undefined;
    }
    return this.made.find((e) => e.path.every((s, i) => segs[i] === s))?.flag;
  }
}

export function applyOverrides(scenario: Scenario, o: Overrides): Scenario {
  const given = Object.entries(o).filter(([, v]) => v !== undefined);
  if (given.length === 0) return scenario;

  const input = toInput(scenario) as ScenarioInput & Record<string, unknown>;
  const edits = new Edits(input);
  const problems: Issue[] = [];

  if (o.targetUrl !== undefined) {
    if (input.target.kind !== 'http') {
      // Mock-only settings (profile, limits, latency) have no meaning for a real API.
      input.target = { kind: 'http', model: input.target.model } as ScenarioInput['target'];
    }
    edits.set(['target', 'baseUrl'], o.targetUrl, '--target-url');
  }
  if (o.model !== undefined) edits.set(['target', 'model'], o.model, '--model');
  for (const [key, flag] of [['apiKeyEnv', '--api-key-env'], ['dialect', '--dialect']] as const) {
    if (o[key] === undefined) continue;
    if (input.target.kind !== 'http') {
      problems.push({ path: flag, expected: 'an http target (give --target-url, or target.kind: http)', found: `target kind "${input.target.kind}"` });
    } else edits.set(['target', key], o[key], flag);
  }
  if (o.rate !== undefined) {
    const rate = numeric(o.rate);
    const own = (input.groups ?? []).findIndex((g) => g.arrival !== undefined);
    if (own >= 0) {
      problems.push({
        path: '--rate',
        expected: 'a scenario whose load comes from phase arrivals',
        found: `groups[${own}] ("${input.groups![own]!.name}") has an arrival of its own (change it with --set)`,
      });
    } else input.phases.forEach((p, i) => setPhaseRate(p, i, rate, edits));
  }
  if (o.duration !== undefined) {
    const duration = numeric(o.duration);
    input.phases.forEach((_, i) => edits.set(['phases', i, 'duration'], duration, '--duration'));
  }
  if (o.concurrency !== undefined) {
    const n = numeric(o.concurrency);
    input.phases.forEach((p, i) => {
      delete p.arrival;
      edits.set(['phases', i, 'concurrency'], n, '--concurrency');
    });
  }
  for (const assignment of o.set ?? []) {
    const eq = assignment.indexOf('=');
    let path: PathSegment[] | undefined;
    try {
      path = eq > 0 ? parsePath(assignment.slice(0, eq).trim()) : undefined;
    } catch {
      path = undefined;
    }
    if (!path || path.length === 0) {
      problems.push({ path: '--set', expected: 'path.to.field=value (e.g. phases[0].arrival.rate=20)', found: JSON.stringify(assignment) });
      continue;
    }
    edits.set(path, parseValue(assignment.slice(eq + 1)), `--set ${assignment.slice(0, eq).trim()}`);
  }
  if (o.seed !== undefined) edits.set(['seed'], numeric(o.seed), '--seed');
  if (o.outDir !== undefined) edits.set(['output', 'dir'], o.outDir, '--out');

  let result: Scenario | undefined;
  try {
    result = parseScenario(input, 'after overrides');
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.issues.map((issue) => relabel(issue, edits)));
  }
  if (problems.length > 0 || !result) throw new ConfigError('invalid overrides', dedupe(problems));
  return result;
}

/** A --set value: YAML, so `20`, `true`, `1200/min`, `{dist: uniform, min: 1, max: 9}` all read naturally. */
function parseValue(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return text;
  }
}

/** Peak rate (req/s) of a shaped arrival in input form (rates are numbers there: toInput writes req/s). */
function peakOf(a: Record<string, unknown>): number {
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  if (a.type === 'ramp') return Math.max(n(a.from), n(a.to));
  if (a.type === 'steps') return Math.max(...(a.steps as { rate: unknown }[]).map((s) => n(s.rate)));
  return Math.max(n(a.rate), n(a.spikeRate));
}

function setPhaseRate(p: ScenarioInput['phases'][number], i: number, rate: number | string, edits: Edits): void {
  const a = p.arrival as Record<string, unknown> | undefined;
  if (a === undefined) {
    delete p.concurrency;
    delete p.thinkTime;
    edits.set(['phases', i, 'arrival'], { type: 'constant', rate }, '--rate');
    return;
  }
  if (a.type === 'constant' || a.type === 'poisson' || a.type === 'gamma') {
    delete a.tokensPerMinute;
    edits.set(['phases', i, 'arrival', 'rate'], rate, '--rate');
    return;
  }
  // A shape keeps its shape: every rate is scaled so the peak becomes R. An invalid R is put
  // where the peak was, so the schema reports it (under --rate) like any other rate.
  const r = typeof rate === 'number' ? rate : RATE_PATTERN.test(rate) ? rateToPerSecond(rate) : undefined;
  const k = r === undefined ? undefined : r / peakOf(a);
  const scaled = (v: unknown) => (k === undefined ? rate : (v as number) * k);
  if (a.type === 'ramp') {
    edits.set(['phases', i, 'arrival', 'from'], scaled(a.from), '--rate');
    edits.set(['phases', i, 'arrival', 'to'], scaled(a.to), '--rate');
  } else if (a.type === 'steps') {
    (a.steps as { rate: unknown }[]).forEach((s, j) => edits.set(['phases', i, 'arrival', 'steps', j, 'rate'], scaled(s.rate), '--rate'));
  } else {
    edits.set(['phases', i, 'arrival', 'rate'], scaled(a.rate), '--rate');
    edits.set(['phases', i, 'arrival', 'spikeRate'], scaled(a.spikeRate), '--rate');
  }
}

function relabel(issue: Issue, edits: Edits): Issue {
  const flag = edits.flagFor(issue.path);
  if (flag) return { ...issue, path: flag };
  const flags = [...new Set(edits.made.map((e) => e.flag))].join(', ');
  return { ...issue, message: [issue.message, `after applying ${flags}`].filter(Boolean).join('; ') };
}

/** The same flag fails the same way in every phase: say it once. */
function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\0${i.expected}\0${i.found}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}
