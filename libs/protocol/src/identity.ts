import { secp256k1 } from '@noble/curves/secp256k1';
import { concatBytes, fromHex, toHex } from './bytes';
import { keccak256 } from './hash';
import { invalidField, ProtocolError, ProtocolErrorCode } from './protocol.errors';

/** Ethereum-style address: '0x' + 40 lowercase hex chars (no EIP-55 checksum casing). */
export type Address = string;

const ADDRESS_PATTERN = /^0x[0-9a-f]{40}$/;
export const SIGNATURE_BYTES = 65;

export function isAddress(a: unknown): a is Address {
  return typeof a === 'string' && ADDRESS_PATTERN.test(a);
}

/** Throws ProtocolError naming `field` unless `a` is a canonical (lowercase) address. */
export function assertAddress(a: unknown, field = 'address'): asserts a is Address {
  if (!isAddress(a)) throw invalidField(field, 'must be 0x followed by 40 lowercase hex characters');
}

/** The 20 raw bytes of a canonical address. */
export function addressBytes(a: Address, field = 'address'): Uint8Array {
  assertAddress(a, field);
  return fromHex(a, 20, field);
}

/**
 * keccak256 of the 64-byte uncompressed point (X || Y, without the 0x04 prefix), last 20 bytes.
 * Accepts a 33-byte compressed, 65-byte uncompressed or 64-byte raw key.
 */
export function addressFromPublicKey(pub: Uint8Array): Address {
  let xy: Uint8Array;
  if (pub.length === 64) {
    xy = pub;
  } else {
    let point;
    try {
      point = secp256k1.Point.fromHex(pub);
    } catch {
      throw invalidField('publicKey', 'not a secp256k1 point', ProtocolErrorCode.BAD_KEY);
    }
    xy = point.toRawBytes(false).subarray(1);
  }
  return toHex(keccak256(xy).subarray(12));
}

function assertDigest(digest32: Uint8Array): void {
  if (!(digest32 instanceof Uint8Array) || digest32.length !== 32) {
    throw invalidField('digest', 'must be 32 bytes', ProtocolErrorCode.INVALID_FIELD);
  }
}

/** A node identity: a secp256k1 private key and its address. Signs 32-byte digests only. */
export class NodeKey {
  readonly publicKey: Uint8Array;
  readonly address: Address;

  private constructor(private readonly priv: Uint8Array) {
    this.publicKey = secp256k1.getPublicKey(priv, false);
    this.address = addressFromPublicKey(this.publicKey);
  }

  static generate(): NodeKey {
    return new NodeKey(secp256k1.utils.randomPrivateKey());
  }

  /** 32-byte scalar in [1, n), hex with or without 0x. */
  static fromHex(privHex: string): NodeKey {
    const priv = fromHex(privHex.trim(), 32, 'privateKey');
    if (!secp256k1.utils.isValidPrivateKey(priv)) {
      throw invalidField('privateKey', 'not a valid secp256k1 scalar', ProtocolErrorCode.BAD_KEY);
    }
    return new NodeKey(priv);
  }

  privateKeyHex(): string {
    return toHex(this.priv);
  }

  /**
   * 65 bytes r || s || v with v in {0, 1} (recovery id), s normalised low. Nonces are RFC 6979
   * deterministic, so a signature is a pure function of key and digest (test vectors rely on it).
   */
  sign(digest32: Uint8Array): Uint8Array {
    assertDigest(digest32);
    const sig = secp256k1.sign(digest32, this.priv, { prehash: false, lowS: true });
    return concatBytes(sig.toCompactRawBytes(), Uint8Array.of(sig.recovery));
  }

  /** Keeps the private key out of logs and JSON dumps. */
  toJSON(): { address: Address } {
    return { address: this.address };
  }
}

/**
 * The address whose key produced `sig65` over `digest32`. Rejects high-s signatures (malleable
 * twins) so one (digest, key) pair has exactly one valid signature encoding.
 */
export function recoverAddress(digest32: Uint8Array, sig65: Uint8Array): Address {
  assertDigest(digest32);
  if (!(sig65 instanceof Uint8Array) || sig65.length !== SIGNATURE_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.BAD_SIGNATURE, `must be ${SIGNATURE_BYTES} bytes`, 'signature');
  }
  const v = sig65[64];
  if (v !== 0 && v !== 1) {
    throw new ProtocolError(ProtocolErrorCode.BAD_SIGNATURE, 'recovery id must be 0 or 1', 'signature');
  }
  try {
    const sig = secp256k1.Signature.fromCompact(sig65.subarray(0, 64)).addRecoveryBit(v);
    if (sig.hasHighS()) throw new Error('high s');
    const point = sig.recoverPublicKey(digest32);
    return addressFromPublicKey(point.toRawBytes(false));
  } catch (e) {
    throw new ProtocolError(
      ProtocolErrorCode.BAD_SIGNATURE,
      `does not recover to a public key (${e instanceof Error ? e.message : String(e)})`,
      'signature',
    );
  }
}

/** True iff `sig65` is a valid low-s signature of `digest32` by `address`. Never throws. */
export function verifySignature(digest32: Uint8Array, sig65: Uint8Array, address: Address): boolean {
  if (!isAddress(address)) return false;
  try {
    return recoverAddress(digest32, sig65) === address;
  } catch {
    return false;
  }
}
