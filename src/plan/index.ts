export {
  buildPlan,
  DEFAULT_GROUP,
  meanCost,
  splitWorkers,
  targetRate,
  type BuildPlanOptions,
  type GroupPhasePlan,
  type Plan,
  type PhasePlan,
  type PlanGroup,
  type RequestSlot,
  type Slot,
} from './plan.js';
export { arrivalSchedule, processSchedule, toProcess, type Process, type Schedule, type ScheduleWindow } from './arrivals.js';
export { cumulative, inverseCursor, type Intensity, type Segment } from './intensity.js';
export { exactMean, expectation, nominalMean, normalCdf, sample, sampleMs } from './distributions.js';
export { sampleGamma } from './gamma.js';
export { createConversations, expectedConversationPrompt, type Turn } from './conversation.js';
export { createRng, hashSeed, type Rng } from './rng.js';
