/**
 * Empirical size distributions name a file of lengths; reading it is file-system work, so it
 * happens here, at load time, and never in parseScenario (which stays pure). The lengths are
 * put into the distribution's `values`, beside its `file`: the scenario data is then complete
 * (and round-trips through toInput) and still says where the numbers came from.
 */
import { readFileSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';
import type { Issue } from '../errors.js';
import { formatPath } from './paths.js';
import { isPlainObject } from './schema-kit.js';

export type ReadText = (absolutePath: string) => string;

const EXPECTED_FILE = 'a readable file of token lengths (one integer per line, or a CSV column)';

/**
 * Fills `values` of every `{ dist: empirical, file }` in `data` (mutated in place) from its
 * file, resolved against `baseDir`. Returns the problems found, each naming the field and the file.
 */
export function readEmpiricalFiles(data: unknown, baseDir: string, read: ReadText = (p) => readFileSync(p, 'utf8')): Issue[] {
  const issues: Issue[] = [];
  const visit = (node: unknown, path: PropertyKey[]) => {
    if (Array.isArray(node)) {
      node.forEach((v, i) => visit(v, [...path, i]));
      return;
    }
    if (!isPlainObject(node)) return;
    if (node.dist === 'empirical' && typeof node.file === 'string' && node.values === undefined) {
      const at = formatPath([...path, 'file']);
      const abs = isAbsolute(node.file) ? node.file : resolve(baseDir, node.file);
      let text: string;
      try {
        text = read(abs);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : code === 'EACCES' ? 'a file we may not read' : (e as Error).message;
        issues.push({ path: at, expected: EXPECTED_FILE, found: `${why}: ${abs}` });
        return;
      }
      const column = typeof node.column === 'string' || typeof node.column === 'number' ? node.column : undefined;
      const csv = /\.csv$/i.test(abs) || column !== undefined;
      const parsed = csv ? parseCsvColumn(text, column) : parseLines(text);
      if ('values' in parsed) node.values = parsed.values;
      else issues.push({ path: at, expected: parsed.expected, found: `${parsed.found} in ${basename(abs)}${parsed.line ? `:${parsed.line}` : ''} (${abs})` });
      return;
    }
    for (const [k, v] of Object.entries(node)) visit(v, [...path, k]);
  };
  visit(data, []);
  return issues;
}

type Parsed = { values: number[] } | { expected: string; found: string; line?: number };

const INTEGER = /^\d+$/;

function lengthOf(cell: string): number | undefined {
  const t = cell.trim();
  if (!INTEGER.test(t)) return undefined;
  const n = Number(t);
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

/** One positive integer per line; blank lines and lines starting with # are skipped. */
export function parseLines(text: string): Parsed {
  const values: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const n = lengthOf(raw);
    if (n === undefined) return { expected: 'one positive integer (tokens) per line', found: JSON.stringify(raw.length > 40 ? raw.slice(0, 37) + '…' : raw), line: i + 1 };
    values.push(n);
  }
  return values.length ? { values } : { expected: 'at least one length', found: 'no lengths' };
}

const cells = (line: string) => line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));

/**
 * A column of a CSV file: by header name, or by 1-based number (default: the first). The
 * first line is a header when a name is asked for or when any of its cells is not a number.
 */
export function parseCsvColumn(text: string, column: string | number | undefined): Parsed {
  const lines = text.split(/\r?\n/);
  let i = lines.findIndex((l) => l.trim() !== '');
  if (i < 0) return { expected: 'at least one length', found: 'an empty file' };
  const first = cells(lines[i]!);
  const hasHeader = typeof column === 'string' || first.some((c) => c !== '' && !/^-?\d+(\.\d+)?$/.test(c));
  let index = 0;
  if (typeof column === 'string') {
    index = first.indexOf(column);
    if (index < 0) return { expected: `a column named "${column}"`, found: `columns ${first.map((c) => JSON.stringify(c)).join(', ')}`, line: i + 1 };
  } else if (typeof column === 'number') index = column - 1;
  if (hasHeader) i++;
  const values: number[] = [];
  for (; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    const row = cells(lines[i]!);
    const cell = row[index];
    const n = cell === undefined ? undefined : lengthOf(cell);
    if (n === undefined) {
      return { expected: `a positive integer (tokens) in column ${index + 1} of every row`, found: cell === undefined ? `a row of ${row.length} column(s)` : JSON.stringify(cell), line: i + 1 };
    }
    values.push(n);
  }
  return values.length ? { values } : { expected: 'at least one length', found: 'no rows' };
}
