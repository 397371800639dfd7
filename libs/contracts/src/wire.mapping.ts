import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  AegisError,
  type Address,
  type AsliResult,
  isAddress,
  type Probe,
  type SignedResult,
  type SignedVerdict,
  type TaskSpec,
  toHex,
  VerdictKind,
  verdictDigest,
} from '@aegis/protocol';
import { MAX_SEAL_SPAN } from '@aegis/consensus';
import type { Beacon, Result, ResultSchema } from './gen/aegis/events/v1/result_events_pb';
import { Decision, type Verdict, type VerdictSchema } from './gen/aegis/events/v1/verdict_events_pb';
import type { TaskSpec as TaskSpecPb, TaskSpecSchema } from './gen/aegis/task/v1/task_pb';

/**
 * Mapping between the protobuf wire messages and the protocol core's types, shared by every
 * service so that "which bytes mean what" is decided once. Decoding validates lengths and names
 * the offending field; signatures are NOT checked here (callers decide what a bad one means).
 */
export enum WireErrorCode {
  MISSING_FIELD = 'MISSING_FIELD',
  BAD_LENGTH = 'BAD_LENGTH',
  BAD_VALUE = 'BAD_VALUE',
}

/** A wire message that does not map to a protocol value: always the input's fault. */
export class WireError extends AegisError<WireErrorCode> {
  override readonly name = 'WireError';
  declare readonly field: string;

  constructor(code: WireErrorCode, field: string, message: string) {
    super(code, 'invalid', `${field}: ${message}`, { field });
  }
}

function fixedBytes(value: Uint8Array | undefined, length: number, field: string): Uint8Array {
  if (value === undefined || value.length === 0) throw new WireError(WireErrorCode.MISSING_FIELD, field, 'is empty');
  if (value.length !== length) throw new WireError(WireErrorCode.BAD_LENGTH, field, `must be ${length} bytes, got ${value.length}`);
  // Protobuf decoders may hand out views into a larger buffer; keep an own copy.
  return Uint8Array.from(value);
}

/** 20 wire bytes -> canonical lowercase 0x address. */
export function addressFromWire(value: Uint8Array | undefined, field: string): Address {
  const a = toHex(fixedBytes(value, 20, field));
  if (!isAddress(a)) throw new WireError(WireErrorCode.BAD_VALUE, field, 'is not an address');
  return a;
}

export function addressToWire(address: Address): Uint8Array {
  return Buffer.from(address.slice(2), 'hex');
}

export function hash32FromWire(value: Uint8Array | undefined, field: string): Uint8Array {
  return fixedBytes(value, 32, field);
}

export function taskSpecFromWire(spec: TaskSpecPb | undefined, field = 'spec'): TaskSpec {
  if (spec === undefined) throw new WireError(WireErrorCode.MISSING_FIELD, field, 'is missing');
  return {
    modelId: spec.modelId,
    promptTokens: [...spec.promptTokens],
    maxNewTokens: spec.maxNewTokens,
    topK: spec.topK,
    temperatureMilli: spec.temperatureMilli,
    stopTokens: [...spec.stopTokens],
    nonce: spec.nonce,
  };
}

export function taskSpecToWire(spec: TaskSpec): MessageInitShape<typeof TaskSpecSchema> {
  return {
    modelId: spec.modelId,
    promptTokens: [...spec.promptTokens],
    maxNewTokens: spec.maxNewTokens,
    topK: spec.topK,
    temperatureMilli: spec.temperatureMilli,
    stopTokens: [...spec.stopTokens],
    nonce: spec.nonce,
  };
}

/** A Result message as the signed protocol result plus the task it answers. */
export function signedResultFromWire(r: Result): { signed: SignedResult; spec: TaskSpec } {
  const result: AsliResult = {
    taskHash: hash32FromWire(r.taskHash, 'taskHash'),
    node: addressFromWire(r.node, 'node'),
    tokens: [...r.tokens],
    probes: r.probes.map((p): Probe => ({ layer: p.layer, position: p.position, index: p.index, value: p.value })),
  };
  return {
    signed: { result, digest: hash32FromWire(r.digest, 'digest'), signature: fixedBytes(r.signature, 65, 'signature') },
    spec: taskSpecFromWire(r.spec),
  };
}

