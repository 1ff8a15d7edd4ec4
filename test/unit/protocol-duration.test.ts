import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatGoDuration, parseGoDuration } from '../../src/protocol/duration.js';

describe('formatGoDuration', () => {
  it.each([
    [0, '0s'],
    [12, '12ms'],
    [999, '999ms'],
    [1000, '1s'],
    [6596, '6.596s'],
    [1500, '1.5s'],
    [1050, '1.05s'],
    [60_000, '1m0s'],
    [360_000, '6m0s'],
    [179_560, '2m59.56s'],
    [72_500, '1m12.5s'],
    [3_600_000, '1h0m0s'],
    [3_661_001, '1h1m1.001s'],
    [86_400_000, '24h0m0s'],
  ])('%d ms → %s', (ms, s) => {
    expect(formatGoDuration(ms)).toBe(s);
  });

  it('rounds to whole milliseconds (OpenAI never sends µs)', () => {
    expect(formatGoDuration(35_883.36)).toBe('35.883s');
    expect(formatGoDuration(0.4)).toBe('0s');
    expect(formatGoDuration(0.5)).toBe('1ms');
    expect(formatGoDuration(999.6)).toBe('1s');
    expect(formatGoDuration(59_999.5)).toBe('1m0s');
  });

  it('formats negatives like Go', () => {
    expect(formatGoDuration(-1500)).toBe('-1.5s');
    expect(formatGoDuration(-0.2)).toBe('0s');
  });

  it('rejects non-finite input', () => {
    expect(() => formatGoDuration(Number.NaN)).toThrow(RangeError);
    expect(() => formatGoDuration(Infinity)).toThrow(RangeError);
  });

  // Reference §6: every "try again in" and reset value, from the bucket formula.
  it.each([
    ['micro-agent#86', 30000, 29937, 385, '644ms'],
    ['continue#11472', 30000, 18928, 11159, '174ms'],
    ['continue#9563', 30000, 22343, 10955, '6.596s'],
    ['MetaGPT#523', 10000, 8554, 3082, '9.816s'],
    ['codex#10051', 250000, 250000, 149514, '35.883s'],
    ['wally#62', 10000, 8782, 8172, '41.724s'],
    ['aider#3265 (predicted)', 15000, 11972, 4351, '5.292s'],
  ])('§6 wait %s: L=%d U=%d R=%d → %s', (_src, L, U, R, d) => {
    expect(formatGoDuration(((U + R - L) * 60000) / L)).toBe(d);
  });

  it.each([
    [5000, 4999, '12ms'],
    [160000, 159976, '9ms'],
    [30000, 29996, '8ms'],
  ])('§6 reset: L=%d remaining=%d → %s', (L, rem, d) => {
    expect(formatGoDuration(((L - rem) * 60000) / L)).toBe(d);
  });
});

describe('parseGoDuration', () => {
  it.each([
    ['0s', 0],
    ['0', 0],
    ['12ms', 12],
    ['1s', 1000],
    ['6.596s', 6596],
    ['6m0s', 360_000],
    ['2m59.56s', 179_560],
    ['7.66s', 7660],
    ['1h0m0s', 3_600_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['500us', 0.5],
    ['500µs', 0.5],
    ['500μs', 0.5],
    ['250ns', 0.00025],
    ['1h2m3s4ms', 3_723_004],
    ['-2s', -2000],
    ['+3ms', 3],
    ['.5s', 500],
    ['1.s', 1000],
    [' 9ms ', 9],
  ])('%s → %d ms', (s, ms) => {
    expect(parseGoDuration(s)).toBe(ms);
  });

  it.each(['', '-', '12', '1x', 'ms', '1.2.3s', 's1', '1 s', 'abc', '1m 0s', '-0.5'])('rejects %j', (s) => {
    expect(parseGoDuration(s)).toBeUndefined();
  });

  it('§6 examples parse back to the predicted ms', () => {
    for (const [s, ms] of [
      ['644ms', 644], ['174ms', 174], ['6.596s', 6596], ['9.816s', 9816], ['35.883s', 35883],
      ['41.724s', 41724], ['5.289s', 5289], ['12ms', 12], ['9ms', 9], ['8ms', 8],
    ] as const) expect(parseGoDuration(s)).toBe(ms);
  });

  it('round-trips every whole-ms duration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 3_600_000 }), (ms) => {
        expect(parseGoDuration(formatGoDuration(ms))).toBe(ms);
      }),
    );
  });

  it('formats to the Go shape', () => {
    const shape = /^(\d+h)?(\d+m)?(\d+(\.\d+)?s|\d+ms)$/;
    fc.assert(fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), (ms) => shape.test(formatGoDuration(ms))));
  });
});
