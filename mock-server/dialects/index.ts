/** Dialects by name. */
import { ConfigError } from '../../src/errors.js';
import { ANTHROPIC_DIALECT } from './anthropic.js';
import { AZURE_DIALECT } from './azure.js';
import { DASHSCOPE_DIALECT } from './dashscope.js';
import { GROQ_DIALECT } from './groq.js';
import { OPENAI_DIALECT } from './openai.js';
import { DIALECT_NAMES, type DialectName, type DialectSpec } from './types.js';

export type { DialectName, DialectSpec, DialectErrors, ErrorBody, RateLimitContext } from './types.js';
export { DIALECT_NAMES } from './types.js';
export { OPENAI_DIALECT, ANTHROPIC_DIALECT, AZURE_DIALECT, DASHSCOPE_DIALECT, GROQ_DIALECT };

const DIALECTS: Record<DialectName, DialectSpec> = {
  openai: OPENAI_DIALECT,
  groq: GROQ_DIALECT,
  azure: AZURE_DIALECT,
  dashscope: DASHSCOPE_DIALECT,
  anthropic: ANTHROPIC_DIALECT,
};

export function getDialect(name: string): DialectSpec {
  if (!(DIALECT_NAMES as readonly string[]).includes(name)) {
    throw new ConfigError(`unknown mock dialect "${name}"`, [{ path: 'dialect', expected: `one of ${DIALECT_NAMES.join(', ')}`, found: JSON.stringify(name) }]);
  }
  return DIALECTS[name as DialectName];
}
