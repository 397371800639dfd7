import { type Address, toHex } from '@aegis/protocol';
import { type BeaconLink, verifyBeaconLink } from './beacon.chain';

/** A beacon link as a Submission carries it: the digest and signer are implied by the submission and the network. */
export interface AnnouncedBeacon {
  readonly height: bigint;
  readonly value: Uint8Array;
  readonly previous: Uint8Array;
  readonly signature: Uint8Array;
  /** Digests of the links up to the one the signature is over (BeaconLink.sealedBy); empty: this one. */
  readonly sealedBy?: readonly Uint8Array[];
}

/**
 * Rebuilds the full link of an announced beacon (its digest is the submission's, its signer must
 * be the control plane) and checks it with verifyBeaconLink. Without this a forged Submission could
 * carry any beacon and hand-pick its committee, which the lottery exists to prevent.
 */
export function verifyAnnouncedBeacon(beacon: AnnouncedBeacon, submissionDigest: Uint8Array, controlPlane: Address): boolean {
  if (beacon.height < 1n || beacon.height > BigInt(Number.MAX_SAFE_INTEGER)) return false;
  const link: BeaconLink = {
    index: Number(beacon.height),
    prev: toHex(beacon.previous),
    submissionDigest: toHex(submissionDigest),
    beacon: toHex(beacon.value),
    signer: controlPlane,
    signature: toHex(beacon.signature),
    ...(beacon.sealedBy && beacon.sealedBy.length > 0 ? { sealedBy: beacon.sealedBy.map((d) => toHex(d)) } : {}),
  };
  return verifyBeaconLink(link, controlPlane);
}
