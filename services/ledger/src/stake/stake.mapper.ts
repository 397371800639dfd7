import { LedgerError, parsePositiveAmount, type LedgerCommand, type StakeRequest } from '@aegis/ledger';
import { MAX_ESCROWS_PER_CALL } from '@aegis/contracts';
import { grpcError, GrpcStatus, grpcStatusOfKind } from '@aegis/service-kit';
import { RpcException } from '@nestjs/microservices';
import type { AccountView, EntryView } from '../accounts/ledger.repository';
import type {
  AccountWire,
  EntryWire,
  EscrowFeeOutcomeWire,
  EscrowFeeRequestWire,
  EscrowFeesRequestWire,
  SignedAmountRequestWire,
  TimestampWire,
  WithdrawRequestWire,
} from './stake.wire';

/** Client keys are namespaced by address in the ledger, which leaves this much for the client. */
export const MAX_CLIENT_KEY_LENGTH = 128;
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** 20 bytes -> lowercase 0x hex, or INVALID_ARGUMENT naming `field`. */
export function addressFrom(bytes: unknown, field: string): string {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 20) throw grpcError(GrpcStatus.INVALID_ARGUMENT, field, 'must be 20 bytes');
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

export function hash32From(bytes: unknown, field: string): string {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) throw grpcError(GrpcStatus.INVALID_ARGUMENT, field, 'must be 32 bytes');
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

export function amountFrom(value: unknown, field: string): bigint {
  if (typeof value !== 'string') throw grpcError(GrpcStatus.INVALID_ARGUMENT, field, 'must be a decimal string');
  try {
    return parsePositiveAmount(value, field);
  } catch (err) {
    throw toGrpcError(err);
  }
}

function clientKeyFrom(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_CLIENT_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(value)) {
    throw grpcError(GrpcStatus.INVALID_ARGUMENT, 'idempotency_key', `must be 1-${MAX_CLIENT_KEY_LENGTH} printable ASCII characters`);
  }
  return value;
}

export function signatureFrom(value: unknown, field = 'signature'): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== 65)
    throw grpcError(GrpcStatus.UNAUTHENTICATED, field, 'must be 65 bytes (r || s || v)');
  return value;
}

/** The ledger's key for a client request: per address, so two nodes' "k1" never collide. */
export function ledgerKeyFor(address: string, clientKey: string): string {
  return `rpc:${address}:${clientKey}`;
}

export interface ParsedSignedRequest {
  readonly signed: StakeRequest;
  readonly signature: Uint8Array;
  readonly command: LedgerCommand;
}

export function parseAmountRequest(method: 'deposit' | 'stake' | 'request-unstake', req: SignedAmountRequestWire): ParsedSignedRequest {
  const address = addressFrom(req.address, 'address');
  const amount = amountFrom(req.amount, 'amount');
  const idempotencyKey = clientKeyFrom(req.idempotencyKey);
  const signature = signatureFrom(req.signature);
  return {
    signed: { method, address, amount: req.amount, idempotencyKey },
    signature,
    command: { kind: method, key: ledgerKeyFor(address, idempotencyKey), address, amount },
  };
}

export function parseWithdrawRequest(req: WithdrawRequestWire): ParsedSignedRequest {
  const address = addressFrom(req.address, 'address');
  const idempotencyKey = clientKeyFrom(req.idempotencyKey);
  const signature = signatureFrom(req.signature);
  return {
    signed: { method: 'withdraw', address, idempotencyKey },
    signature,
    command: { kind: 'withdraw', key: ledgerKeyFor(address, idempotencyKey), address },
  };
}

/** A fee escrow as ingress asks for it (EscrowFee, or one item of EscrowFees). */
export interface ParsedEscrow {
  readonly taskHash: string;
  readonly client: string;
  readonly amount: bigint;
  readonly clientSignature: Uint8Array;
}

/** `prefix` names the item in a batch ("escrows[3]."), so a refusal names the field it is about. */
export function parseEscrow(req: EscrowFeeRequestWire, prefix = ''): ParsedEscrow {
  return {
    taskHash: hash32From(req.taskHash, `${prefix}task_hash`),
    client: addressFrom(req.client, `${prefix}client`),
    amount: amountFrom(req.amount, `${prefix}amount`),
    clientSignature: signatureFrom(req.clientSignature, `${prefix}client_signature`),
  };
}

/** The list of an EscrowFees call: INVALID_ARGUMENT for the whole call when it is empty or too long. */
export function escrowListFrom(req: EscrowFeesRequestWire): readonly EscrowFeeRequestWire[] {
  const escrows = req.escrows;
  if (!Array.isArray(escrows) || escrows.length === 0 || escrows.length > MAX_ESCROWS_PER_CALL) {
    throw grpcError(GrpcStatus.INVALID_ARGUMENT, 'escrows', `must hold 1-${MAX_ESCROWS_PER_CALL} escrows`);
  }
  return escrows;
}

/**
 * One escrow's refusal as its EscrowFees outcome: the status and message EscrowFee would have
 * answered. Anything that is not a refusal (the database down) is rethrown and fails the call.
 */
export function escrowRefusal(err: unknown): EscrowFeeOutcomeWire {
  const refusal = err instanceof RpcException ? err : toGrpcError(err);
  const body = refusal.getError();
  if (
    typeof body === 'object' &&
    body !== null &&
    'code' in body &&
    typeof body.code === 'number' &&
    'message' in body &&
    typeof body.message === 'string'
  ) {
    return { code: body.code, message: body.message, replayed: false };
  }
  throw err;
}

export function pageSizeFrom(value: unknown): number {
  if (value === 0 || value === undefined) return DEFAULT_PAGE_SIZE;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_PAGE_SIZE) {
    throw grpcError(GrpcStatus.INVALID_ARGUMENT, 'page_size', `must be 0..${MAX_PAGE_SIZE}`);
  }
  return value;
}

/** Page tokens are the last sequence seen, as a decimal string (opaque to clients). */
export function pageTokenFrom(value: unknown): bigint {
  if (value === '' || value === undefined) return 0n;
  if (typeof value !== 'string' || !/^[0-9]{1,20}$/.test(value))
    throw grpcError(GrpcStatus.INVALID_ARGUMENT, 'page_token', 'not a token from this server');
  return BigInt(value);
}

export function timestampWire(date: Date): TimestampWire {
  const ms = date.getTime();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

export function accountWire(view: AccountView): AccountWire {
  return {
    address: Buffer.from(view.address.slice(2), 'hex'),
    free: view.free.toString(),
    staked: view.staked.toString(),
    unbonding: view.unbonding.map((t) => ({ amount: t.amount.toString(), maturesAt: timestampWire(t.releaseAt) })),
    active: view.active,
    frozen: view.frozen,
  };
}

export function entryWire(entry: EntryView): EntryWire {
  return {
    sequence: entry.sequence.toString(),
    idempotencyKey: entry.idempotencyKey,
    kind: entry.kind,
    postings: entry.postings.map((p) => ({ account: p.account, delta: p.amount.toString() })),
    appliedAt: timestampWire(entry.appliedAt),
  };
}

/** A ledger refusal as the gRPC status a client can act on; anything else is rethrown. */
export function toGrpcError(err: unknown): RpcException {
  if (!(err instanceof LedgerError)) throw err;
  return grpcError(grpcStatusOfKind(err.kind), err.field, err.message);
}
