/**
 * Prompts of exactly N tokens in a model's encoding. Text is built from words that are one
 * token each (with and without a leading space) in both cl100k and o200k, so N words make N
 * tokens; sentence breaks add one token each and are planned for. The result is then counted
 * for real and corrected word by word, so exactness never rests on that assumption alone.
 */
import type { Rng } from '../plan/rng.js';
import { encodingForModel } from './count.js';

// One token each, with or without a leading space, in cl100k_base and o200k_base (checked by a test).
export const ONE_TOKEN_WORDS: readonly string[] = [
  'time', 'year', 'people', 'way', 'day', 'man', 'thing', 'woman', 'life', 'child', 'world', 'school', 'state',
  'family', 'student', 'group', 'country', 'problem', 'hand', 'part', 'place', 'case', 'week', 'company', 'system',
  'program', 'question', 'work', 'government', 'number', 'night', 'point', 'home', 'water', 'room', 'mother', 'area',
  'money', 'story', 'fact', 'month', 'lot', 'right', 'study', 'book', 'eye', 'job', 'word', 'business', 'issue',
  'side', 'kind', 'head', 'house', 'service', 'friend', 'father', 'power', 'hour', 'game', 'line', 'end', 'member',
  'law', 'car', 'city', 'community', 'name', 'team', 'minute', 'idea', 'kid', 'body', 'information', 'back', 'parent',
  'face', 'others', 'level', 'office', 'door', 'health', 'person', 'art', 'war', 'history', 'party', 'result',
  'change', 'reason', 'research', 'girl', 'moment', 'air', 'teacher', 'force', 'education', 'foot', 'boy', 'age',
  'policy', 'process', 'music', 'market', 'sense', 'nation', 'plan', 'college', 'interest', 'death', 'experience',
  'effect', 'use', 'class', 'control', 'care', 'field', 'development', 'role', 'rate', 'heart', 'drug', 'show',
  'leader', 'light', 'voice', 'wife', 'mind', 'price', 'report', 'decision', 'son', 'view', 'relationship', 'town',
  'road', 'arm', 'difference', 'value', 'building', 'action', 'model', 'season', 'tax', 'director', 'position',
  'player', 'record', 'paper', 'space', 'ground', 'form', 'event', 'official', 'matter', 'center', 'site', 'project',
  'activity', 'star', 'table', 'need', 'court', 'oil', 'cost', 'industry', 'figure', 'street', 'image', 'phone',
  'data', 'picture', 'practice', 'piece', 'land', 'product', 'doctor', 'wall', 'patient', 'worker', 'news', 'test',
  'movie', 'north', 'love', 'support', 'technology', 'step', 'baby', 'computer', 'type', 'attention', 'film', 'tree',
  'source', 'organization', 'hair', 'window', 'population', 'truth', 'song', 'bank', 'river', 'stone', 'cloud',
  'summer', 'winter', 'spring', 'bridge', 'engine', 'signal', 'network', 'limit', 'token', 'request', 'bucket',
  'second', 'answer', 'letter', 'color', 'forest', 'planet', 'energy', 'metal', 'glass', 'silver',
];

function draft(n: number, rng: Rng): string[] {
  const parts: string[] = [];
  let left = n;
  let sentence = 0;
  const sentenceLen = () => rng.int(6, 16);
  let until = sentenceLen();
  while (left > 0) {
    const w = ONE_TOKEN_WORDS[rng.int(0, ONE_TOKEN_WORDS.length - 1)]!;
    parts.push(parts.length === 0 ? w : ' ' + w);
    left--;
    sentence++;
    if (sentence >= until && left >= 2) {
      parts.push('.');
      left--;
      sentence = 0;
      until = sentenceLen();
    }
  }
  return parts;
}

/** Text of exactly `n` tokens (n ≥ 1) for `model`, varied by `rng`. */
export function synthesizeText(n: number, model: string, rng: Rng): string {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`prompt tokens must be an integer ≥ 1, got ${n}`);
  const enc = encodingForModel(model);
  const parts = draft(n, rng);
  let text = parts.join('');
  let count = enc.count(text);
  // Correct any merge the word list did not foresee: drop or add whole words until exact.
  let guard = 0;
  while (count !== n && guard++ < 64) {
    if (count > n) parts.pop();
    else parts.push(' ' + ONE_TOKEN_WORDS[rng.int(0, ONE_TOKEN_WORDS.length - 1)]!);
    text = parts.join('');
    count = enc.count(text);
  }
  if (count !== n) throw new Error(`could not synthesise a ${n}-token prompt for ${model} (got ${count})`);
  return text;
}
