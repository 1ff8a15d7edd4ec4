/** Reads a scenario file (YAML or JSON) and validates it; errors point at file lines. */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError, type Issue } from '../errors.js';
import { readEmpiricalFiles, type ReadText } from './empirical.js';
import { parseScenario } from './parse.js';
import { parsePath } from './paths.js';
import type { Scenario } from './schema.js';
import { detectFormat, parseSourceText, type SourceFormat } from './source-text.js';

export async function loadScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const found =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : code === 'EACCES' ? 'a file we may not read' : (e as Error).message;
    throw new ConfigError(`cannot read scenario ${path}`, [{ path, expected: 'a YAML or JSON scenario file', found }]);
  }
  return parseScenarioText(text, path);
}

export interface ParseTextOptions {
  /** Where files named in the scenario (empirical lengths) are resolved; default: the directory of `source`. */
  baseDir?: string;
  /** Reads such a file (default: fs, synchronously: they are small and read once). */
  readText?: ReadText;
}

/**
 * Scenario text → Scenario. `source` names the text in errors (and picks the format by its
 * extension unless `format` is given). Validation issues get `at source:line:col`. Files the
 * scenario names (empirical length lists) are read here, relative to the scenario's directory.
 */
export function parseScenarioText(text: string, source = '<scenario>', format?: SourceFormat, opts: ParseTextOptions = {}): Scenario {
  if (text.trim() === '') {
    throw new ConfigError(`invalid scenario ${source}`, [
      { path: source, expected: 'a scenario with name, target, request and phases', found: 'an empty file' },
    ]);
  }
  const parsed = parseSourceText(text, source, format ?? detectFormat(source, text));
  try {
    const fileIssues = readEmpiricalFiles(parsed.data, opts.baseDir ?? dirname(source), opts.readText);
    if (fileIssues.length > 0) throw new ConfigError(`invalid scenario ${source}: cannot read the files it names`, fileIssues);
    return parseScenario(parsed.data, source);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const located = e.issues.map((issue) => {
      const at = parsed.locate(issue.path ? safeParsePath(issue.path) : []);
      return { issue, at };
    });
    // Report in file order, so the list reads top to bottom like the file.
    located.sort((a, b) => (a.at?.line ?? Infinity) - (b.at?.line ?? Infinity) || (a.at?.col ?? 0) - (b.at?.col ?? 0));
    const issues: Issue[] = located.map(({ issue, at }) =>
      at ? { ...issue, message: [`at ${source}:${at.line}:${at.col}`, issue.message].filter(Boolean).join('; ') } : issue,
    );
    throw new ConfigError(e.message.split('\n')[0]!, issues);
  }
}

function safeParsePath(path: string): PropertyKey[] {
  try {
    return parsePath(path);
  } catch {
    return [];
  }
}
