// Cross-implementation test vectors: every expected value below was produced by the independent
// Python implementation in ../vectors/generate_vectors.py, not by this code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import asliVectors from '../vectors/asli.vectors.json';
import identityVectors from '../vectors/identity.vectors.json';
import powVectors from '../vectors/pow.vectors.json';
import probeVectors from '../vectors/probes.vectors.json';
import resultVectors from '../vectors/result.vectors.json';
import taskVectors from '../vectors/task.vectors.json';
import verdictVectors from '../vectors/verdict.vectors.json';
import { asliDistribution, sampleToken } from './asli.sampler';
import { asliProbePositions, finalProbePosition, probePositions, quantize, type ProbePosition } from './asli.probes';
import { asliSeed, stepRandom } from './asli.seed';
import { concatBytes, fromHex, toHex, u32be, utf8 } from './bytes';
import { disableFastKeccak, enableFastKeccak, keccak256 } from './hash';
import { addressFromPublicKey, NodeKey, recoverAddress, verifySignature } from './identity';
import { grindPow, meetsDifficulty, powHash, powPositions } from './pow';
import { encodeResult, resultDigest, signResult, verifySignedResult, type AsliResult } from './result.encoding';
import { encodeTask, taskHash, type TaskSpec } from './task.encoding';
import { encodeVerdict, signVerdict, verdictDigest, VerdictKind, verifySignedVerdict, type Verdict } from './verdict.encoding';

/** The reference's stand-in hidden state: int32 from keccak256("hidden" || u32 layer || u32 position || u32 index). */
function fakeHidden(p: ProbePosition): number {
  const h = keccak256(concatBytes(utf8('hidden'), u32be(p.layer), u32be(p.position), u32be(p.index)));
  return new DataView(h.buffer, h.byteOffset).getInt32(0, false);
}

function specOf(raw: (typeof taskVectors.tasks)[number]['spec']): TaskSpec {
  return { ...raw, nonce: BigInt(raw.nonce) };
}

