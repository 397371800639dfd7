import { LedgerError, LedgerErrorCode } from './ledger.errors';

/** The one treasury account: integer-division remainders and nothing else land here. */
export const TREASURY = 'treasury' as const;

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
// Dispute and task ids become part of account ids and primary keys: keep them printable and short.
const REF = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Validates an Ethereum-style address and returns it in canonical lowercase form. */
export function parseAddress(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ADDRESS.test(value)) {
    throw new LedgerError(LedgerErrorCode.INVALID_ADDRESS, field, 'expected 0x followed by 40 hex digits');
  }
  return value.toLowerCase();
}

/** Validates a dispute or task id (1-128 chars of [A-Za-z0-9._:-], starting alphanumeric). */
export function parseRef(value: unknown, field: string): string {
  if (typeof value !== 'string' || !REF.test(value)) {
    throw new LedgerError(LedgerErrorCode.INVALID_COMMAND, field, 'expected 1-128 characters of [A-Za-z0-9._:-]');
  }
  return value;
}

/**
 * Account ids. A node has three accounts (free, stake, unbonding); disputes and tasks get one each.
 * Inputs are assumed canonical (parseAddress / parseRef) so one account has one id.
 */
export const accountId = {
  free: (address: string): string => `free:${address}`,
  stake: (address: string): string => `stake:${address}`,
  unbonding: (address: string): string => `unbonding:${address}`,
  pool: (disputeId: string): string => `pool:${disputeId}`,
  escrow: (taskId: string): string => `escrow:${taskId}`,
} as const;

export type AccountKind = 'free' | 'stake' | 'unbonding' | 'pool' | 'escrow' | 'treasury';

/** Splits an account id into its kind and owner (address or ref); throws on anything else. */
export function parseAccountId(id: string, field = 'account'): { kind: AccountKind; owner: string } {
  if (id === TREASURY) return { kind: 'treasury', owner: '' };
  const colon = id.indexOf(':');
  const kind = id.slice(0, colon);
  const owner = id.slice(colon + 1);
  switch (kind) {
    case 'free':
    case 'stake':
    case 'unbonding':
      if (parseAddress(owner, field) === owner) return { kind, owner };
      break;
    case 'pool':
    case 'escrow':
      return { kind, owner: parseRef(owner, field) };
  }
  throw new LedgerError(LedgerErrorCode.UNKNOWN_ACCOUNT, field, `not a ledger account id: ${id.slice(0, 80)}`);
}
