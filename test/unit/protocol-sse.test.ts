import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeSseData, SSE_DONE_FRAME, SseParser, type SseEvent } from '../../src/protocol/sse.js';

describe('encodeSseData', () => {
  it('frames JSON and [DONE]', () => {
    expect(encodeSseData({ a: 1 })).toBe('data: {"a":1}\n\n');
    expect(encodeSseData('[DONE]')).toBe('data: [DONE]\n\n');
    expect(SSE_DONE_FRAME).toBe('data: [DONE]\n\n');
  });
  it('splits multi-line strings into data lines and names events', () => {
    expect(encodeSseData('a\nb')).toBe('data: a\ndata: b\n\n');
    expect(encodeSseData({ x: 'y' }, 'ping')).toBe('event: ping\ndata: {"x":"y"}\n\n');
  });
});

describe('SseParser', () => {
  it('parses OpenAI-style frames', () => {
    const p = new SseParser();
    expect(p.feed('data: {"a":1}\n\ndata: [DONE]\n\n')).toEqual([{ data: '{"a":1}' }, { data: '[DONE]' }]);
  });

  it('handles lines split across chunks', () => {
    const p = new SseParser();
    expect(p.feed('da')).toEqual([]);
    expect(p.feed('ta: hel')).toEqual([]);
    expect(p.feed('lo\n')).toEqual([]);
    expect(p.feed('\n')).toEqual([{ data: 'hello' }]);
  });

  it('handles CRLF and lone CR, including a CRLF split across chunks', () => {
    const p = new SseParser();
    expect(p.feed('data: a\r\n\r\ndata: b\r\r')).toEqual([{ data: 'a' }, { data: 'b' }]);
    expect(p.feed('data: c\r')).toEqual([]);
    expect(p.feed('\n\r')).toEqual([{ data: 'c' }]);
    expect(p.feed('\ndata: d\n\n')).toEqual([{ data: 'd' }]);
  });

  it('skips comments, joins multi-line data, reads event and id, ignores retry', () => {
    const p = new SseParser();
    const evs = p.feed(': keep-alive\n\nevent: message_start\nid: 7\nretry: 100\ndata: one\ndata:two\ndata\n\n');
    expect(evs).toEqual([{ event: 'message_start', id: '7', data: 'one\ntwo\n' }]);
  });

  it('does not dispatch events without data; resets the event name per event', () => {
    const p = new SseParser();
    expect(p.feed('event: ping\n\ndata: x\n\n')).toEqual([{ data: 'x' }]);
  });

  it('decodes UTF-8 split across byte chunks', () => {
    const bytes = new TextEncoder().encode('data: héllo €\n\n');
    const p = new SseParser();
    const out: SseEvent[] = [];
    for (const b of bytes) out.push(...p.feed(new Uint8Array([b])));
    expect(out).toEqual([{ data: 'héllo €' }]);
  });

  it('end() flushes a final event without a trailing blank line', () => {
    const p = new SseParser();
    expect(p.feed('data: tail')).toEqual([]);
    expect(p.end()).toEqual([{ data: 'tail' }]);
  });

  it('gives the same events however the stream is chunked', () => {
    const payloads = fc.array(fc.string({ unit: 'grapheme' }).filter((s) => !/[\r\n]/.test(s)), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(payloads, fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 20 }), fc.constantFrom('\n', '\r\n', '\r'), (datas, cuts, eol) => {
        const stream = datas.map((d) => encodeSseData(d).replace(/\n/g, eol)).join('');
        const bytes = new TextEncoder().encode(stream);
        const p = new SseParser();
        const out: SseEvent[] = [];
        let pos = 0;
        let k = 0;
        while (pos < bytes.length) {
          const n = cuts[k++ % cuts.length]!;
          out.push(...p.feed(bytes.subarray(pos, pos + n)));
          pos += n;
        }
        out.push(...p.end());
        expect(out.map((e) => e.data)).toEqual(datas);
      }),
    );
  });
});
