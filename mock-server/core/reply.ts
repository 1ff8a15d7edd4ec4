/**
 * A transport-neutral response: what the mock answers, before it becomes a Fetch Response
 * (MSW handlers) or bytes on a node:http socket (the server's direct path). Streams are
 * pull-based text sources, so each transport applies its own backpressure.
 */
export interface ReplyStream {
  /** The next chunk of text (possibly several SSE events), or undefined when the stream ended. */
  next(): Promise<string | undefined>;
  /** The consumer went away: stop generating (idempotent). */
  cancel(): void;
}

export type Reply =
  | { status: number; headers: Record<string, string>; body: string }
  | { status: number; headers: Record<string, string>; stream: ReplyStream };

export const JSON_CT = 'application/json';
export const SSE_CT = 'text/event-stream; charset=utf-8';
