/** mock-server/README.md shows test/unit/mock-readme-example.test.ts verbatim (that file runs as a test). */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

describe('mock-server/README.md', () => {
  it('embeds the runnable vitest example verbatim', () => {
    const readme = readFileSync(resolve(root, 'mock-server/README.md'), 'utf8');
    const m = /<!-- example:start -->\n```ts\n([\s\S]*?)```\n<!-- example:end -->/.exec(readme);
    expect(m, 'README has the example markers').not.toBeNull();
    expect(m![1]).toBe(readFileSync(resolve(root, 'test/unit/mock-readme-example.test.ts'), 'utf8'));
  });

  it('has a row for each of the 30 checklist points', () => {
    const readme = readFileSync(resolve(root, 'mock-server/README.md'), 'utf8');
    for (let i = 1; i <= 30; i++) expect(readme, `row ${i}`).toMatch(new RegExp(`^\\| ${i} \\|`, 'm'));
  });
});
