/**
 * JUnit XML for CI systems (GitHub Actions test reporters, GitLab, Jenkins, Azure Pipelines):
 * thresholds and run-to-run comparisons as test cases, a failure element for each one that
 * failed. The subset of the format every consumer reads: <testsuites> → <testsuite name tests
 * failures skipped> → <testcase classname name> with optional <failure message type> or
 * <skipped/>. Text is escaped for XML 1.0 (characters XML cannot carry are dropped).
 */
import { formatDuration } from './console.js';
import { isFailure, type CompareResult } from './compare.js';

export interface JunitCase {
  classname: string;
  name: string;
  /** Seconds. */
  time?: number;
  failure?: { message: string; type?: string; body?: string };
  skipped?: string;
  /** <system-out> text: details shown beside the case. */
  output?: string;
}

export interface JunitSuite {
  name: string;
  cases: readonly JunitCase[];
}

// Chars outside XML 1.0's Char production (C0 controls except tab/LF/CR, lone surrogates, FFFE/FFFF).
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escape for XML text content (and, with attr, for attribute values). */
export function xmlEscape(v: unknown, attr = false): string {
  const s = String(v ?? '')
    .replace(INVALID_XML, '')
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!)
    .replace(/\r/g, '&#13;');
  // parsers normalise raw tabs and newlines in attributes to spaces; character references survive
  return attr ? s.replace(/\n/g, '&#10;').replace(/\t/g, '&#9;') : s;
}
const attr = (v: unknown) => xmlEscape(v, true);

export function junitXml(suites: readonly JunitSuite[]): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const all = suites.flatMap((s) => s.cases);
  const fails = (cs: readonly JunitCase[]) => cs.filter((c) => c.failure).length;
  const skips = (cs: readonly JunitCase[]) => cs.filter((c) => c.skipped !== undefined && !c.failure).length;
  out.push(`<testsuites name="limitprobe" tests="${all.length}" failures="${fails(all)}" errors="0" skipped="${skips(all)}">`);
  for (const s of suites) {
    out.push(`  <testsuite name="${attr(s.name)}" tests="${s.cases.length}" failures="${fails(s.cases)}" errors="0" skipped="${skips(s.cases)}">`);
    for (const c of s.cases) {
      const attrs = `classname="${attr(c.classname)}" name="${attr(c.name)}"${c.time !== undefined ? ` time="${c.time.toFixed(3)}"` : ''}`;
      const inner: string[] = [];
      if (c.failure) {
        inner.push(
          `      <failure message="${attr(c.failure.message)}" type="${attr(c.failure.type ?? 'failure')}">${xmlEscape(c.failure.body ?? c.failure.message)}</failure>`,
        );
      } else if (c.skipped !== undefined) inner.push(`      <skipped message="${attr(c.skipped)}"/>`);
      if (c.output) inner.push(`      <system-out>${xmlEscape(c.output)}</system-out>`);
      out.push(inner.length ? `    <testcase ${attrs}>\n${inner.join('\n')}\n    </testcase>` : `    <testcase ${attrs}/>`);
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

/**
 * What a threshold evaluator reports for one threshold in one scope (metrics/thresholds.ts's
 * ThresholdResult fits: its scope is { phase, group }; a plain string scope works too).
 */
export interface ThresholdResultLike {
  expr: string;
  scope: string | { phase: string; group: string };
  observed?: number | undefined;
  ok: boolean;
  /** Why there is no observed value, when there is none. */
  note?: string;
}

/** "total", "phase=steady", "phase=steady,group=a", "group=a". */
export function scopeName(scope: ThresholdResultLike['scope']): string {
  if (typeof scope === 'string') return scope;
  const parts = [scope.phase !== 'total' ? `phase=${scope.phase}` : '', scope.group !== '*' ? `group=${scope.group}` : ''].filter(Boolean);
  return parts.length ? parts.join(',') : 'total';
}

const num = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6))));

/** One testcase per threshold (per scope), failed ones with the observed value. */
export function thresholdsToJunit(results: readonly ThresholdResultLike[], suiteName = 'limitprobe thresholds'): string {
  return junitXml([
    {
      name: suiteName,
      cases: results.map((r) => {
        const scope = scopeName(r.scope);
        const observed = r.observed === undefined ? `no data${r.note ? ` (${r.note})` : ''}` : `observed ${num(r.observed)}`;
        return {
          classname: `thresholds.${scope}`,
          name: r.expr,
          output: `${scope}: ${r.expr}: ${observed}`,
          ...(r.ok ? {} : { failure: { message: `${r.expr} failed in ${scope}: ${observed}`, type: 'threshold' } }),
        };
      }),
    },
  ]);
}

function fmt(r: CompareResult, v: number | undefined): string {
  if (v === undefined) return 'none';
  if (r.kind === 'rate') return `${(v * 100).toFixed(2)}%`;
  if (r.kind === 'latency') return formatDuration(v);
  return num(v);
}

/** One testsuite per scope, one testcase per metric; regressions and missing values fail. */
export function compareToJunit(results: readonly CompareResult[], suitePrefix = 'limitprobe compare'): string {
  const scopes = [...new Set(results.map((r) => r.scope))];
  return junitXml(
    scopes.map((scope) => ({
      name: `${suitePrefix}: ${scope}`,
      cases: results
        .filter((r) => r.scope === scope)
        .map((r): JunitCase => {
          const line = `${r.metric}: baseline ${fmt(r, r.baseline)}, current ${fmt(r, r.current)}${r.deltaPct !== undefined ? ` (${r.deltaPct >= 0 ? '+' : ''}${r.deltaPct.toFixed(1)}%)` : ''}, tolerance ${r.tolerance}: ${r.verdict}`;
          return {
            classname: `compare.${scope}`,
            name: r.metric,
            output: line,
            ...(isFailure(r) ? { failure: { message: line, type: r.verdict } } : {}),
            ...(r.verdict === 'ignored' ? { skipped: 'tolerance off' } : {}),
          };
        }),
    })),
  );
}
