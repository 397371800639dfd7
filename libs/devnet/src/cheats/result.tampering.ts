import { type NodeKey, type SignedResult, signResult } from '@aegis/protocol';

/**
 * The result-side misbehaviours, applied to an honest generation and re-signed, so every one of
 * them carries a valid signature: what catches them is verification, never the signature check.
 */

/** wrong-tokens: one generated token replaced by another id that is neither a stop token nor the original. */
export function alterTokens(signed: SignedResult, key: NodeKey, vocabSize: number, stopTokens: readonly number[]): SignedResult {
  const tokens = [...signed.result.tokens];
  // The middle step: altering the last one could turn a stop token into a non-stop one (a shape error, not a token error).
  const at = Math.floor((tokens.length - 1) / 2);
  const stops = new Set(stopTokens);
  let replacement = ((tokens[at] as number) + 1) % vocabSize;
  while (stops.has(replacement) || replacement === tokens[at]) replacement = (replacement + 1) % vocabSize;
  tokens[at] = replacement;
  return signResult({ ...signed.result, tokens }, key);
}

/** fabricate-probes: the honest tokens with probe values that never came from the model. */
export function fabricateProbes(signed: SignedResult, key: NodeKey, random: () => number): SignedResult {
  const probes = signed.result.probes.map((p) => ({ ...p, value: Math.floor(random() * 2 ** 20) - 2 ** 19 }));
  return signResult({ ...signed.result, probes }, key);
}

/** copy: another node's output and probes, claimed as this node's own. */
export function claimAsOwn(other: SignedResult, key: NodeKey): SignedResult {
  return signResult({ ...other.result, node: key.address }, key);
}
