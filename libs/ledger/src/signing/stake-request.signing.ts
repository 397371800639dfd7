import { addressBytes, ByteWriter, keccak256, recoverAddress, utf8, type Address, type NodeKey } from '@aegis/protocol';

/** Domain tag of a signed StakeLedger request; bump the version for any layout change. */
export const STAKE_REQUEST_DOMAIN = 'aegis/ledger-request/v1';

/**
 * A node operator's mutating StakeLedger call, as signed: the gRPC request minus its signature.
 * `amount` is the decimal string exactly as sent (the signature covers the client's bytes, not a
 * re-formatting of them); withdraw has none.
 */
export type StakeRequest =
  | {
      readonly method: 'deposit' | 'stake' | 'request-unstake';
      readonly address: Address;
      readonly amount: string;
      readonly idempotencyKey: string;
    }
  | { readonly method: 'withdraw'; readonly address: Address; readonly idempotencyKey: string };

/**
 * keccak256(domain || method || address || amount || idempotency key), each variable-length part
 * length-prefixed (u32 big-endian) so no two requests share an encoding. The method is inside,
 * so a signed stake can never be replayed as a deposit or an unstake.
 */
export function stakeRequestDigest(request: StakeRequest): Uint8Array {
  return keccak256(encodeStakeRequest(request));
}

/** The canonical bytes that stakeRequestDigest hashes (exposed for test vectors and other implementations). */
export function encodeStakeRequest(request: StakeRequest): Uint8Array {
  const w = new ByteWriter();
  const part = (field: string, bytes: Uint8Array): void => void w.u32(bytes.length, field).bytes(bytes);
  part('domain', utf8(STAKE_REQUEST_DOMAIN));
  part('method', utf8(request.method));
  w.bytes(addressBytes(request.address));
  part('amount', utf8(request.method === 'withdraw' ? '' : request.amount));
  part('idempotencyKey', utf8(request.idempotencyKey));
  return w.finish();
}

export function signStakeRequest(request: StakeRequest, key: NodeKey): Uint8Array {
  if (key.address !== request.address) throw new RangeError(`address: the request is for ${request.address}, the key is ${key.address}`);
  return key.sign(stakeRequestDigest(request));
}

/** True iff `signature` is `request.address`'s signature over the request. Never throws. */
export function isStakeRequestSignedBy(request: StakeRequest, signature: Uint8Array): boolean {
  try {
    return recoverAddress(stakeRequestDigest(request), signature) === request.address;
  } catch {
    return false;
  }
}
