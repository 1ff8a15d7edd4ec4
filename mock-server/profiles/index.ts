/** Profiles by name. Unknown names are a ConfigError that lists the known ones. */
import { ConfigError } from '../../src/errors.js';
import { OPENAI_TIER1_PROFILE } from './openai.js';
import { QWEN2_PROFILE } from './qwen2.js';
import type { Profile } from './types.js';

export type { ModelProfile, Profile } from './types.js';
export { QWEN2_PROFILE, QWEN2_MODELS } from './qwen2.js';
export { OPENAI_TIER1_PROFILE } from './openai.js';

const PROFILES: Record<string, Profile> = {
  qwen2: QWEN2_PROFILE,
  'openai-tier1': OPENAI_TIER1_PROFILE,
};

const ALIASES: Record<string, string> = {
  'qwen2-seed': 'qwen2',
  openai: 'openai-tier1',
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
