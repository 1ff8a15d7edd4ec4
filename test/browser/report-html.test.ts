/**
 * report.html in a real browser: headless Chromium (Debian's `chromium`, installed by
 * .ci/install-chromium) driven by playwright-core. A short real run against the embedded mock
 * (via the built CLI) provides the data; the page must draw every chart (canvases of non-zero
 * size with non-blank pixels), log no console error, load nothing from the network, and keep
 * markup in run data inert. A full-page screenshot is saved to test-results/report-html.png.
 * A policy matrix (three policies, virtual time) gets the same checks for its comparison page
 * (test-results/report-html-matrix.png).
 *
 * Without Chromium the test fails on CI (CI set) and is skipped, with the reason, elsewhere.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeHtmlReport } from '../../src/report/html/index.js';
import { runMatrix } from '../../src/run-matrix.js';
import { parseScenario } from '../../src/scenario/index.js';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => !!p);
const executable = CANDIDATES.find((p) => existsSync(p));
const onCi = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const MISSING = `Chromium not found (looked at ${CANDIDATES.join(', ')}): install it with .ci/install-chromium (apt-get install chromium) or set CHROMIUM_PATH`;

const SCENARIO = `
name: browser-check
seed: 7
description: "XSS probe <script>window.__xss=1</script>"
target:
  kind: mock
  profile: qwen2
  model: qwen2-7b-instruct
  limits: { rpm: 120, tpm: 60000 }
  latency: { ttftMs: 40, tokensPerSecond: 800 }
request:
  promptTokens: { dist: uniform, min: 100, max: 300 }
  maxTokens: 32
  stream: true
maxInFlight: 64
thresholds:
  - p95(response_time_ms) < 60000
  - "phase=within: rate(ok) > 0.5"
  - rate(rate_limited) < 0.01
phases:
  - name: within
    duration: 2s
    arrival: { type: constant, rate: 5 }
  - name: "flood <img src=x onerror=\\"window.__xss=2\\">"
    duration: 2s
    arrival: { type: constant, rate: 60 }
    request: { promptTokens: 20, maxTokens: 4, stream: false }
  - name: token-flood
    duration: 2s
    arrival: { type: constant, rate: 4 }
    request: { promptTokens: 6000, maxTokens: 64 }
`;

/** Every chart canvas on the page: its size, inked pixels (not white/transparent) and distinct colours. */
async function inkedCanvases(page: Page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('.chart canvas')].map((c) => {
      const canvas = c as HTMLCanvasElement;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let inked = 0;
      const colours = new Set<string>();
      for (let i = 0; i < data.length; i += 4 * 7) {
        if (data[i + 3]! > 0 && !(data[i]! > 245 && data[i + 1]! > 245 && data[i + 2]! > 245)) {
          inked++;
          colours.add(`${data[i]! >> 4},${data[i + 1]! >> 4},${data[i + 2]! >> 4}`);
        }
      }
      return { id: canvas.closest('.chart')!.id, width: canvas.width, height: canvas.height, inked, colours: colours.size };
    }),
  );
}

/** A new page that collects console errors/warnings, page errors and every request. */
async function watchedPage(browser: Browser) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  return { page, problems, requests };
}

function skipWithoutChromium(ctx: { skip: (note?: string) => void }): boolean {
  if (executable) return false;
  if (onCi) throw new Error(`${MISSING} — required on CI`);
  console.warn(`skipped: ${MISSING}`);
  ctx.skip(MISSING);
  return true;
}

