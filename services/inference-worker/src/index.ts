// The inference worker as a package: its factory, and the port a result producer plugs into.
export { start, type WorkerLaunch, type RunningWorker } from './start';
export { asliResultProducer, type ResultProducer, type ResultProducerFactory } from './inference/result.producer';
export { workerEnvSchema } from './worker.env';
export { WorkerError, WorkerErrorCode } from './worker.errors';
