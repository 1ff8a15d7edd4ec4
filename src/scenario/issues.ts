/**
 * zod issues → limitprobe Issues: a readable path, what was expected and what was found.
 * "Found" is read from the user's own input at the issue's path (never echoing secrets), so
 * it shows what they wrote, not zod's type names.
 */
import type { z } from 'zod';
import type { Issue } from '../errors.js';
import { formatPath, getAt } from './paths.js';
import { ALLOWED_KEYS, EXPECTED_PREFIX } from './schema-kit.js';
import { isSensitivePath } from './sensitive.js';

type ZodIssue = z.core.$ZodIssue;

export function toIssues(issues: readonly ZodIssue[], input: unknown, prefix: readonly PropertyKey[] = []): Issue[] {
  return issues.flatMap((iss) => toIssue(iss, input, [...prefix, ...iss.path]));
}

function toIssue(iss: ZodIssue, input: unknown, path: PropertyKey[]): Issue[] {
  if (iss.code === 'unrecognized_keys') {
    const expected = phraseOf(iss) ?? 'a known key';
    const allowed = expected.startsWith(ALLOWED_KEYS) ? expected.slice(ALLOWED_KEYS.length).split(', ') : [];
    return iss.keys.map((key) => {
      const near = nearest(key, allowed);
      return { path: formatPath([...path, key]), expected, found: `unknown key "${key}"`, ...(near && { message: `did you mean "${near}"?` }) };
    });
  }
  if (iss.code === 'invalid_union') {
    // A union's branches report relative paths. If exactly one branch matched the value's
    // shape (failed below its root), its issues are the useful ones: report those instead.
    const near = iss.errors.filter((branch) => branch.some((b) => b.path.length > 0 || b.code !== 'invalid_type'));
    if (near.length === 1) return toIssues(near[0]!, input, path);
  }
  if (iss.code === 'invalid_key') {
    const key = path[path.length - 1];
    return [{ path: formatPath(path), expected: iss.issues.map(phraseOf).find(Boolean) ?? 'a valid key', found: `key ${JSON.stringify(key)}` }];
  }
  const found = (iss.code === 'custom' && typeof iss.params?.found === 'string')
    ? iss.params.found
    : describe(getAt(input, path), isSensitivePath(path));
  return [{ path: formatPath(path), expected: phraseOf(iss) ?? defaultExpected(iss), found }];
}

function phraseOf(iss: { message: string }): string | undefined {
  return iss.message.startsWith(EXPECTED_PREFIX) ? iss.message.slice(EXPECTED_PREFIX.length) : undefined;
}

const TYPE_NAMES: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  never: 'nothing here',
};

function defaultExpected(iss: ZodIssue): string {
  switch (iss.code) {
    case 'invalid_type':
      return TYPE_NAMES[iss.expected] ?? `a ${iss.expected}`;
    case 'too_small':
    case 'too_big': {
      const bound = iss.code === 'too_small' ? iss.minimum : iss.maximum;
      const word = iss.code === 'too_small' ? 'at least' : 'at most';
      if (iss.origin === 'array') return `${word} ${bound} item(s)`;
      if (iss.origin === 'string') return `${word} ${bound} character(s)`;
      const op = iss.code === 'too_small' ? (iss.inclusive ? '≥' : '>') : iss.inclusive ? '≤' : '<';
      return `a number ${op} ${bound}`;
    }
    case 'invalid_value':
      return `one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return iss.format === 'url' ? 'a URL' : iss.format === 'regex' ? `a string matching ${iss.pattern}` : `a valid ${iss.format}`;
    case 'not_multiple_of':
      return `a multiple of ${iss.divisor}`;
    default:
      return iss.message;
  }
}

/** A short, human description of a value as the user wrote it. */
export function describe(value: unknown, hidden = false): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    if (hidden) return `a string of ${value.length} characters (not shown: it may be a secret)`;
    const json = JSON.stringify(value);
    return json.length > 60 ? `${json.slice(0, 57)}…"` : json;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length} item(s)`;
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return 'an empty object';
    return `an object with keys ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', …' : ''}`;
  }
  return typeof value;
}

/** The allowed key closest to a misspelt one (edit distance ≤ 2, or same letters ignoring case). */
function nearest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const a of allowed) {
    const d = a.toLowerCase() === key.toLowerCase() ? 0 : editDistance(a, key);
    if (d < bestD) [best, bestD] = [a, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
