import { LedgerError, LedgerErrorCode } from './ledger.errors';

/** NUMERIC(78,0) holds any uint256; anything wider cannot be stored, so it is refused up front. */
export const MAX_AMOUNT_DIGITS = 78;
export const MAX_AMOUNT = 10n ** BigInt(MAX_AMOUNT_DIGITS) - 1n;

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * Parses a non-negative integer amount in base units. Strings must be plain decimal (no sign,
 * no exponent, no fraction, no leading zeros) so one amount has exactly one spelling, which keeps
 * idempotency content hashes stable.
 */
export function parseAmount(value: string | bigint, field: string): bigint {
  let amount: bigint;
  if (typeof value === 'bigint') {
    amount = value;
  } else if (typeof value === 'string' && DECIMAL.test(value)) {
    if (value.length > MAX_AMOUNT_DIGITS) {
      throw new LedgerError(LedgerErrorCode.INVALID_AMOUNT, field, `more than ${MAX_AMOUNT_DIGITS} digits`);
    }
    amount = BigInt(value);
  } else {
    throw new LedgerError(LedgerErrorCode.INVALID_AMOUNT, field, `not a non-negative decimal integer: ${describe(value)}`);
  }
  if (amount < 0n) throw new LedgerError(LedgerErrorCode.INVALID_AMOUNT, field, `negative: ${amount}`);
  if (amount > MAX_AMOUNT) {
    throw new LedgerError(LedgerErrorCode.INVALID_AMOUNT, field, `more than ${MAX_AMOUNT_DIGITS} digits`);
  }
  return amount;
}

/** parseAmount, and zero is refused too (moving nothing is always a caller bug). */
export function parsePositiveAmount(value: string | bigint, field: string): bigint {
  const amount = parseAmount(value, field);
  if (amount === 0n) throw new LedgerError(LedgerErrorCode.INVALID_AMOUNT, field, 'must be greater than zero');
  return amount;
}

function describe(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : typeof value;
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
