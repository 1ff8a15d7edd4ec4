/**
 * The mock's pure core, for in-process use (the virtual-time simulator drives it directly):
 * MockCore (buckets, admission, counters), the transport-neutral routes, and the pieces.
 */
export { MockCore, createMockCore, type MockCoreOptions, type ChatAdmission, type Ticket, type ResolvedModel, type MockSettings } from './core.js';
export { chatCompletions, modelList, controlState, controlReset } from './chat.js';
export type { Reply, ReplyStream } from './reply.js';
export { admit, refundTokens, limitsView, DEFAULT_ADMISSION, type AdmissionDecision, type AdmissionInput, type AdmissionSettings, type ModelLimits } from './admission.js';
export { MemoryBucketStore, perMinute, levelAt, viewOf, check, debit, credit, take, type BucketSpec, type BucketState, type BucketStore, type BucketView, type TakeDecision } from './bucket.js';
export { planTiming, tokenDueMs, tokensDueBy, completionMs, INSTANT, type LatencyModel, type Timing } from './latency.js';
export { createScheduler, type Scheduler } from './scheduler.js';
export { REJECTION_CLASSES, type MockState, type ModelState, type RejectionClass } from './state.js';
export type { LimitsView, Dimension } from './dialect-openai.js';
