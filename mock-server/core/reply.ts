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
  /** Set when the stream ended by a "cut" fault: the transport drops the connection instead of ending the body. */
  cut?: boolean;
}

export type Reply =
  | {
      status: number;
      headers: Record<string, string>;
      body: string;
      /** 'reset': drop the connection before any header (transport fault); status/body are ignored. */
      fault?: 'reset';
    }
  | { status: number; headers: Record<string, string>; stream: ReplyStream };

export const JSON_CT = 'application/json';
export const SSE_CT = 'text/event-stream; charset=utf-8';

/** Sleeps on `sleep` until `t`, or forever when t is Infinity (until `signal` aborts). */
export function waitUntil(sleep: (t: number, s?: AbortSignal) => Promise<void>, t: number, signal?: AbortSignal): Promise<void> {
  if (Number.isFinite(t)) return sleep(t, signal);
  return new Promise<void>((_, reject) => {
    if (!signal) return;
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** A JSON body sent as a stream so a fault can act after the headers: stall `stallMs`, or cut half-way. */
export function faultyJson(r: { status: number; headers: Record<string, string>; body: string }, fault: { stallUntil?: number; cut?: boolean }, sleep: (t: number, s?: AbortSignal) => Promise<void>, signal?: AbortSignal): Reply {
  let step = 0;
  const s: ReplyStream = {
    async next() {
      if (step === 0) {
        step = 1;
        if (fault.stallUntil !== undefined) {
          try {
            await waitUntil(sleep, fault.stallUntil, signal);
          } catch {
            return undefined;
          }
        }
        if (fault.cut) {
          s.cut = true;
          return r.body.slice(0, Math.floor(r.body.length / 2));
        }
        return r.body;
      }
      return undefined;
    },
    cancel() {
      step = 2;
    },
  };
  return { status: r.status, headers: r.headers, stream: s };
}
