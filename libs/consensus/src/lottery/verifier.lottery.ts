import { type Address, addressBytes, concatBytes, keccak256, toHex } from '@aegis/protocol';
import { ConsensusErrorCode, invalid } from '../consensus.errors';

const TWO_256 = 1n << 256n;

/** h = keccak256(V || beacon_S) as a big-endian uint256: the verifier's lottery ticket for S. */
export function lotteryTicket(verifier: Address, beacon: Uint8Array): bigint {
  assertBeacon(beacon);
  return BigInt(toHex(keccak256(concatBytes(addressBytes(verifier, 'verifier'), beacon))));
}

/**
 * Stake-weighted self-selection: V may verify S iff h < target * stake_V / totalStake, with
 * target = k * 2^256. Since h is uniform on [0, 2^256), P(selected) = min(1, k * stake_V / total),
 * so the expected number selected is sum_V min(1, k * s_V / S) = k exactly whenever no node holds
 * more than 1/k of the stake (and less than k otherwise: such a node is selected every time).
 * Compared as h * totalStake < k * stake_V * 2^256 so no division rounds anyone out.
 * Anyone holding the stake snapshot and the beacon can re-run this check.
 */
export function isEligible(verifier: Address, stake: bigint, totalStake: bigint, beacon: Uint8Array, k: number): boolean {
  assertStakes(stake, totalStake, k);
  if (stake === 0n) return false;
  return lotteryTicket(verifier, beacon) * totalStake < BigInt(k) * stake * TWO_256;
}

export interface StakedNode {
  readonly address: Address;
  readonly stake: bigint;
}

/**
 * Every eligible node among `nodes` (the active set with its stake snapshot at beacon time),
 * in input order. The total stake is the sum over `nodes`, so all parties must use one snapshot.
 */
export function selectVerifiers(nodes: readonly StakedNode[], beacon: Uint8Array, k: number): Address[] {
  const total = nodes.reduce((sum, n) => sum + n.stake, 0n);
  if (total === 0n) return [];
  assertBeacon(beacon);
  // isEligible for every node, with what does not depend on the node done once: the beacon goes
  // into one reused input buffer, k * 2^256 is computed once, and each address is parsed once per
  // process (the same few addresses are drawn again and again). Same tickets, same comparison.
  const input = new Uint8Array(20 + 32);
  input.set(beacon, 20);
  const scale = BigInt(k) * TWO_256;
  const chosen: Address[] = [];
  for (const n of nodes) {
    assertStakes(n.stake, total, k);
    if (n.stake === 0n) continue;
    input.set(cachedAddressBytes(n.address), 0);
    if (BigInt(toHex(keccak256(input))) * total < scale * n.stake) chosen.push(n.address);
  }
  return chosen;
}

const addressCache = new Map<string, Uint8Array>();
const ADDRESS_CACHE_LIMIT = 1 << 16;

/** addressBytes, remembered: validated and parsed the first time an address is seen. */
function cachedAddressBytes(address: Address): Uint8Array {
  let bytes = addressCache.get(address);
  if (bytes === undefined) {
    bytes = addressBytes(address, 'verifier');
    if (addressCache.size >= ADDRESS_CACHE_LIMIT) addressCache.clear();
    addressCache.set(address, bytes);
  }
  return bytes;
}

/** sum_V min(1, k s_V / S): the expected committee size, as a float for reporting only. */
export function expectedCommitteeSize(stakes: readonly bigint[], k: number): number {
  const total = stakes.reduce((a, b) => a + b, 0n);
  if (total === 0n) return 0;
  return stakes.reduce((sum, s) => sum + Math.min(1, (k * Number(s)) / Number(total)), 0);
}

function assertStakes(stake: bigint, totalStake: bigint, k: number): void {
  if (typeof stake !== 'bigint' || stake < 0n) throw invalid(ConsensusErrorCode.INVALID_STAKE, 'stake', 'must be a non-negative bigint');
  if (typeof totalStake !== 'bigint' || totalStake <= 0n) {
    throw invalid(ConsensusErrorCode.INVALID_STAKE, 'totalStake', 'must be a positive bigint');
  }
  if (stake > totalStake) throw invalid(ConsensusErrorCode.INVALID_STAKE, 'stake', 'must not exceed totalStake');
  if (!Number.isSafeInteger(k) || k < 1) throw invalid(ConsensusErrorCode.INVALID_STAKE, 'k', 'must be a positive integer');
}

function assertBeacon(beacon: Uint8Array): void {
  if (!(beacon instanceof Uint8Array) || beacon.length !== 32) {
    throw invalid(ConsensusErrorCode.INVALID_BEACON, 'beacon', 'must be 32 bytes');
  }
}
