import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPath, parsePath } from '../../src/scenario/index.js';

describe('scenario paths', () => {
  it('formats like users read them', () => {
    expect(formatPath(['phases', 1, 'arrival', 'rate'])).toBe('phases[1].arrival.rate');
    expect(formatPath(['target', 'headers', 'X-Foo'])).toBe('target.headers.X-Foo');
    expect(formatPath(['target', 'headers', 'bad name'])).toBe('target.headers["bad name"]');
    expect(formatPath([])).toBe('');
  });

  it('parses what it formats', () => {
    const seg = fc.oneof(fc.string(), fc.nat({ max: 1000 }));
    fc.assert(
      fc.property(fc.array(seg, { maxLength: 6 }), (path) => {
        expect(parsePath(formatPath(path))).toEqual(path);
      }),
    );
  });

  it('rejects malformed paths', () => {
    for (const bad of ['.a', 'a..b', 'a[', 'a[x]', 'a b']) expect(() => parsePath(bad)).toThrow(RangeError);
  });
});
