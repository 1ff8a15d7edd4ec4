/**
 * Paths into a scenario as users read them: `phases[1].arrival.rate`, `target.headers["X-Foo"]`.
 * Shared by error messages, source locations and overrides (a future `--set path=value`).
 */
export type PathSegment = string | number;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && IDENT.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

/** Inverse of formatPath. Throws RangeError on malformed input. */
export function parsePath(text: string): PathSegment[] {
  const segs: PathSegment[] = [];
  // A key is `.name` (bare `name` first), `[3]` or `["any key"]`.
  const re = /(\.)?([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  let i = 0;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m || (m[2] !== undefined && (i === 0) !== (m[1] === undefined))) throw new RangeError(`malformed path: ${text}`);
    segs.push(m[2] ?? (m[3] !== undefined ? Number(m[3]) : (JSON.parse(m[4]!) as string)));
    i = re.lastIndex;
  }
  return segs;
}

export function getAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

/** Sets a value in plain JSON data, creating objects (or arrays for numeric segments) on the way. */
export function setAt(root: Record<string, unknown>, path: readonly PathSegment[], value: unknown): void {
  if (path.length === 0) throw new RangeError('cannot set the root');
  let cur: Record<PropertyKey, unknown> = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    let next = cur[seg];
    if (next === null || typeof next !== 'object') {
      next = typeof path[i + 1] === 'number' ? [] : {};
      cur[seg] = next;
    }
    cur = next as Record<PropertyKey, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}
