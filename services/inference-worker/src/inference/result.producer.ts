import { generate, type ModelRuntime, type RunnerOptions } from '@aegis/model';
import type { NodeKey, SignedResult, TaskSpec } from '@aegis/protocol';

/**
 * What turns a task into a signed result. The worker ships one implementation, ASLI generation
 * (`asliResultProducer`); this port is where the devnet and the tests plug in misbehaving nodes
 * (libs/devnet/src/cheats), so the production service has no behaviour switch.
 */
export interface ResultProducer {
  /** The `behavior` label of aegis_worker_tasks_generated_total: `honest` for ASLI generation. */
  readonly behavior: string;
  produce(spec: TaskSpec, key: NodeKey): Promise<SignedResult>;
}

/** Builds the producer once the service has opened its model (with the runner options it used). */
export type ResultProducerFactory = (runtime: ModelRuntime, runner: RunnerOptions) => Promise<ResultProducer>;

/** The honest node: ASLI generation on the served model, signed by the node key. */
export function asliResultProducer(runtime: ModelRuntime): ResultProducer {
  return { behavior: 'honest', produce: async (spec, key) => (await generate(runtime, spec, key)).signed };
}
