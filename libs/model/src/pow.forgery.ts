import {
  meetsDifficulty,
  type NodeKey,
  powChainNext,
  powChainStart,
  powReadPosition,
  type ProbePosition,
  type ProbeShape,
  type SignedResult,
  type SignedVerdict,
  signVerdict,
  VerdictKind,
} from '@aegis/protocol';
import type { ModelDescriptor } from './model.descriptor';
import type { TeacherForcedPass } from './teacher-forced.pass';

/** The PoW grinding strategies the audit tries (docs/protocol.md, "What a proof costs"). */
export const POW_GRIND_CLASSES = ['pow-grind-prompt-only', 'pow-grind-skip-last-block', 'pow-grind-prefix-cache'] as const;
export type PowGrindClass = (typeof POW_GRIND_CLASSES)[number];

/**
 * Which cells a lazy verifier's partial pass holds: over the prompt only (causal, so those cells
 * equal the full pass's), every block but the last except at the last position (what read 0 needs,
 * with no logits computed), or a cached prefix of every position but the last.
 */
export function partialPassCovers(cls: PowGrindClass, shape: ProbeShape, promptLength: number): (p: ProbePosition) => boolean {
  switch (cls) {
    case 'pow-grind-prompt-only':
      return (p) => p.position < promptLength;
    case 'pow-grind-skip-last-block':
      return (p) => p.layer < shape.layers - 1 || p.position === shape.positions - 1;
    case 'pow-grind-prefix-cache':
      return (p) => p.position < shape.positions - 1;
  }
}

export interface ForgedPow {
  verdict: SignedVerdict;
  /** Nonces walked before giving up or finding a walk inside the partial pass. */
  tries: number;
  /** The proof came from held values only (a walk that never left the partial pass). */
  fromHeldValues: boolean;
}

/**
 * A lazy verifier's best try with a partial pass: walk nonces reading held cells (from `pass`,
 * equal there to what the partial pass computes), abandon a walk at its first cell not held, and
 * keep the first complete walk meeting the target, up to `budget` nonces. With none, it invents the
 * missing values (the one cheap way left) and grinds on. Both are ACCEPT verdicts for `submission`.
 */
export function forgePowWithPartialPass(
  descriptor: ModelDescriptor,
  pass: TeacherForcedPass,
  submission: SignedResult,
  key: NodeKey,
  covers: (p: ProbePosition) => boolean,
  budget: number,
  invent: () => number,
): ForgedPow {
  const shape = pass.shape(descriptor.layers);
  const count = descriptor.pow.positions;
  const bits = descriptor.pow.difficultyBits;
  const sign = (nonce: bigint, values: number[]): SignedVerdict =>
    signVerdict({ submissionDigest: submission.digest, verifier: key.address, kind: VerdictKind.ACCEPT, nonce, values }, key);
  let nonce = 0n;
  for (; nonce < BigInt(budget); nonce++) {
    let c = powChainStart(key.address, submission.digest, nonce);
    const values: number[] = [];
    for (let i = 0; i < count; i++) {
      const p = powReadPosition(c, i, shape);
      if (!covers(p)) break;
      const v = pass.valueAt(p);
      values.push(v);
      c = powChainNext(c, v);
    }
    if (values.length === count && meetsDifficulty(c, bits))
      return { verdict: sign(nonce, values), tries: Number(nonce) + 1, fromHeldValues: true };
  }
  for (; ; nonce++) {
    let c = powChainStart(key.address, submission.digest, nonce);
    const values: number[] = [];
    let invented = false;
    for (let i = 0; i < count; i++) {
      const p = powReadPosition(c, i, shape);
      const held = covers(p);
      invented ||= !held;
      const v = held ? pass.valueAt(p) : invent();
      values.push(v);
      c = powChainNext(c, v);
    }
    if (meetsDifficulty(c, bits)) return { verdict: sign(nonce, values), tries: Number(nonce) + 1, fromHeldValues: !invented };
  }
}
