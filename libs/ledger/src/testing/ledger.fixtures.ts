import type { LedgerCommand } from '../core/ledger.commands';
import type { LedgerRules } from '../core/ledger.rules';

/** Shared by the unit, property and Postgres integration specs so both stores face the same cases. */
export const TEST_RULES: LedgerRules = { minStake: 1_000n, unbondingSeconds: 60 };
export const T0 = new Date('2025-01-01T00:00:00.000Z');

export function addr(n: number): string {
  return `0x${n.toString(16).padStart(40, '0')}`;
}

export function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

let counter = 0;
/** A fresh idempotency key. */
export function k(prefix = 'k'): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export const deposit = (address: string, amount: bigint, key = k()): LedgerCommand => ({ kind: 'deposit', key, address, amount });
export const stake = (address: string, amount: bigint, key = k()): LedgerCommand => ({ kind: 'stake', key, address, amount });
