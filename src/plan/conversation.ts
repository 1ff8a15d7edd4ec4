/**
 * Multi-turn conversations. A request is one turn; turn j of a conversation sends the whole
 * history: user messages 0..j (each of the `promptTokens` size) and, between them, synthetic
 * assistant replies 0..j−1, each of the size of that turn's `maxTokens` (the longest reply
 * the turn allowed). Every message is synthesised to its exact size, so the prompt's token
 * count is exactly the sum of the sizes (plus the system prompt).
 *
 * Requests are dealt to `sessions` conversations round-robin: request s goes to session
 * s mod K, as its ⌊s / K⌋-th turn; each session runs conversations one after another, their
 * lengths drawn from `turns`. Every size and word derives from (seed, scope, session,
 * conversation, turn), so a turn is the same whatever order requests are made in; a cursor
 * per session (and a memo of the current conversation's messages) makes in-order use O(1)
 * per turn beyond the text itself.
 */
import type { ChatMessage } from '../exec/ports.js';
import type { Conversation, TokenDist } from '../scenario/schema.js';
import { synthesizeText } from '../tokens/synth.js';
import { expectation, sample } from './distributions.js';
import { createRng } from './rng.js';

export interface Turn {
  messages: ChatMessage[];
  /** Tokens of the messages (the system prompt excluded). */
  promptTokens: number;
  maxTokens: number;
  conversation: number;
  session: number;
  turn: number;
}

export interface Conversations {
  /** The turn request number `s` (of this scope) is. */
  turn(s: number): Turn;
}

interface Exchange {
  user: ChatMessage;
  userTokens: number;
  assistant: ChatMessage;
  maxTokens: number;
}

export function createConversations(
  seed: number,
  scope: readonly (string | number)[],
  spec: { promptTokens: TokenDist; maxTokens: TokenDist; conversation: Conversation },
  model: string,
): Conversations {
  const { sessions, turns } = spec.conversation;
  const cursors = new Map<number, { conv: number; startPos: number; len: number; exchanges: Exchange[] }>();
  const lengthOf = (session: number, conv: number) => sample(turns, createRng(seed, 'conversation', ...scope, session, conv));

  const exchange = (session: number, conv: number, i: number): Exchange => {
    const rng = createRng(seed, 'turn', ...scope, session, conv, i);
    const userTokens = sample(spec.promptTokens, rng);
    const maxTokens = sample(spec.maxTokens, rng);
    const text = (n: number, who: string) => synthesizeText(n, model, createRng(seed, 'turn-text', ...scope, session, conv, i, who));
    return {
      user: { role: 'user', content: text(userTokens, 'user') },
      userTokens,
      assistant: { role: 'assistant', content: text(maxTokens, 'assistant') },
      maxTokens,
    };
  };

  return {
    turn(s) {
      const session = s % sessions;
      const pos = Math.floor(s / sessions);
      let c = cursors.get(session);
      if (!c || pos < c.startPos) {
        c = { conv: 0, startPos: 0, len: lengthOf(session, 0), exchanges: [] };
        cursors.set(session, c);
      }
      while (pos >= c.startPos + c.len) {
        c.startPos += c.len;
        c.conv++;
        c.len = lengthOf(session, c.conv);
        c.exchanges = [];
      }
      const j = pos - c.startPos;
      while (c.exchanges.length <= j) c.exchanges.push(exchange(session, c.conv, c.exchanges.length));
      const messages: ChatMessage[] = [];
      let promptTokens = 0;
      for (let i = 0; i < j; i++) {
        const e = c.exchanges[i]!;
        messages.push(e.user, e.assistant);
        promptTokens += e.userTokens + e.maxTokens;
      }
      const last = c.exchanges[j]!;
      messages.push(last.user);
      promptTokens += last.userTokens;
      return { messages, promptTokens, maxTokens: last.maxTokens, conversation: c.conv, session, turn: j };
    },
  };
}

/**
 * E[prompt tokens] of a request (system prompt excluded) when requests are turns: over a
 * conversation of T turns, Σⱼ (Σ_{i<j} (uᵢ + aᵢ) + uⱼ) = T·E[u] + E[u + a]·T(T−1)/2, and a
 * random request is a random turn, so the mean is E[u] + E[u + a]·E[T(T−1)] / (2·E[T]).
 */
export function expectedConversationPrompt(promptTokens: TokenDist, maxTokens: TokenDist, turns: TokenDist): number {
  const u = expectation(promptTokens);
  const a = expectation(maxTokens);
  const t = expectation(turns);
  const tt1 = expectation(turns, (k) => k * (k - 1));
  return u + ((u + a) * tt1) / (2 * t);
}
