import type { ModelRuntime } from '@aegis/model';
import type { NodeKey } from '@aegis/protocol';
import type { Behavior } from './worker.behavior';

export interface InferenceWorkerOptions {
  /** The node identities this process runs (AEGIS_NODE_KEY_FILE); at least one. */
  readonly keys: readonly NodeKey[];
  readonly runtime: ModelRuntime;
  readonly behavior: Behavior;
  /** The perturbed-weights variant, required when behavior is other-model. */
  readonly otherRuntime?: ModelRuntime;
  /** Stable per replica: names this process's own consumer groups. */
  readonly instanceId: string;
  /** How often the stake view is re-read to leave or rejoin the task group (1000 ms; tests shorten it). */
  readonly keyCheckIntervalMs?: number;
  /** Seeds fabricate-probes; Math.random when absent. */
  readonly random?: () => number;
}
