/**
 * report.html for a run directory: read the run's files (summary.csv required; timeseries.csv,
 * requests.csv, scenario.resolved.json, mock-state.json, referee.csv and thresholds.json when
 * present) and write one self-contained page next to them. For a policy matrix's directory
 * (policies.csv), the page compares the policies.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMatrixDir, readMatrix, readRun, RUN_FILES } from '../read-run.js';
import { renderMatrixReport } from './matrix.js';
import { renderHtmlReport } from './render.js';

export { renderHtmlReport, loadUplotAssets, configuredLimits, scenarioPhases, runPhases, refereeFindings, esc, safeJson, thresholdBanner, abortingThresholds } from './render.js';
export { renderMatrixReport, rankPolicyRows, policyReportHref } from './matrix.js';
export type { MatrixReportInput } from './matrix.js';
export type { HtmlReportInput, HtmlAssets, ReportLimits, ReportPhase } from './render.js';

/**
 * Writes DIR/report.html from the files in DIR; returns its path. DIR is a run directory, or a
 * policy matrix's output directory (policies.csv and one run directory per policy: the page
 * then ranks the policies and links each policy's own report.html — write those first).
 */
export async function writeHtmlReport(dir: string): Promise<string> {
  const path = join(dir, RUN_FILES.html);
  if (isMatrixDir(dir)) {
    await writeFile(path, renderMatrixReport(await readMatrix(dir)));
    return path;
  }
  const run = await readRun(dir);
  await writeFile(path, renderHtmlReport(run));
  return path;
}
