/** Public API: re-exports only. */
export { runScenario, type RunOptions, type RunResult } from './run.js';
export { loadScenario, parseScenario, applyOverrides, resolveSecrets, type Scenario, type Overrides } from './scenario/index.js';
export { buildPlan, type Plan } from './plan/plan.js';
export { LimitprobeError, ConfigError, MissingSecretError, TargetUnreachableError, isConfigError, type Issue } from './errors.js';
export { RealClock, VirtualClock, type Clock } from './clock.js';
export { OUTCOMES, type AttemptRecord, type Outcome } from './metrics/record.js';
export { classify, type Dialect } from './metrics/classify.js';
export { formatSummaryTable } from './report/console.js';
export type { Summary } from './metrics/summary.js';
export type { RunEvent } from './exec/ports.js';
export {
  parseThresholds,
  evaluateThresholds,
  ThresholdMonitor,
  thresholdPercentiles,
  thresholdsNeedGroupRows,
  formatScope,
  type ThresholdSpec,
  type Threshold,
  type ThresholdResult,
} from './metrics/thresholds.js';
export { formatThresholdResults } from './report/console.js';
export { runFlood, type FloodOptions, type FloodResult } from './client/autocannon-flood.js';
export { writeHtmlReport, renderHtmlReport } from './report/html/index.js';
export { readRun, readRunSummaries } from './report/read-run.js';
export {
  compareRuns,
  compareSummaries,
  formatCompareTable,
  parseTolerance,
  DEFAULT_TOLERANCES,
  type CompareResult,
  type CompareReport,
} from './report/compare.js';
export { compareToJunit, thresholdsToJunit, type ThresholdResultLike } from './report/junit.js';
export { formatPlan, parseSlos, planCapacity, PARAM_NAMES, PARAMS, writePlanCsv, type ParamName, type SearchMode } from './capacity/index.js';
export {
  runProbe,
  probeHttp,
  probeSimulated,
  planText,
  profileYaml,
  limitsJson,
  writeLimitsJson,
  openProbeCsv,
  ONLY_GROUPS,
  type ProbeOptions,
  type ProbeResult,
  type OnlyGroup,
  type Prices,
  type LimitFinding,
} from './probe/index.js';
export { runMatrix, type MatrixEntry, type MatrixResult } from './run-matrix.js';
export { mergeRuns, type MergeResult, type MergeOptions } from './shard/merge.js';
export { parseShardSpec, formatShard, type ShardSpec } from './shard/spec.js';
export { applyShard, type ShardedPlan } from './shard/plan.js';
export { ShardRun, type ShardRunOptions } from './shard/run.js';
export type { ShardManifest } from './shard/manifest.js';
