import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/plan/rng.js';
import { countPromptTokens, countTokens, encodingForModel, getEncoding } from '../../src/tokens/count.js';
import { ONE_TOKEN_WORDS, synthesizeText } from '../../src/tokens/synth.js';

describe('token counting', () => {
  it('picks o200k for gpt-4o-family models and cl100k for Qwen and older OpenAI models', () => {
    expect(encodingForModel('gpt-4o-mini').name).toBe('o200k_base');
    expect(encodingForModel('o3-mini').name).toBe('o200k_base');
    expect(encodingForModel('qwen2-72b-instruct').name).toBe('cl100k_base');
    expect(encodingForModel('gpt-3.5-turbo').name).toBe('cl100k_base');
  });

  it('counts a chat prompt as the sum of its message contents', () => {
    const msgs = [
      { content: 'You are terse.' },
      { content: 'Hello world' },
    ];
    expect(countPromptTokens(msgs, 'qwen2-7b-instruct')).toBe(countTokens('You are terse.', 'qwen2-7b-instruct') + 2);
  });

  it('uses only words that are one token with and without a leading space in both encodings', () => {
    for (const name of ['cl100k_base', 'o200k_base'] as const) {
      const enc = getEncoding(name);
      for (const w of ONE_TOKEN_WORDS) {
        expect(enc.encode(w), `${name} "${w}"`).toHaveLength(1);
        expect(enc.encode(' ' + w), `${name} " ${w}"`).toHaveLength(1);
      }
    }
  });
});

describe('synthesizeText', () => {
  it.each(['qwen2-7b-instruct', 'gpt-4o-mini'])('gives exactly N tokens for N from 1 to 2,000 (%s)', (model) => {
    for (let n = 1; n <= 2000; n += n < 40 ? 1 : 37) {
      const text = synthesizeText(n, model, createRng(7, n));
      expect(countTokens(text, model)).toBe(n);
    }
  });

  it('gives exactly N tokens for a long-context prompt', () => {
    const text = synthesizeText(50_000, 'qwen2-72b-instruct', createRng(1));
    expect(countTokens(text, 'qwen2-72b-instruct')).toBe(50_000);
  });

  it('is deterministic by seed and varies between seeds', () => {
    const a = synthesizeText(200, 'qwen2-7b-instruct', createRng(1, 'x'));
    const b = synthesizeText(200, 'qwen2-7b-instruct', createRng(1, 'x'));
    const c = synthesizeText(200, 'qwen2-7b-instruct', createRng(2, 'x'));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).toMatch(/\. /); // sentences, not one run-on list
  });

  it('rejects a non-positive or fractional size', () => {
    expect(() => synthesizeText(0, 'm', createRng(1))).toThrow(/integer ≥ 1, got 0/);
    expect(() => synthesizeText(2.5, 'm', createRng(1))).toThrow(RangeError);
  });
});
