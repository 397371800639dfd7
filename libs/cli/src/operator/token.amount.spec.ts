import { MAX_AMOUNT } from '@aegis/ledger';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTokenAmount, parseTokenAmount, TOKEN_DECIMALS } from './token.amount';

describe('token amounts', () => {
  it('converts whole and fractional tokens to base units exactly', () => {
    expect(TOKEN_DECIMALS).toBe(18);
    expect(parseTokenAmount('1')).toBe(1_000_000_000_000_000_000n);
    expect(parseTokenAmount('12.5')).toBe(12_500_000_000_000_000_000n);
    expect(parseTokenAmount('0.000000000000000001')).toBe(1n);
    expect(parseTokenAmount('0.1')).toBe(100_000_000_000_000_000n); // 0.1 has no exact float; no float is used
    expect(parseTokenAmount('123456789012345678901234567890.123456789012345678')).toBe(123456789012345678901234567890123456789012345678n);
    expect(parseTokenAmount(' 3 ')).toBe(3_000_000_000_000_000_000n);
  });

  it('refuses too many decimals, signs, exponents, separators, garbage and zero', () => {
    for (const bad of [
      '0.0000000000000000001',
      '-1',
      '+1',
      '1e18',
      '1,5',
      '1_000',
      '',
      '.5',
      '5.',
      'abc',
      '0x10',
      'NaN',
      'Infinity',
      '1.2.3',
    ]) {
      expect(() => parseTokenAmount(bad), bad).toThrow(/AMOUNT: /);
    }
    expect(() => parseTokenAmount('0')).toThrow(/greater than zero/);
    expect(() => parseTokenAmount('0.000')).toThrow(/greater than zero/);
    expect(parseTokenAmount('0', 'AMOUNT', false)).toBe(0n);
    expect(() => parseTokenAmount('1'.repeat(70))).toThrow(/larger than the ledger/);
  });

  it('formats base units as the shortest exact token string', () => {
    expect(formatTokenAmount(0n)).toBe('0');
    expect(formatTokenAmount(1n)).toBe('0.000000000000000001');
    expect(formatTokenAmount(12_500_000_000_000_000_000n)).toBe('12.5');
    expect(formatTokenAmount(-2_000_000_000_000_000_000n)).toBe('-2');
  });

  it('parse(format(x)) is x for every amount the ledger holds', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: MAX_AMOUNT }), (units) => parseTokenAmount(formatTokenAmount(units)) === units));
  });
});
