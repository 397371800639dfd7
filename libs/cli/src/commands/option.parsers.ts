import { InvalidArgumentError } from 'commander';

/**
 * Commander parsers for bounded numeric options, shared by every command: the error names the
 * option and its range. A module of its own so that a command importing them loads nothing else
 * (the CLI loads only the module of the command it runs).
 */

/** A decimal integer in [min, max] (no exponent, hex or surrounding spaces). */
export function intOption(name: string, min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

/** A finite number in [min, max]. */
export function floatOption(name: string, min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}], got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

/**
 * A sampling temperature as people write it (0, 0.7, 1.25: at most three decimals, at most 10),
 * returned as the protocol's integer thousandths, converted from the digits (no float rounding).
 */
export function temperatureOption(name: string): (value: string) => number {
  return (value: string): number => {
    const m = /^(\d{1,2})(?:\.(\d{1,3}))?$/.exec(value);
    const milli = m === null ? NaN : Number(m[1]) * 1000 + Number((m[2] ?? '').padEnd(3, '0'));
    if (!Number.isInteger(milli) || milli > 10_000)
      throw new InvalidArgumentError(`${name} must be a number in [0, 10] with at most 3 decimals, got ${JSON.stringify(value)}`);
    return milli;
  };
}
