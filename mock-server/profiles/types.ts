import type { LatencyModel } from '../core/latency.js';
import type { DialectName } from '../dialects/types.js';

/** One model a profile serves, with its limits and prices. Absent limits are not enforced. */
export interface ModelProfile {
  id: string;
  /** Prompt + completion tokens the model accepts. */
  contextWindow: number;
  /** Largest max_tokens accepted; also the completion budget when a request omits max_tokens. */
  maxOutputTokens: number;
  /** Largest prompt accepted (DashScope's "Range of input length should be [1, N]"). */
  maxInputTokens?: number;
  /** Requests per minute. Azure: derived as 6 per 1,000 TPM when absent. */
  rpm?: number;
  /** Tokens per minute, counted as prompt + max_tokens at admission (OpenAI-style dialects). */
  tpm?: number;
  /** Requests / tokens per day. */
  rpd?: number;
  tpd?: number;
  /** Input / output tokens per minute (Anthropic). */
  itpm?: number;
  otpm?: number;
  /** Max requests in flight. */
  maxConcurrent?: number;
  /** Bucket capacity (burst) of the RPM / TPM bucket when it differs from the refill rate (burst ≠ refill); absent: = rpm / tpm. */
  rpmCapacity?: number;
  tpmCapacity?: number;
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
  /** Wire dialect of responses and errors (dialects/*.ts); the `dialect` option overrides it. */
  dialect: DialectName;
  /** Organization id printed in 429 messages. */
  org: string;
  defaultModel: string;
  models: readonly ModelProfile[];
  latency: LatencyModel;
}
