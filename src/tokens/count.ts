/**
 * Token counting in a model's encoding (gpt-tokenizer). Qwen's BPE is close to cl100k for
 * English text, so Qwen and older OpenAI models use cl100k_base; gpt-4o/4.1/o-series use
 * o200k_base. The harness and the mock count with the same function, so the prompt tokens
 * we plan equal the usage the mock reports.
 */
import { createRequire } from 'node:module';

// Each encoding's rank table takes 0.2–0.4 s to load: load only the ones a run uses, on first use.
const require = createRequire(import.meta.url);
interface TokenizerModule {
  encode(text: string): number[];
  decode(tokens: number[]): string;
  countTokens(text: string): number;
}
function lazy(load: () => TokenizerModule): () => TokenizerModule {
  let mod: TokenizerModule | undefined;
  return () => (mod ??= load());
}
const cl100k = lazy(() => require('gpt-tokenizer/cjs/encoding/cl100k_base') as TokenizerModule);
const o200k = lazy(() => require('gpt-tokenizer/cjs/encoding/o200k_base') as TokenizerModule);

export type EncodingName = 'cl100k_base' | 'o200k_base';

export interface Encoding {
  name: EncodingName;
  encode(text: string): number[];
  decode(tokens: number[]): string;
  count(text: string): number;
}

const encodings: Record<EncodingName, Encoding> = {
  cl100k_base: { name: 'cl100k_base', encode: (t) => cl100k().encode(t), decode: (t) => cl100k().decode(t), count: (t) => cl100k().countTokens(t) },
  o200k_base: { name: 'o200k_base', encode: (t) => o200k().encode(t), decode: (t) => o200k().decode(t), count: (t) => o200k().countTokens(t) },
};

export function encodingForModel(model: string): Encoding {
  const m = model.toLowerCase();
  if (/^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|chatgpt-4o)/.test(m)) return encodings.o200k_base;
  return encodings.cl100k_base;
}

export function getEncoding(name: EncodingName): Encoding {
  return encodings[name];
}

export function countTokens(text: string, model: string): number {
  return encodingForModel(model).count(text);
}

/**
 * Prompt tokens of a chat request: the sum of the message contents' tokens. We deliberately
 * leave out the per-message framing tokens real providers add (3–4 per message): they vary by
 * provider and would make "a prompt of exactly N tokens" ambiguous. The mock uses this same
 * count for usage and admission.
 */
export function countPromptTokens(messages: readonly { content: string }[], model: string): number {
  const enc = encodingForModel(model);
  let n = 0;
  for (const m of messages) n += enc.count(m.content);
  return n;
}
