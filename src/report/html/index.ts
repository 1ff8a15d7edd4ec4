/**
 * report.html for a run directory: read the run's files (summary.csv required; timeseries.csv,
 * requests.csv, scenario.resolved.json and mock-state.json when present) and write one
 * self-contained page next to them.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readRun, RUN_FILES } from '../read-run.js';
import { renderHtmlReport } from './render.js';

export { renderHtmlReport, loadUplotAssets, configuredLimits, scenarioPhases, runPhases, refereeFindings, esc, safeJson } from './render.js';
export type { HtmlReportInput, HtmlAssets, ReportLimits, ReportPhase } from './render.js';

/** Writes DIR/report.html from the run's files in DIR; returns its path. */
export async function writeHtmlReport(dir: string): Promise<string> {
  const run = await readRun(dir);
  const path = join(dir, RUN_FILES.html);
  await writeFile(path, renderHtmlReport(run));
  return path;
}
