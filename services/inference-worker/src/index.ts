// The inference worker as a composable unit for the devnet and tests.
export { InferenceWorkerModule, type InferenceWorkerModuleOptions } from './inference-worker.module';
export { InferenceService, type TaskOutcome } from './inference/inference.service';
export { TaskIntake, DEFAULT_KEY_CHECK_INTERVAL_MS } from './inference/task.intake';
export { WorkerMetrics } from './worker.metrics';
export { WorkerError, WorkerErrorCode } from './worker.errors';
export { otherModelRuntime, OTHER_MODEL_NOISE } from './inference/other-model.runtime';
export type { InferenceWorkerOptions } from './worker.options';
export { BEHAVIORS, type Behavior, parseBehavior } from './worker.behavior';
export { readNodeKeys, workerEnvSchema } from './worker.env';
