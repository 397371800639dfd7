import type { Address } from '@aegis/protocol';

/** A canonical address whose last bytes spell `i`, so test output stays readable. */
export function addr(i: number): Address {
  return `0x${i.toString(16).padStart(40, '0')}`;
}
