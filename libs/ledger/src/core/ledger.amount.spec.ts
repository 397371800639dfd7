import { describe, expect, it } from 'vitest';
import { MAX_AMOUNT, parseAmount, parsePositiveAmount } from './ledger.amount';
import { LedgerError, LedgerErrorCode } from './ledger.errors';

function codeOf(fn: () => unknown): { code: LedgerErrorCode; field: string } | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof LedgerError) return { code: err.code, field: err.field };
    throw err;
  }
  return undefined;
}

describe('parseAmount', () => {
  it('accepts plain decimal strings and bigints up to 78 digits', () => {
    expect(parseAmount('0', 'a')).toBe(0n);
    expect(parseAmount('12345', 'a')).toBe(12_345n);
    expect(parseAmount(7n, 'a')).toBe(7n);
    expect(parseAmount('9'.repeat(78), 'a')).toBe(MAX_AMOUNT);
    expect(parseAmount(MAX_AMOUNT, 'a')).toBe(MAX_AMOUNT);
  });

  it.each([
    ['negative string', '-1'],
    ['negative bigint', -1n],
    ['fraction', '1.5'],
    ['exponent', '1e3'],
    ['leading zero', '007'],
    ['sign', '+5'],
    ['hex', '0x10'],
    ['blank', ''],
    ['spaces', ' 1'],
    ['79 digits', '1'.padEnd(79, '0')],
    ['79-digit bigint', 10n ** 78n],
  ])('refuses %s with INVALID_AMOUNT naming the field', (_name, value) => {
    expect(codeOf(() => parseAmount(value, 'amount'))).toEqual({ code: LedgerErrorCode.INVALID_AMOUNT, field: 'amount' });
  });

  it('refuses non-string, non-bigint values at runtime (untyped callers)', () => {
    expect(codeOf(() => parseAmount(5 as unknown as string, 'fee'))).toEqual({ code: LedgerErrorCode.INVALID_AMOUNT, field: 'fee' });
  });

  it('parsePositiveAmount refuses zero', () => {
    expect(codeOf(() => parsePositiveAmount('0', 'amount'))?.code).toBe(LedgerErrorCode.INVALID_AMOUNT);
    expect(parsePositiveAmount('1', 'amount')).toBe(1n);
  });
});
