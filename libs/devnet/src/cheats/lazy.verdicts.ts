import type { ModelRuntime } from '@aegis/model';
import { grindPow, type NodeKey, signVerdict, VerdictKind } from '@aegis/protocol';
import type { MadeVerdict, VerdictMaker, VerdictMakerFactory, VerificationWork } from '@aegis/services/verifier';

/**
 * lazy-verifier: ACCEPT without running the model, with a PoW whose values are invented (cheap to
 * grind; the PoW checker's audit replays the walk on real hidden states and catches it).
 */
export function lazyVerdicts(random: () => number = Math.random): VerdictMakerFactory {
  return (runtime: ModelRuntime): VerdictMaker => ({
    verdicts: async (work: VerificationWork, keys: readonly NodeKey[]): Promise<MadeVerdict[]> => {
      const d = runtime.descriptor;
      const shape = {
        layers: d.layers,
        positions: Math.max(1, work.spec.promptTokens.length + work.signed.result.tokens.length - 1),
        hidden: d.hidden,
      };
      return keys.map((key) => {
        const solution = grindPow(
          key.address,
          work.signed.digest,
          shape,
          d.pow.positions,
          d.pow.difficultyBits,
          () => Math.floor(random() * 2 ** 16) - 2 ** 15,
        );
        const verdict = signVerdict(
          {
            submissionDigest: work.signed.digest,
            verifier: key.address,
            kind: VerdictKind.ACCEPT,
            nonce: solution.nonce,
            values: solution.values,
          },
          key,
        );
        return { verdict, reason: '' };
      });
    },
  });
}
