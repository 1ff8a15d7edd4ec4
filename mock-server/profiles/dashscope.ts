/**
 * Alibaba Model Studio (DashScope) per-model limits, Beijing table updated 2026-02-24
 * (reference §4.3; only clearly attributable rows). Limits are per root account. Max input /
 * output tokens are the published values where known, otherwise context − max output.
 * Prices in USD per M tokens are approximate conversions (not used for limits).
 */
import type { ModelProfile, Profile } from './types.js';

const m = (id: string, rpm: number, tpm: number, contextWindow: number, maxOutputTokens: number, maxInputTokens: number, price: [number, number]): ModelProfile => ({
  id,
  rpm,
  tpm,
  contextWindow,
  maxOutputTokens,
  maxInputTokens,
  priceInputPerMTokens: price[0],
  priceOutputPerMTokens: price[1],
  ownedBy: 'qwen',
});

export const DASHSCOPE_MODELS: readonly ModelProfile[] = [
  m('qwen2-72b-instruct', 60, 150_000, 131_072, 6_144, 128_000, [0.7, 1.4]),
  m('qwen2-57b-a14b-instruct', 60, 150_000, 65_536, 6_144, 63_488, [0.5, 1.0]),
  m('qwen2-7b-instruct', 60, 150_000, 131_072, 6_144, 128_000, [0.14, 0.28]),
  m('qwen-plus', 30_000, 5_000_000, 131_072, 8_192, 129_024, [0.4, 1.2]),
  m('qwen-flash', 30_000, 10_000_000, 1_000_000, 32_768, 997_952, [0.05, 0.4]),
  m('qwen-turbo', 1_200, 5_000_000, 1_000_000, 16_384, 1_000_000, [0.05, 0.2]),
  m('qwen3-max', 30_000, 5_000_000, 262_144, 65_536, 258_048, [1.2, 6]),
  m('qwen-long', 1_200, 3_000_000, 10_000_000, 32_768, 10_000_000, [0.07, 0.28]),
  m('qwen-max-2025-01-25', 60, 100_000, 32_768, 8_192, 30_720, [1.6, 6.4]),
  m('qwen3-235b-a22b', 600, 1_000_000, 131_072, 16_384, 129_024, [0.7, 2.8]),
  m('qwen3-32b', 2_400, 1_000_000, 131_072, 16_384, 129_024, [0.28, 1.12]),
  m('qwen1.5-110b-chat', 10, 20_000, 32_000, 8_000, 24_000, [1, 2]),
  m('qwen1.5-72b-chat', 120, 200_000, 32_000, 2_000, 30_000, [0.7, 1.4]),
];

export const DASHSCOPE_PROFILE: Profile = {
  name: 'dashscope',
  description: 'Alibaba DashScope compatible mode, documented per-model limits (qwen2-72b-instruct 60 RPM / 150,000 TPM …), per root account',
  dialect: 'dashscope',
  org: 'limitprobe-account',
  defaultModel: 'qwen2-72b-instruct',
  models: DASHSCOPE_MODELS,
  latency: { ttftMs: 400, tokensPerSecond: 40, jitter: 0.1 },
};
