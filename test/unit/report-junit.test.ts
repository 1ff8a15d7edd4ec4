import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { ThresholdResult } from '../../src/metrics/thresholds.js';
import type { CompareResult } from '../../src/report/compare.js';
import { compareToJunit, junitXml, thresholdsToJunit, xmlEscape, type ThresholdResultLike } from '../../src/report/junit.js';

// the evaluator's results are accepted as they are (a compile-time check)
const evaluatorResults: ThresholdResult[] = [];
const accepted: readonly ThresholdResultLike[] = evaluatorResults;

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', htmlEntities: true, isArray: (name) => ['testsuite', 'testcase'].includes(name) });

function parse(xml: string): any {
  expect(XMLValidator.validate(xml)).toBe(true);
  return parser.parse(xml);
}

describe('JUnit XML', () => {
  it('thresholds: one testcase each, failures with the observed value', () => {
    const xml = thresholdsToJunit([
      { expr: 'p95(response_time_ms) < 2000', scope: 'total', observed: 812.25, ok: true },
      { expr: 'rate(rate_limited) < 0.05', scope: 'phase=flood', observed: 0.1234567, ok: false },
      { expr: 'count(server_error) == 0', scope: 'total', observed: undefined, ok: false },
    ]);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    const doc = parse(xml);
    expect(doc.testsuites).toMatchObject({ name: 'limitprobe', tests: '3', failures: '2', errors: '0', skipped: '0' });
    const suite = doc.testsuites.testsuite[0];
    expect(suite).toMatchObject({ name: 'limitprobe thresholds', tests: '3', failures: '2' });
    const [a, b, c] = suite.testcase;
    expect(a).toMatchObject({ classname: 'thresholds.total', name: 'p95(response_time_ms) < 2000' });
    expect(a.failure).toBeUndefined();
    expect(a['system-out']).toBe('total: p95(response_time_ms) < 2000: observed 812.25');
    expect(b.name).toBe('rate(rate_limited) < 0.05'); // "<" escaped and read back
    expect(b.failure).toMatchObject({ type: 'threshold', message: 'rate(rate_limited) < 0.05 failed in phase=flood: observed 0.123457' });
    expect(c.failure.message).toBe('count(server_error) == 0 failed in total: no data');
  });

  it("takes the evaluator's own results: scope objects and the no-data note", () => {
    const xml = thresholdsToJunit([
      { expr: 'phase=steady,group=a: rate(ok) > 0.9', scope: { phase: 'steady', group: 'a' }, observed: 0.5, ok: false },
      { expr: 'p99(ttft_ms) < 800', scope: { phase: 'total', group: '*' }, observed: undefined, ok: false, note: 'no ok streaming attempt' },
    ]);
    const [a, b] = parse(xml).testsuites.testsuite[0].testcase;
    expect(a).toMatchObject({ classname: 'thresholds.phase=steady,group=a' });
    expect(a.failure.message).toBe('phase=steady,group=a: rate(ok) > 0.9 failed in phase=steady,group=a: observed 0.5');
    expect(b.failure.message).toBe('p99(ttft_ms) < 800 failed in total: no data (no ok streaming attempt)');
  });

  it('escapes markup, quotes and characters XML cannot carry', () => {
    const nasty = `<script>alert("x")</script> & 'q' \u0001\u001f tab\tnewline\nend \uD800`;
    expect(xmlEscape(nasty)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;q&apos;  tab\tnewline\nend ');
    const xml = thresholdsToJunit([{ expr: nasty, scope: `phase=${nasty}`, observed: 1, ok: false }]);
    const tc = parse(xml).testsuites.testsuite[0].testcase[0];
    expect(tc.name).toBe(`<script>alert("x")</script> & 'q'  tab\tnewline\nend`); // (the parser trims)
    expect(tc.failure.message).toContain('\tnewline\n'); // kept through attribute normalisation as &#9; and &#10;
    expect(xml).not.toContain('<script>');
  });

  it('comparisons: a suite per scope, regressions and missing values fail, ignored ones are skipped', () => {
    const r = (scope: string, metric: string, verdict: CompareResult['verdict'], kind: CompareResult['kind'] = 'latency'): CompareResult => ({
      scope, metric, kind, baseline: 100, current: 130, delta: 30, deltaPct: 30, tolerance: '+10%,5ms', verdict,
    });
    const xml = compareToJunit([
      r('steady', 'p95(latency_ms)', 'regression'),
      r('steady', 'p50(latency_ms)', 'pass'),
      r('total', 'p95(latency_ms)', 'ignored'),
      r('total', 'rate(ok)', 'missing', 'rate'),
    ]);
    const doc = parse(xml);
    expect(doc.testsuites).toMatchObject({ tests: '4', failures: '2', skipped: '1' });
    const [steady, total] = doc.testsuites.testsuite;
    expect(steady).toMatchObject({ name: 'limitprobe compare: steady', tests: '2', failures: '1' });
    expect(steady.testcase[0].failure).toMatchObject({
      type: 'regression',
      message: 'p95(latency_ms): baseline 100ms, current 130ms (+30.0%), tolerance +10%,5ms: regression',
    });
    expect(steady.testcase[1].failure).toBeUndefined();
    expect(total.testcase[0].skipped).toMatchObject({ message: 'tolerance off' });
    expect(total.testcase[1].failure.message).toBe('rate(ok): baseline 10000.00%, current 13000.00% (+30.0%), tolerance +10%,5ms: missing');
  });

  it('an empty suite list is still a valid document', () => {
    expect(parse(thresholdsToJunit(accepted)).testsuites).toMatchObject({ tests: '0' });
    expect(parse(junitXml([])).testsuites).toMatchObject({ tests: '0', failures: '0' });
  });
});
