/**
 * OpenAI chat models at a usage-tier-1-like account (limits per model and organization; the
 * values are plausible tier-1 figures, not a promise of what any account has). Windows and
 * max outputs are OpenAI's published ones; prices are list prices per million tokens.
 */
import type { Profile } from './types.js';

export const OPENAI_TIER1_PROFILE: Profile = {
  name: 'openai-tier1',
  description: 'OpenAI chat models at tier-1-like limits (gpt-4o-mini 500 RPM / 200,000 TPM …)',
  dialect: 'openai',
  org: 'org-limitprobe',
  defaultModel: 'gpt-4o-mini',
  latency: { ttftMs: 350, tokensPerSecond: 80, jitter: 0.15 },
  models: [
    { id: 'gpt-4o-mini', contextWindow: 128_000, maxOutputTokens: 16_384, rpm: 500, tpm: 200_000, priceInputPerMTokens: 0.15, priceOutputPerMTokens: 0.6, ownedBy: 'system' },
    { id: 'gpt-4o', contextWindow: 128_000, maxOutputTokens: 16_384, rpm: 500, tpm: 30_000, priceInputPerMTokens: 2.5, priceOutputPerMTokens: 10, ownedBy: 'system', latency: { ttftMs: 450, tokensPerSecond: 60 } },
    { id: 'gpt-4.1-mini', contextWindow: 1_047_576, maxOutputTokens: 32_768, rpm: 500, tpm: 200_000, priceInputPerMTokens: 0.4, priceOutputPerMTokens: 1.6, ownedBy: 'system' },
    { id: 'gpt-4.1-nano', contextWindow: 1_047_576, maxOutputTokens: 32_768, rpm: 500, tpm: 200_000, priceInputPerMTokens: 0.1, priceOutputPerMTokens: 0.4, ownedBy: 'system', latency: { ttftMs: 250, tokensPerSecond: 120 } },
    { id: 'gpt-3.5-turbo', contextWindow: 16_385, maxOutputTokens: 4_096, rpm: 3_500, tpm: 200_000, priceInputPerMTokens: 0.5, priceOutputPerMTokens: 1.5, ownedBy: 'openai' },
  ],
};
