/**
 * Server-sent events framing (the WHATWG event-stream format) as OpenAI-compatible APIs use it:
 * `data: {json}\n\n` … `data: [DONE]\n\n`. The encoder is for the mock; the incremental parser
 * is for clients reading a streamed body chunk by chunk.
 */

export const SSE_DONE = '[DONE]';

export interface SseEvent {
  /** The `event:` field, when the stream named one (OpenAI does not; Anthropic does). */
  event?: string;
  /** The data lines joined with "\n". */
  data: string;
  /** The `id:` field, when present. */
  id?: string;
}

/**
 * One SSE event carrying `data`: an object is JSON-encoded; a string is sent as is (e.g.
 * `'[DONE]'`), split into one `data:` line per line so embedded newlines survive.
 */
export function encodeSseData(data: unknown, event?: string): string {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  const head = event === undefined ? '' : `event: ${event}\n`;
  if (text.indexOf('\n') === -1 && text.indexOf('\r') === -1) return `${head}data: ${text}\n\n`;
  return head + text.split(/\r\n|\r|\n/).map((l) => `data: ${l}\n`).join('') + '\n';
}

/** `data: [DONE]\n\n`, precomputed. */
export const SSE_DONE_FRAME = encodeSseData(SSE_DONE);

/**
 * Incremental event-stream parser. Feed it chunks as they arrive (strings or bytes; a UTF-8
 * character or a CRLF may be split across chunks) and it returns the events completed so far.
 * Comments (`:` lines) are skipped, `retry:` is ignored, multi-line data is joined with "\n",
 * and an event with no data lines is not dispatched (as the spec says).
 */
export class SseParser {
  private decoder = new TextDecoder('utf-8');
  private buf = '';
  /** A chunk ended with CR: if the next one starts with LF, that LF belongs to the same break. */
  private pendingCr = false;
  private data: string[] = [];
  private eventName: string | undefined;
  private lastId: string | undefined;

  feed(chunk: string | Uint8Array): SseEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: SseEvent[] = [];
    if (this.pendingCr) {
      this.pendingCr = false;
      if (text.charCodeAt(0) === 10) text = text.slice(1);
    }
    this.buf += text;
    this.drain(out);
    return out;
  }

  /**
   * The stream has ended. Flushes any partial UTF-8 sequence and, leniently, dispatches a final
   * event that was not followed by a blank line (the spec would drop it).
   */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    const rest = this.decoder.decode();
    if (rest) this.buf += rest;
    this.drain(out);
    if (this.buf.length > 0) {
      this.line(this.buf, out);
      this.buf = '';
    }
    this.dispatch(out);
    return out;
  }

  private drain(out: SseEvent[]): void {
    const buf = this.buf;
    let start = 0;
    const n = buf.length;
    for (;;) {
      // Find the next CR or LF from `start`.
      let i = start;
      let c = 0;
      while (i < n) {
        c = buf.charCodeAt(i);
        if (c === 10 || c === 13) break;
        i++;
      }
      if (i >= n) break;
      this.line(buf.slice(start, i), out);
      if (c === 13) {
        if (i + 1 < n) {
          start = buf.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
        } else {
          this.pendingCr = true;
          start = i + 1;
        }
      } else start = i + 1;
    }
    this.buf = start === 0 ? buf : buf.slice(start);
  }

  private line(l: string, out: SseEvent[]): void {
    if (l.length === 0) {
      this.dispatch(out);
      return;
    }
    if (l.charCodeAt(0) === 58 /* : */) return;
    const colon = l.indexOf(':');
    let field: string;
    let value: string;
    if (colon === -1) {
      field = l;
      value = '';
    } else {
      field = l.slice(0, colon);
      value = l.charCodeAt(colon + 1) === 32 ? l.slice(colon + 2) : l.slice(colon + 1);
    }
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.eventName = value;
        break;
      case 'id':
        if (value.indexOf('\0') === -1) this.lastId = value;
        break;
      default:
        // `retry` and unknown fields are ignored.
        break;
    }
  }

  private dispatch(out: SseEvent[]): void {
    if (this.data.length > 0) {
      const ev: SseEvent = { data: this.data.length === 1 ? this.data[0]! : this.data.join('\n') };
      if (this.eventName !== undefined && this.eventName !== '') ev.event = this.eventName;
      if (this.lastId !== undefined) ev.id = this.lastId;
      out.push(ev);
    }
    this.data = [];
    this.eventName = undefined;
  }
}
