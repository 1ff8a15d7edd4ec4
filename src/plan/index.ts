export { buildPlan, DEFAULT_GROUP, type BuildPlanOptions, type Plan, type PhasePlan } from './plan.js';
export { arrivalSchedule, type Schedule, type ScheduleWindow } from './arrivals.js';
export { nominalMean, sample } from './distributions.js';
export { createRng, hashSeed, type Rng } from './rng.js';
