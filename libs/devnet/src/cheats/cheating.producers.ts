import { generate, type ModelRuntime, type RunnerOptions } from '@aegis/model';
import { NodeKey, taskHash, toHex } from '@aegis/protocol';
import type { ResultProducer, ResultProducerFactory } from '@aegis/services/inference-worker';
import type { ResultCheat } from './cheat.behaviors';
import { otherModelRuntime } from './other-model.runtime';
import { alterTokens, claimAsOwn, fabricateProbes } from './result.tampering';

/**
 * A worker that cheats in one way. Every result is still signed by the node's key: what catches
 * it is verification, never the signature check.
 */
export function cheatingProducer(behavior: ResultCheat, random: () => number = Math.random): ResultProducerFactory {
  return async (runtime: ModelRuntime, runner: RunnerOptions): Promise<ResultProducer> => {
    switch (behavior) {
      case 'other-model': {
        const other = await otherModelRuntime(runtime, runner);
        return { behavior, produce: async (spec, key) => (await generate(other, spec, key)).signed };
      }
      case 'wrong-tokens':
        return {
          behavior,
          produce: async (spec, key) =>
            alterTokens((await generate(runtime, spec, key)).signed, key, runtime.descriptor.vocabSize, spec.stopTokens),
        };
      case 'fabricate-probes':
        return { behavior, produce: async (spec, key) => fabricateProbes((await generate(runtime, spec, key)).signed, key, random) };
      case 'copy':
        return {
          behavior,
          // Another node's honest output for this task (its seed, its probes), claimed as ours.
          produce: async (spec, key) =>
            claimAsOwn(
              (await generate(runtime, spec, NodeKey.fromHex(toHex(taskHash({ ...spec, modelId: 'aegis-copy-donor' }))))).signed,
              key,
            ),
        };
      default: {
        const unreachable: never = behavior;
        throw new Error(`unknown behavior ${String(unreachable)}`);
      }
    }
  };
}
