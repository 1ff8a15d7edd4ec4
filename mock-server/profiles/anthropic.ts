/**
 * Anthropic at usage tier 1 (reference §3): per model class 50 RPM / 30,000 ITPM / 8,000 OTPM
 * for Sonnet 4.x (Haiku alike at tier 1 in this profile). Context 200k; max output per model.
 */
import type { Profile } from './types.js';

export const ANTHROPIC_TIER1_PROFILE: Profile = {
  name: 'anthropic-tier1',
  description: 'Anthropic Messages API at tier 1: 50 RPM / 30,000 ITPM / 8,000 OTPM per model',
  dialect: 'anthropic',
  org: 'org-limitprobe',
  defaultModel: 'claude-sonnet-4-5',
  latency: { ttftMs: 600, tokensPerSecond: 60, jitter: 0.15 },
  models: [
    { id: 'claude-sonnet-4-5', contextWindow: 200_000, maxOutputTokens: 64_000, rpm: 50, itpm: 30_000, otpm: 8_000, priceInputPerMTokens: 3, priceOutputPerMTokens: 15 },
    { id: 'claude-haiku-4-5', contextWindow: 200_000, maxOutputTokens: 64_000, rpm: 50, itpm: 50_000, otpm: 10_000, priceInputPerMTokens: 1, priceOutputPerMTokens: 5 },
  ],
};
