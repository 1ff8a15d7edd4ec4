import type { LatencyModel } from '../core/latency.js';

/** One model a profile serves, with its limits and prices. */
export interface ModelProfile {
  id: string;
  /** Prompt + completion tokens the model accepts. */
  contextWindow: number;
  /** Largest max_tokens accepted; also the completion budget when a request omits max_tokens. */
  maxOutputTokens: number;
  /** Requests per minute (RPM bucket capacity). */
  rpm: number;
  /** Tokens per minute (TPM bucket capacity), counted as prompt + max_tokens at admission. */
  tpm: number;
  /** USD per million tokens. */
  priceInputPerMTokens: number;
  priceOutputPerMTokens: number;
  ownedBy?: string;
  /** Overrides of the profile's latency for this model. */
  latency?: Partial<LatencyModel>;
}

/** A provider/account as data: which models, their limits, the wire dialect, the timing. */
export interface Profile {
  name: string;
  description: string;
  /** Wire dialect of responses and errors. Only 'openai' is implemented so far. */
  dialect: 'openai';
  /** Organization id printed in 429 messages. */
  org: string;
  defaultModel: string;
  models: readonly ModelProfile[];
  latency: LatencyModel;
}
