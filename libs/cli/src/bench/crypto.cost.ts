import { keccak256, NodeKey, SignerCache, utf8, verifySignature } from '@aegis/protocol';

export interface Secp256k1Costs {
  /** One signature (NodeKey.sign: RFC 6979 nonce, low s, recovery id). */
  readonly signMs: number;
  /** One check of a known signer's signature (SignerCache, what ingress, ledger and tallier run). */
  readonly verifyKnownSignerMs: number;
  /** One check by public-key recovery (verifySignature: a signer seen for the first time). */
  readonly recoverMs: number;
}

/**
 * What the secp256k1 operations every task needs cost in this process, for the pipeline bench's
 * account of where CPU goes. Each figure is the median of `rounds` timed batches of `perRound`
 * operations over distinct digests, after a warm-up batch (JIT, precomputed tables).
 */
export function measureSecp256k1(rounds = 7, perRound = 30): Secp256k1Costs {
  const key = NodeKey.generate();
  const digests = Array.from({ length: perRound }, (_, i) => keccak256(utf8(`bench digest ${i}`)));
  const signatures = digests.map((d) => key.sign(d));
  const cache = new SignerCache();
  const timeEach = (op: (i: number) => unknown): number => {
    for (let i = 0; i < perRound; i++) op(i);
    const batches: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      for (let i = 0; i < perRound; i++) op(i);
      batches.push((performance.now() - t0) / perRound);
    }
    batches.sort((a, b) => a - b);
    return Math.round((batches[batches.length >> 1] as number) * 1000) / 1000;
  };
  const checked = (ok: boolean): void => {
    // A failing check would time the rejection path, not the one tasks take.
    if (!ok) throw new Error('measureSecp256k1: a valid signature did not verify');
  };
  return {
    signMs: timeEach((i) => key.sign(digests[i] as Uint8Array)),
    verifyKnownSignerMs: timeEach((i) => checked(cache.verify(digests[i] as Uint8Array, signatures[i] as Uint8Array, key.address))),
    recoverMs: timeEach((i) => checked(verifySignature(digests[i] as Uint8Array, signatures[i] as Uint8Array, key.address))),
  };
}
