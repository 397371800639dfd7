import type { ModelRuntime } from '@aegis/model';
import type { NodeKey } from '@aegis/protocol';
import type { ResultProducer } from './inference/result.producer';

export interface InferenceWorkerOptions {
  /** The node identities this process runs (AEGIS_NODE_KEY_FILE); at least one. */
  readonly keys: readonly NodeKey[];
  /** The served model: tasks are validated against it. */
  readonly runtime: ModelRuntime;
  /** How results are made: ASLI generation on `runtime` when absent. */
  readonly producer?: ResultProducer;
  /** Stable per replica: names this process's own consumer groups. */
  readonly instanceId: string;
  /** How often the stake view is re-read to leave or rejoin the task group (1000 ms; tests shorten it). */
  readonly keyCheckIntervalMs?: number;
}