describe('report.html in headless Chromium', () => {
  let browser: Browser | undefined;
  let reportPath = '';

  beforeAll(async () => {
    if (!executable) return;
    const dir = tempDir('limitprobe-browser-');
    writeFileSync(join(dir, 'scenario.yaml'), SCENARIO);
    const out = join(dir, 'run');
    const r = await runCli(['run', join(dir, 'scenario.yaml'), '--out', out, '--quiet']);
    // 99: a threshold failed (by design: rate(rate_limited) < 0.01 against a flood)
    if (r.code !== 99) throw new Error(`limitprobe run: expected exit 99 (a failed threshold), got ${r.code}: ${r.stderr}`);
    reportPath = await writeHtmlReport(out); // the current source's renderer, whatever dist has
    browser = await chromium.launch({ executablePath: executable, args: ['--no-sandbox', '--disable-gpu'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('draws every chart, logs no error, loads nothing, keeps run data inert; screenshot saved', async (ctx) => {
    if (skipWithoutChromium(ctx)) return;
    const { page, problems, requests } = await watchedPage(browser!);

    const url = pathToFileURL(reportPath).href;
    await page.goto(url);
    await page.waitForSelector('html[data-charts-drawn]', { timeout: 15_000 });

    expect(await page.title()).toBe('limitprobe — browser-check');
    const drawn = Number(await page.getAttribute('html', 'data-charts-drawn'));
    // requests, tokens, in-flight, latency over time + latency/response/TTFT/ITL percentiles
    expect(drawn).toBe(8);

    const canvases = await inkedCanvases(page);
    expect(canvases.map((c) => c.id).sort()).toEqual(
      ['chart-requests', 'chart-tokens', 'chart-inflight', 'chart-latency-time', 'chart-pctl-latency_ms', 'chart-pctl-response_time_ms', 'chart-pctl-ttft_ms', 'chart-pctl-itl_ms'].sort(),
    );
    for (const c of canvases) {
      expect(c.width, c.id).toBeGreaterThan(200);
      expect(c.height, c.id).toBeGreaterThan(100);
      expect(c.inked, `${c.id}: blank canvas`).toBeGreaterThan(200);
      expect(c.colours, `${c.id}: only axes drawn`).toBeGreaterThanOrEqual(3);
    }

    // the requests chart carries the RPM limit line (120/min = 2/s) in its legend
    expect(await page.textContent('#chart-requests .u-legend')).toContain('RPM limit 120/min = 2.00/s');
    expect(await page.textContent('#chart-tokens .u-legend')).toContain('TPM limit 60,000/min');

    // markup in the run's data is text, not elements
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.textContent('header')).toContain('XSS probe <script>window.__xss=1</script>');
    expect(await page.textContent('#summary table')).toContain('flood <img src=x onerror="window.__xss=2">');

    // thresholds: the banner names the failed one, the section highlights it
    expect(await page.textContent('#threshold-banner')).toContain('1 of 3 thresholds failed: rate(rate_limited) < 0.01');
    expect(await page.locator('#thresholds tr.fail').count()).toBe(1);
    expect(await page.locator('#thresholds tr.pass').count()).toBe(2);
    expect(await page.textContent('#thresholds tr.fail')).toContain('FAIL');
    const failBg = await page.evaluate(() => getComputedStyle(document.querySelector('#thresholds tr.fail td')!).backgroundColor);
    expect(failBg).not.toBe('rgba(0, 0, 0, 0)');
    // the referee's per-tenant table
    expect(await page.locator('#referee table.ledger tbody tr').count()).toBeGreaterThan(0);

    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);

    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results/report-html.png'), fullPage: true });
    await page.close();
  }, 60_000);
});

describe('policy matrix report.html in headless Chromium', () => {
  let browser: Browser | undefined;
  let out = '';

  beforeAll(async () => {
    if (!executable) return;
    // the same seeded workload under three policies, in virtual time against the mock's core
    const s = parseScenario({
      name: 'matrix-check', // names are restricted to [A-Za-z0-9._-]: escaping is unit-tested
      seed: 5,
      target: { kind: 'mock', profile: 'qwen2', model: 'qwen2-7b-instruct', limits: { rpm: 60, tpm: 1_000_000 }, latency: { ttftMs: 20, tokensPerSecond: 2000 } },
      request: { promptTokens: 50, maxTokens: 8 },
      maxInFlight: 200,
      // 90 at once against 60/min: 429s, which the policies handle differently
      phases: [{ name: 'burst', requests: 90, arrival: { type: 'constant', rate: 90 } }],
      thresholds: ['count(ok) > 1000'], // 90 requests: fails for every policy
      matrix: ['retry-after', 'naive', { name: 'mine', retry: { preset: 'retry-after', retryAfter: { honor: true, capMs: 60000 } } }],
    });
    out = join(tempDir('limitprobe-browser-matrix-'), 'matrix');
    await runMatrix(s, undefined, { outDir: out, mode: 'sim' });
    await writeHtmlReport(out);
    browser = await chromium.launch({ executablePath: executable, args: ['--no-sandbox', '--disable-gpu'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('ranks the policies, draws the comparison bars, links each policy report; no errors; screenshot saved', async (ctx) => {
    if (skipWithoutChromium(ctx)) return;
    const { page, problems, requests } = await watchedPage(browser!);
    const url = pathToFileURL(join(out, 'report.html')).href;
    await page.goto(url);
    await page.waitForSelector('html[data-charts-drawn]', { timeout: 15_000 });

    expect(await page.title()).toBe('limitprobe — matrix-check — policy matrix');
    expect(Number(await page.getAttribute('html', 'data-charts-drawn'))).toBe(3);
    const canvases = await inkedCanvases(page);
    expect(canvases.map((c) => c.id)).toEqual(['chart-policy-attempts', 'chart-policy-makespan', 'chart-policy-429']);
    for (const c of canvases) {
      expect(c.width, c.id).toBeGreaterThan(200);
      expect(c.height, c.id).toBeGreaterThan(100);
      expect(c.inked, `${c.id}: blank canvas`).toBeGreaterThan(200);
      expect(c.colours, `${c.id}: only axes drawn`).toBeGreaterThanOrEqual(3);
    }

    // one ranked row per policy, each linking a report.html that exists
    const rows = page.locator('table.policies tbody tr');
    expect(await rows.count()).toBe(3);
    const hrefs = await page.locator('table.policies tbody a[href$="report.html"]').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(hrefs).toHaveLength(3);
    for (const h of hrefs) expect(existsSync(fileURLToPath(h)), h).toBe(true);
    expect(await page.textContent('table.policies')).toContain('mine');
    // group rows fold; opening one shows its table
    const first = page.locator('details.policy').first();
    expect(await first.locator('table.policy-groups').isVisible()).toBe(false);
    await first.locator(':scope > summary').click();
    expect(await first.locator('table.policy-groups').isVisible()).toBe(true);

    // the failed threshold shows in the banner
    expect(await page.textContent('#threshold-banner')).toContain('Thresholds failed');
    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);

    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results/report-html-matrix.png'), fullPage: true });
    await page.close();
  }, 60_000);
});
