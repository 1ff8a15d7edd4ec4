/**
 * Groq free-tier-like limits (reference §5): RPM, RPD, TPM, TPD per model and organization;
 * the request headers report the per-day bucket.
 */
import type { Profile } from './types.js';

export const GROQ_PROFILE: Profile = {
  name: 'groq',
  description: 'Groq on-demand free-tier-like limits (llama-3.1-8b-instant 30 RPM / 14,400 RPD / 6,000 TPM / 500,000 TPD)',
  dialect: 'groq',
  org: 'org_limitprobe',
  defaultModel: 'llama-3.1-8b-instant',
  latency: { ttftMs: 150, tokensPerSecond: 500, jitter: 0.1 },
  models: [
    { id: 'llama-3.1-8b-instant', contextWindow: 131_072, maxOutputTokens: 131_072, rpm: 30, rpd: 14_400, tpm: 6_000, tpd: 500_000, priceInputPerMTokens: 0.05, priceOutputPerMTokens: 0.08, ownedBy: 'Meta' },
    { id: 'llama-3.3-70b-versatile', contextWindow: 131_072, maxOutputTokens: 32_768, rpm: 30, rpd: 1_000, tpm: 12_000, tpd: 100_000, priceInputPerMTokens: 0.59, priceOutputPerMTokens: 0.79, ownedBy: 'Meta' },
  ],
};