export function signedResultToWire(s: SignedResult, spec: TaskSpec): MessageInitShape<typeof ResultSchema> {
  return {
    taskHash: s.result.taskHash,
    node: addressToWire(s.result.node),
    tokens: [...s.result.tokens],
    probes: s.result.probes.map((p) => ({ layer: p.layer, position: p.position, index: p.index, value: p.value })),
    digest: s.digest,
    signature: s.signature,
    spec: taskSpecToWire(spec),
  };
}

export function verdictKindFromWire(d: Decision, field = 'decision'): VerdictKind {
  switch (d) {
    case Decision.ACCEPT:
      return VerdictKind.ACCEPT;
    case Decision.REJECT:
      return VerdictKind.REJECT;
    case Decision.UNSPECIFIED:
      throw new WireError(WireErrorCode.MISSING_FIELD, field, 'is unspecified');
    default:
      throw new WireError(WireErrorCode.BAD_VALUE, field, `unknown decision ${String(d)}`);
  }
}

export function verdictKindToWire(k: VerdictKind): Decision {
  switch (k) {
    case VerdictKind.ACCEPT:
      return Decision.ACCEPT;
    case VerdictKind.REJECT:
      return Decision.REJECT;
    default: {
      const never: never = k;
      throw new WireError(WireErrorCode.BAD_VALUE, 'kind', `unknown verdict kind ${String(never)}`);
    }
  }
}

/** What a Verdict message carries besides the signed protocol verdict. */
export interface VerdictContext {
  taskHash: Uint8Array;
  submitter: Address;
  beaconHeight: bigint;
  reason: string;
}

export function signedVerdictFromWire(v: Verdict): { signed: SignedVerdict; context: VerdictContext } {
  const verdict = {
    submissionDigest: hash32FromWire(v.resultDigest, 'resultDigest'),
    verifier: addressFromWire(v.verifier, 'verifier'),
    kind: verdictKindFromWire(v.decision),
    nonce: v.powNonce,
    values: [...v.powValues],
  };
  return {
    // The verdict's digest is not on the wire: it is recomputed, so it cannot disagree with the fields.
    signed: { verdict, digest: verdictDigest(verdict), signature: fixedBytes(v.signature, 65, 'signature') },
    context: {
      taskHash: hash32FromWire(v.taskHash, 'taskHash'),
      submitter: addressFromWire(v.submitter, 'submitter'),
      beaconHeight: v.beaconHeight,
      reason: v.reason,
    },
  };
}

export function signedVerdictToWire(s: SignedVerdict, context: VerdictContext): MessageInitShape<typeof VerdictSchema> {
  return {
    taskHash: context.taskHash,
    submitter: addressToWire(context.submitter),
    resultDigest: s.verdict.submissionDigest,
    verifier: addressToWire(s.verdict.verifier),
    decision: verdictKindToWire(s.verdict.kind),
    powNonce: s.verdict.nonce,
    powValues: [...s.verdict.values],
    beaconHeight: context.beaconHeight,
    reason: context.reason,
    signature: s.signature,
  };
}

/** The fields of a beacon link that travel in a Submission (the digest is the result's). */
export interface WireBeacon {
  height: bigint;
  value: Uint8Array;
  previous: Uint8Array;
  signature: Uint8Array;
  /** Digests up to the sealing link (Beacon.sealed_by); empty when the link is signed itself. */
  sealedBy: Uint8Array[];
}

/** Beacon.sealed_by's bound: a seal covers at most MAX_SEAL_SPAN links, this one included. */
const MAX_SEALED_BY = MAX_SEAL_SPAN - 1;

export function beaconFromWire(b: Beacon | undefined, field = 'beacon'): WireBeacon {
  if (b === undefined) throw new WireError(WireErrorCode.MISSING_FIELD, field, 'is missing');
  return {
    height: b.height,
    value: hash32FromWire(b.value, `${field}.value`),
    previous: hash32FromWire(b.previous, `${field}.previous`),
    signature: fixedBytes(b.signature, 65, `${field}.signature`),
    sealedBy: sealedByFromWire(b.sealedBy, `${field}.sealed_by`),
  };
}

function sealedByFromWire(digests: readonly Uint8Array[], field: string): Uint8Array[] {
  if (digests.length > MAX_SEALED_BY)
    throw new WireError(WireErrorCode.BAD_LENGTH, field, `holds ${digests.length} digests, at most ${MAX_SEALED_BY} allowed`);
  return digests.map((d, i) => hash32FromWire(d, `${field}[${i}]`));
}
