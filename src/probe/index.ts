/** The probe's public surface (re-exported from src/index.ts). */
export { runProbe, ALL_GROUPS, type ProbeOptions, type ProbeResult } from './probe.js';
export { probeHttp, preflight, type HttpProbeOptions } from './http.js';
export { probeSimulated, withoutHeaders, type SimProbeOptions } from './sim.js';
export { Budget, worstCaseUsd } from './budget.js';
export { planText, profileYaml, limitsJson, writeLimitsJson, openProbeCsv, PROBE_COLUMNS } from './output.js';
export { ONLY_GROUPS, LIMIT_NAMES, type LimitFinding, type OnlyGroup, type Prices, type Stage, type StageSummary, type Method } from './types.js';