// Both Keccak paths (the pure-JS reference and the WebAssembly fast path) must match the vectors.
describe.each(['noble', 'wasm'] as const)('test vectors (Python reference), keccak %s', (keccakPath) => {
  beforeAll(async () => {
    if (keccakPath === 'wasm') await enableFastKeccak();
  });
  afterAll(() => disableFastKeccak());

  it('returns a fresh digest per call (no aliasing of the hasher buffer)', () => {
    const a = keccak256(utf8('a'));
    const aHex = toHex(a);
    keccak256(utf8('b'));
    expect(toHex(a)).toBe(aHex);
  });

  describe('task', () => {
    it.each(taskVectors.tasks)('$name: encoding and hash', (v) => {
      expect(toHex(encodeTask(specOf(v.spec)))).toBe(v.encoding);
      expect(toHex(taskHash(specOf(v.spec)))).toBe(v.hash);
    });
  });

  describe('identity', () => {
    it.each(identityVectors.identities)('key $address', (v) => {
      const key = NodeKey.fromHex(v.privateKey);
      expect(key.address).toBe(v.address);
      expect(toHex(key.publicKey)).toBe(v.publicKey);
      expect(addressFromPublicKey(fromHex(v.publicKey))).toBe(v.address);
      const digest = fromHex(v.digest, 32);
      // RFC 6979 deterministic nonces on both sides: byte-identical signatures.
      expect(toHex(key.sign(digest))).toBe(v.signature);
      expect(recoverAddress(digest, fromHex(v.signature, 65))).toBe(v.address);
      expect(verifySignature(digest, fromHex(v.signature, 65), v.address)).toBe(true);
    });
  });

  describe('asli seed and step randoms', () => {
    it.each(asliVectors.seeds)('seed for $node', (v) => {
      const seed = asliSeed(v.node, fromHex(v.taskHash, 32));
      expect(toHex(seed)).toBe(v.seed);
      for (const s of v.steps) expect(stepRandom(seed, s.t)).toBe(BigInt(s.u));
    });
  });

  describe('asli distribution and sampling', () => {
    it.each(asliVectors.distributions)('$name', (v) => {
      const dist = asliDistribution(Float32Array.from(v.logits), v.topK, v.temperatureMilli);
      expect(Array.from(dist.tokens)).toEqual(v.tokens);
      expect(Array.from(dist.weights)).toEqual(v.weights);
      expect(dist.total).toBe(v.total);
      for (const s of v.samples) expect(sampleToken(dist, BigInt(s.u)), `u=${s.u}`).toBe(s.token);
    });
  });

  describe('probes', () => {
    it.each(probeVectors.probeSets)('positions for $shape.layers x $shape.positions x $shape.hidden', (v) => {
      expect(probePositions(fromHex(v.seed, 32), v.count, v.shape)).toEqual(v.positions);
      expect(finalProbePosition(fromHex(v.seed, 32), v.shape)).toEqual(v.final);
      expect(asliProbePositions(fromHex(v.seed, 32), v.count, v.shape)).toEqual([...v.positions, v.final]);
    });
    it.each(probeVectors.quantize)('quantize($h, $q) = $value', (v) => {
      expect(quantize(v.h, v.q)).toBe(v.value);
    });
  });

  describe('result', () => {
    it.each(resultVectors.results)('result by $result.node', (v) => {
      const r: AsliResult = { ...v.result, taskHash: fromHex(v.result.taskHash, 32) };
      expect(toHex(encodeResult(r))).toBe(v.encoding);
      expect(toHex(resultDigest(r))).toBe(v.digest);
      const signed = signResult(r, NodeKey.fromHex(v.privateKey));
      expect(toHex(signed.signature)).toBe(v.signature);
      expect(verifySignedResult({ result: r, digest: fromHex(v.digest), signature: fromHex(v.signature) })).toBe(true);
    });
  });

  describe('proof of work', () => {
    it.each(powVectors.pows)('nonce $nonce', (v) => {
      const digest = fromHex(v.submissionDigest, 32);
      const nonce = BigInt(v.nonce);
      // The reference read each value at its position in walk order; replaying the walk with
      // those values must land on the same positions, and reading there gives the same values.
      expect(v.positions.map(fakeHidden)).toEqual(v.values);
      expect(powPositions(v.verifier, digest, nonce, v.values, v.shape)).toEqual(v.positions);
      const h = powHash(v.verifier, digest, nonce, v.values);
      expect(toHex(h)).toBe(v.hash);
      expect(meetsDifficulty(h, v.leadingZeroBits)).toBe(true);
      expect(meetsDifficulty(h, v.leadingZeroBits + 1)).toBe(false);
    });

    it('grindPow finds the same first nonce as the reference', () => {
      const s = powVectors.solved;
      const solution = grindPow(s.verifier, fromHex(s.submissionDigest, 32), s.shape, s.count, s.bits, fakeHidden);
      expect(solution.nonce).toBe(BigInt(s.nonce));
      expect(solution.tries).toBe(s.tries);
      expect(solution.values).toEqual(s.values);
      expect(powPositions(s.verifier, fromHex(s.submissionDigest, 32), solution.nonce, solution.values, s.shape)).toEqual(s.positions);
      expect(toHex(powHash(s.verifier, fromHex(s.submissionDigest, 32), solution.nonce, solution.values))).toBe(s.hash);
    });
  });

  describe('verdict', () => {
    it.each(verdictVectors.verdicts)('$verdict.kind nonce $verdict.nonce', (v) => {
      const verdict: Verdict = {
        ...v.verdict,
        submissionDigest: fromHex(v.verdict.submissionDigest, 32),
        kind: v.verdict.kind === 'ACCEPT' ? VerdictKind.ACCEPT : VerdictKind.REJECT,
        nonce: BigInt(v.verdict.nonce),
      };
      expect(toHex(encodeVerdict(verdict))).toBe(v.encoding);
      expect(toHex(verdictDigest(verdict))).toBe(v.digest);
      const signed = signVerdict(verdict, NodeKey.fromHex(v.privateKey));
      expect(toHex(signed.signature)).toBe(v.signature);
      expect(verifySignedVerdict(signed)).toBe(true);
    });
  });
});
