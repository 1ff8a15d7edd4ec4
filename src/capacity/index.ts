/** Capacity planning in virtual time: `planCapacity` and what it is made of. */
export { planCapacity, bindingOf, type PlanOptions, type PlanPoint, type PlanResult, type Binding } from './planner.js';
export { parseSlos, type SloSet, type SloVerdict } from './slo.js';
export { PARAMS, PARAM_NAMES, applyParam, selectPhases, type ParamName, type ApplyOptions } from './params.js';
export { searchLargestPassing, type SearchMode, type SearchOptions, type SearchResult, type Tried } from './search.js';
export { runSimulated, type SimRunOptions, type SimRunResult } from './sim-run.js';
export { leanPlan } from './lean-plan.js';
export { writePlanCsv, formatPlan, planColumns } from './report.js';
