export { DEFAULTS, DIALECTS, defaultOutputDir, defaultPhaseName, type Dialect } from './defaults.js';
export type {
  Arrival,
  ArrivalType,
  Conversation,
  CrossProblem,
  Group,
  MsDist,
  RateTarget,
  ShapeProcess,
  HttpTarget,
  MockTarget,
  Phase,
  RequestSpec,
  Scenario,
  ScenarioInput,
  Target,
  TokenDist,
  ThresholdEntry,
} from './schema.js';
export { groupActiveIn, scenarioSchema } from './schema.js';
export { RETRY_PRESET_NAMES, type RetryConfig, type MatrixEntryConfig } from './retry-schema.js';
export type { ClientSettings } from './schema.js';
export { parseScenario } from './parse.js';
export { loadScenario, parseScenarioText, type ParseTextOptions } from './load.js';
export { readEmpiricalFiles } from './empirical.js';
export { applyOverrides, type Overrides } from './overrides.js';
export { resolveSecrets, type ResolvedSecrets } from './secrets.js';
export { resolvedForReport } from './redact.js';
export { scenarioJsonSchema, scenarioJsonSchemaText } from './json-schema.js';
export { toInput } from './to-input.js';
export { formatPath, parsePath, type PathSegment } from './paths.js';
export type { SourceFormat } from './source-text.js';
