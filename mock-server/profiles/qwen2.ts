/**
 * Qwen2 instruct models as the seed describes them (a reseller-style OpenAI-compatible API).
 *
 * Limits: 800 requests/min and 800,000 tokens/min per model. The seed page prints the two
 * labels swapped ("Token Per Minute Limit 800 / Rate Per Minute Limit 800,000"); TPM is always
 * far larger than RPM and 1:1000 RPM:TPM is a common provider ratio, so we read it as
 * RPM 800 / TPM 800,000 (reference §0.5, §4.3). Alibaba's own DashScope limits differ
 * (e.g. qwen2-72b-instruct 60 RPM / 150,000 TPM): that is a separate profile, not this one.
 *
 * Price: the seed's $0.20 per million input and $0.60 per million output tokens (again not
 * Alibaba's list price; the seed likely describes a reseller).
 *
 * Context windows are the Qwen2 model cards' (the seed says "8k to 128k"): 0.5B/1.5B 32k,
 * 57B-A14B 64k, 7B and 72B 128k. No size gets 8k: none of the Qwen2 instruct models ships with
 * one, and the mock's `contextWindow` option sets any other value. Max output 6,144 tokens
 * follows DashScope's published value for the Qwen2 open models (not re-verified here).
 *
 * Latency is a plausible shape (smaller = faster), not a measurement: set `latency` to taste.
 */
import type { ModelProfile, Profile } from './types.js';

const LIMITS = { rpm: 800, tpm: 800_000 } as const;
const PRICE = { priceInputPerMTokens: 0.2, priceOutputPerMTokens: 0.6 } as const;

const model = (id: string, contextWindow: number, latency: ModelProfile['latency']): ModelProfile => ({
  id,
  contextWindow,
  maxOutputTokens: 6144,
  ...LIMITS,
  ...PRICE,
  ownedBy: 'qwen',
  latency,
});

export const QWEN2_MODELS: readonly ModelProfile[] = [
  model('qwen2-0.5b-instruct', 32_768, { ttftMs: 80, tokensPerSecond: 150 }),
  model('qwen2-1.5b-instruct', 32_768, { ttftMs: 100, tokensPerSecond: 120 }),
  model('qwen2-7b-instruct', 131_072, { ttftMs: 200, tokensPerSecond: 70 }),
  model('qwen2-57b-a14b-instruct', 65_536, { ttftMs: 300, tokensPerSecond: 50 }),
  model('qwen2-72b-instruct', 131_072, { ttftMs: 400, tokensPerSecond: 30 }),
];

export const QWEN2_PROFILE: Profile = {
  name: 'qwen2',
  description: 'Qwen2 instruct models per the seed: 800 RPM / 800,000 TPM each, $0.20 in / $0.60 out per M tokens',
  dialect: 'openai',
  org: 'org-limitprobe',
  defaultModel: 'qwen2-7b-instruct',
  models: QWEN2_MODELS,
  latency: { ttftMs: 200, tokensPerSecond: 70, jitter: 0.1 },
};
