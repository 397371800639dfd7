import type { ModelRuntime } from '@aegis/model';
import type { NodeKey } from '@aegis/protocol';

export type VerifierBehavior = 'honest' | 'lazy-verifier';

export interface VerifierOptions {
  /** The node identities this process verifies as (AEGIS_NODE_KEY_FILE). */
  readonly keys: readonly NodeKey[];
  readonly runtime: ModelRuntime;
  /** lazy-verifier: ACCEPT without running the model, with fabricated PoW values. */
  readonly behavior: VerifierBehavior;
  /** Stable per replica: this process's consumer group is its own (every verifier sees every submission). */
  readonly instanceId: string;
  readonly random?: () => number;
}
