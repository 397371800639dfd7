import type { ModelRuntime } from '@aegis/model';
import type { Address, NodeKey } from '@aegis/protocol';
import type { VerdictMaker } from './verification/verdict.maker';

export interface VerifierOptions {
  /** The node identities this process verifies as (AEGIS_NODE_KEY_FILE). */
  readonly keys: readonly NodeKey[];
  readonly runtime: ModelRuntime;
  /** How verdicts are made: teacher-forced verification on `runtime` when absent. */
  readonly verdictMaker?: VerdictMaker;
  /** Stable per replica: this process's consumer group is its own (every verifier sees every submission). */
  readonly instanceId: string;
  /**
   * The control plane's address (AEGIS_CONTROL_ADDRESS): a Submission whose beacon it did not sign
   * is dead-lettered. Required by main.ts; optional here only for harnesses that predate it.
   */
  readonly controlAddress?: Address;
}
