/**
 * Completion text: words that are exactly one token each (with or without a leading space) in
 * cl100k and o200k, so a completion of N words is N tokens and `usage.completion_tokens` is
 * exact for anyone who re-counts the text. Seeded per request.
 */
import { hashSeed } from '../../src/plan/rng.js';
import { ONE_TOKEN_WORDS } from '../../src/tokens/synth.js';

const W = ONE_TOKEN_WORDS;
const SPACED = W.map((w) => ' ' + w);

/** Where request `index`'s words start in the word list. */
export function wordOffset(seed: number, index: number): number {
  return hashSeed(seed, 'words', index) % W.length;
}

/** Tokens [from, from + count) of a completion, as text (token 0 has no leading space). */
export function completionText(offset: number, from: number, count: number): string {
  let s = '';
  const n = W.length;
  for (let i = from; i < from + count; i++) {
    const k = (offset + i * 7) % n;
    s += i === 0 ? W[k] : SPACED[k];
  }
  return s;
}
