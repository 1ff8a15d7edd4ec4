/**
 * Scenario text (YAML or JSON) → data, plus a way to find where a path sits in the text, so
 * validation errors can point at lines. Syntax errors become ConfigErrors with line:column.
 */
import { isNode, parseDocument } from 'yaml';
import { ConfigError, type Issue } from '../errors.js';

export type SourceFormat = 'yaml' | 'json';

export interface Position {
  line: number;
  col: number;
}

export interface SourceText {
  data: unknown;
  /** Where the value at `path` (or its nearest existing parent) starts; 1-based. */
  locate(path: readonly PropertyKey[]): Position | undefined;
}

/** .json → json, .yaml/.yml → yaml, otherwise sniff: `{` first means JSON. */
export function detectFormat(fileName: string, text: string): SourceFormat {
  if (/\.json$/i.test(fileName)) return 'json';
  if (/\.ya?ml$/i.test(fileName)) return 'yaml';
  return text.trimStart().startsWith('{') ? 'json' : 'yaml';
}

function lineColOf(text: string): (offset: number) => Position {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - starts[lo]! + 1 };
  };
}

function syntaxError(source: string, format: SourceFormat, issues: Issue[]): ConfigError {
  return new ConfigError(`cannot parse ${source} as ${format === 'json' ? 'JSON' : 'YAML'}`, issues);
}

export function parseSourceText(text: string, source: string, format: SourceFormat): SourceText {
  const pos = lineColOf(text);
  let json: unknown;
  if (format === 'json') {
    // JSON.parse is the strict judge of JSON syntax; the YAML parser below only finds positions.
    try {
      json = JSON.parse(text);
    } catch (e) {
      const msg = (e as Error).message;
      const at = /position (\d+)/.exec(msg);
      const p = at ? pos(Number(at[1])) : undefined;
      throw syntaxError(source, format, [
        { path: p ? `${source}:${p.line}:${p.col}` : source, expected: 'valid JSON', found: msg.replace(/ in JSON at position \d+.*$/, '') },
      ]);
    }
  }
  // JSON is (for our purposes) YAML 1.2, so one parser gives both data and node positions.
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // Valid JSON the YAML parser balks at (rare: e.g. keys over 1024 chars): data without positions.
    if (format === 'json') return { data: json, locate: () => undefined };
    throw syntaxError(
      source,
      format,
      doc.errors.map((err) => {
        const p = pos(err.pos[0]);
        return { path: `${source}:${p.line}:${p.col}`, expected: 'valid YAML', found: err.message.split('\n')[0]! };
      }),
    );
  }
  return {
    data: doc.toJS({ maxAliasCount: 100 }),
    locate(path) {
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n) as unknown[], true);
        if (isNode(node) && node.range) return pos(node.range[0]);
      }
      return undefined;
    },
  };
}
