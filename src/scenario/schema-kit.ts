/**
 * Small helpers that give every schema a readable "expected …" phrase. A custom message is
 * stored as `expected <phrase>`, so the issue mapper (issues.ts) can read the phrase back;
 * zod's own messages never start that way.
 */
import { z } from 'zod';

export const EXPECTED_PREFIX = 'expected ';

/** Params that make every issue a schema raises read "expected <phrase>". */
export function expecting(phrase: string): { error: () => string } {
  return { error: () => EXPECTED_PREFIX + phrase };
}

/** Params for a discriminated union: a non-object and an unknown tag get different phrases. */
export function discriminated(objectPhrase: string, tagPhrase: string) {
  return { error: (iss: { code: string }) => EXPECTED_PREFIX + (iss.code === 'invalid_type' ? objectPhrase : tagPhrase) };
}

const forbiddenKeys = new WeakSet<z.ZodType>();

/** A key that must not appear (e.g. a literal apiKey), explained in the error and the JSON Schema. */
export function forbidden(phrase: string, description: string) {
  const s = z.never(expecting(phrase)).optional().meta({ description });
  forbiddenKeys.add(s);
  return s;
}

/** Start of the unknown-key phrase; issues.ts reads the list back to suggest a near key. */
export const ALLOWED_KEYS = 'one of the keys ';

/** A strict object whose unknown-key error lists the keys that are allowed. */
export function strict<S extends z.core.$ZodLooseShape>(shape: S) {
  const allowed = Object.keys(shape).filter((k) => !forbiddenKeys.has(shape[k] as z.ZodType));
  const phrase = ALLOWED_KEYS + allowed.join(', ');
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? EXPECTED_PREFIX + phrase : undefined),
  });
}

/** A positive integer with a phrase for every way it can be wrong. */
export function positiveInt(phrase = 'a positive integer') {
  return z.int(expecting(phrase)).positive(expecting(phrase));
}

/** A number ≥ 0 (or in [0, max]). */
export function nonNegative(phrase: string, max?: number) {
  const n = z.number(expecting(phrase)).min(0, expecting(phrase));
  return max === undefined ? n : n.max(max, expecting(phrase));
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
