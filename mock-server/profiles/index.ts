/** Profiles by name. Unknown names are a ConfigError that lists the known ones. */
import { ConfigError } from '../../src/errors.js';
import { OPENAI_TIER1_PROFILE } from './openai.js';
import { QWEN2_PROFILE } from './qwen2.js';
import { ANTHROPIC_TIER1_PROFILE } from './anthropic.js';
import { AZURE_PROFILE } from './azure.js';
import { DASHSCOPE_PROFILE } from './dashscope.js';
import { GROQ_PROFILE } from './groq.js';
import type { Profile } from './types.js';

export type { ModelProfile, Profile } from './types.js';
export { QWEN2_PROFILE, QWEN2_MODELS } from './qwen2.js';
export { OPENAI_TIER1_PROFILE } from './openai.js';
export { AZURE_PROFILE, DASHSCOPE_PROFILE, ANTHROPIC_TIER1_PROFILE, GROQ_PROFILE };

const PROFILES: Record<string, Profile> = {
  qwen2: QWEN2_PROFILE,
  'openai-tier1': OPENAI_TIER1_PROFILE,
  groq: GROQ_PROFILE,
  azure: AZURE_PROFILE,
  dashscope: DASHSCOPE_PROFILE,
  'anthropic-tier1': ANTHROPIC_TIER1_PROFILE,
};

const ALIASES: Record<string, string> = {
  'qwen2-seed': 'qwen2',
  openai: 'openai-tier1',
  anthropic: 'anthropic-tier1',
};

/** The profile a dialect uses when none is named. */
export const DIALECT_DEFAULT_PROFILE: Record<string, string> = {
  openai: 'qwen2',
  groq: 'groq',
  azure: 'azure',
  dashscope: 'dashscope',
  anthropic: 'anthropic-tier1',
};

export const DEFAULT_PROFILE = 'qwen2';

export function profileNames(): string[] {
  return Object.keys(PROFILES);
}

export function getProfile(name: string): Profile {
  const key = ALIASES[name] ?? name;
  const p = Object.prototype.hasOwnProperty.call(PROFILES, key) ? PROFILES[key] : undefined;
  if (!p) {
    const known = [...Object.keys(PROFILES), ...Object.keys(ALIASES)].join(', ');
    throw new ConfigError(`unknown mock profile "${name}"`, [
      { path: 'profile', expected: `one of ${known}`, found: JSON.stringify(name) },
    ]);
  }
  return p;
}
