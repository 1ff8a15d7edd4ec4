/**
 * Azure OpenAI deployments (reference §2): each deployment has a TPM quota; RPM is derived as
 * 6 per 1,000 TPM (so no `rpm` here). Model ids are deployment names (the path's
 * `/openai/deployments/{name}/…` selects one).
 */
import type { Profile } from './types.js';

export const AZURE_PROFILE: Profile = {
  name: 'azure',
  description: 'Azure OpenAI deployments: gpt-4o-mini 30,000 TPM (180 RPM derived), gpt-4o 8,000 TPM (48 RPM)',
  dialect: 'azure',
  org: 'limitprobe-resource',
  defaultModel: 'gpt-4o-mini',
  latency: { ttftMs: 400, tokensPerSecond: 70, jitter: 0.15 },
  models: [
    { id: 'gpt-4o-mini', contextWindow: 128_000, maxOutputTokens: 16_384, tpm: 30_000, priceInputPerMTokens: 0.15, priceOutputPerMTokens: 0.6 },
    { id: 'gpt-4o', contextWindow: 128_000, maxOutputTokens: 16_384, tpm: 8_000, priceInputPerMTokens: 2.5, priceOutputPerMTokens: 10 },
  ],
};
