import { verifySignature } from '@aegis/protocol';
import { encodeStakeRequest, stakeRequestDigest, type StakeRequest } from '../signing/stake-request.signing';
import { parseAddress } from './ledger.accounts';
import { parsePositiveAmount } from './ledger.amount';
import { LedgerError, LedgerErrorCode } from './ledger.errors';

// The signed-request encoding itself lives in signing/stake-request.signing.ts (one layout, one
// domain tag). This adds the validating entry points the gRPC edge and other callers use.

const METHODS = ['deposit', 'stake', 'request-unstake', 'withdraw'] as const;
const MAX_KEY_LENGTH = 200;

/** Same thing, under the name the ledger's API uses. */
export type LedgerRequest = StakeRequest;

/**
 * Validates an untrusted request (method, canonical lowercase address, canonical positive amount
 * except for withdraw, key of 1-200 chars) naming the bad field, and returns it typed.
 */
export function parseLedgerRequest(input: unknown): StakeRequest {
  if (typeof input !== 'object' || input === null) throw new LedgerError(LedgerErrorCode.INVALID_COMMAND, 'request', 'expected an object');
  const r = input as Record<string, unknown>;
  const method = r.method;
  if (typeof method !== 'string' || !(METHODS as readonly string[]).includes(method)) {
    throw new LedgerError(LedgerErrorCode.INVALID_COMMAND, 'method', `expected one of ${METHODS.join(', ')}`);
  }
  // The signature covers the address bytes, but the ledger keys accounts by the lowercase form:
  // insisting on it here means one request has one spelling.
  const address = parseAddress(r.address, 'address');
  if (address !== r.address) throw new LedgerError(LedgerErrorCode.INVALID_ADDRESS, 'address', 'must be lowercase hex');
  const idempotencyKey = r.idempotencyKey;
  if (typeof idempotencyKey !== 'string' || idempotencyKey.length === 0 || idempotencyKey.length > MAX_KEY_LENGTH) {
    throw new LedgerError(LedgerErrorCode.INVALID_COMMAND, 'idempotencyKey', `expected 1-${MAX_KEY_LENGTH} characters`);
  }
  if (method === 'withdraw') {
    if (r.amount !== undefined) throw new LedgerError(LedgerErrorCode.INVALID_COMMAND, 'amount', 'withdraw takes no amount');
    return { method, address, idempotencyKey };
  }
  if (typeof r.amount !== 'string') throw new LedgerError(LedgerErrorCode.INVALID_AMOUNT, 'amount', 'expected a decimal string');
  parsePositiveAmount(r.amount, 'amount');
  return { method: method as Exclude<StakeRequest['method'], 'withdraw'>, address, amount: r.amount, idempotencyKey };
}

/** Canonical bytes of a validated request (what is hashed and signed). */
export function encodeLedgerRequest(request: StakeRequest): Uint8Array {
  return encodeStakeRequest(parseLedgerRequest(request));
}

/**
 * Validates the request, then checks the signature: LedgerError(BAD_SIGNATURE, 'signature')
 * unless `signature` is the request's address signing exactly this request.
 */
export function verifyLedgerRequest(request: StakeRequest, signature: Uint8Array): void {
  const valid = parseLedgerRequest(request);
  if (!verifySignature(stakeRequestDigest(valid), signature, valid.address)) {
    throw new LedgerError(LedgerErrorCode.BAD_SIGNATURE, 'signature', `not a signature of this request by ${valid.address}`);
  }
}
