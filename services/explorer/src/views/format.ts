import { CheckOutcome, TaskStatus } from '@aegis/contracts';

/** TASK_STATUS_ACCEPTED's number -> "ACCEPTED" (an unknown number stays visible as itself). */
export function taskStatusName(status: number): string {
  return (TaskStatus as unknown as Record<number, string | undefined>)[status] ?? String(status);
}

/** The PoW checker's outcome for a verdict, in words. */
export function checkOutcomeName(outcome: number): string {
  return (CheckOutcome as unknown as Record<number, string | undefined>)[outcome] ?? String(outcome);
}

/** 0x1234abcd...ef01: long hex shortened for tables (the full value is the link and its title). */
export function short(hex: string): string {
  return hex.length > 18 ? `${hex.slice(0, 10)}…${hex.slice(-6)}` : hex;
}

/** Base units with thin grouping, sign kept (money is a decimal string, never a float). */
export function units(amount: string): string {
  const negative = amount.startsWith('-');
  const digits = negative ? amount.slice(1) : amount;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '−' : ''}${grouped}`;
}

/** Epoch milliseconds or a Date as an ISO time (UTC). */
export function time(at: number | Date | null | undefined): string {
  if (at === null || at === undefined) return '—';
  const d = typeof at === 'number' ? new Date(at) : at;
  return Number.isNaN(d.getTime())
    ? '—'
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}

/** A ledger account id split for display: kind and owner. */
export function accountParts(id: string): { kind: string; owner: string } {
  const colon = id.indexOf(':');
  return colon < 0 ? { kind: id, owner: '' } : { kind: id.slice(0, colon), owner: id.slice(colon + 1) };
}
