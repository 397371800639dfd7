import type { ValueTransformer } from 'typeorm';

/**
 * NUMERIC(78,0) <-> bigint. pg returns NUMERIC as a string precisely so that no float ever
 * touches money; this keeps it that way on the TypeScript side.
 */
export const numericBigint: ValueTransformer = {
  to: (value: bigint | null | undefined): string | null | undefined => (typeof value === 'bigint' ? value.toString() : value),
  from: (value: string | null): bigint | null => (value === null ? null : BigInt(value)),
};
