import { MAX_AMOUNT } from '@aegis/ledger';
import { AegisError } from '@aegis/protocol';

/**
 * Base units per token, as 10^TOKEN_DECIMALS. The ledger counts integers only (`bigint`, NUMERIC(78,0));
 * operators type and read whole and fractional tokens, and this is the one place that converts.
 */
export const TOKEN_DECIMALS = 18;
const SCALE = 10n ** BigInt(TOKEN_DECIMALS);

/** A token amount the CLI refuses, naming what was wrong with it. */
export class TokenAmountError extends AegisError<'INVALID_AMOUNT'> {
  override readonly name = 'TokenAmountError';
  declare readonly field: string;

  constructor(field: string, message: string) {
    super('INVALID_AMOUNT', 'invalid', `${field}: ${message}`, { field });
  }
}

const TOKENS = /^([0-9]+)(?:\.([0-9]+))?$/;

/**
 * "12.5" -> 12_500000000000000000n base units, exactly (no floating point anywhere). Refuses a
 * sign, an exponent, separators, more than TOKEN_DECIMALS fractional digits (that would silently
 * round), zero when `positive`, and anything the ledger cannot hold.
 */
export function parseTokenAmount(text: string, field = 'AMOUNT', positive = true): bigint {
  const match = TOKENS.exec(text.trim());
  if (match === null) throw new TokenAmountError(field, `not a token amount: ${JSON.stringify(text)} (expected e.g. 10, 0.5, 1.25)`);
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > TOKEN_DECIMALS) {
    throw new TokenAmountError(
      field,
      `at most ${TOKEN_DECIMALS} decimals (1 base unit is 0.${'0'.repeat(TOKEN_DECIMALS - 1)}1 tokens): ${text}`,
    );
  }
  const units = BigInt(whole) * SCALE + BigInt(fraction.padEnd(TOKEN_DECIMALS, '0') || '0');
  if (positive && units === 0n) throw new TokenAmountError(field, 'must be greater than zero');
  if (units > MAX_AMOUNT) throw new TokenAmountError(field, 'larger than the ledger can hold');
  return units;
}

/** Base units -> tokens, exact and shortest: 12_500000000000000000n -> "12.5", 1n -> "0.000000000000000001". */
export function formatTokenAmount(units: bigint): string {
  const sign = units < 0n ? '-' : '';
  const abs = units < 0n ? -units : units;
  const whole = abs / SCALE;
  const fraction = (abs % SCALE).toString().padStart(TOKEN_DECIMALS, '0').replace(/0+$/, '');
  return `${sign}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}
