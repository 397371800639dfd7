/** The service's configuration (LedgerConfig) and its clock, injected so tests control time. */
export const LEDGER_CONFIG = Symbol('ledger.CONFIG');
export const LEDGER_CLOCK = Symbol('ledger.CLOCK');

export type Clock = () => Date;

/**
 * Partitions of aegis.ledger-commands.v1 applied at once. Safe: each command is one transaction
 * taking its rows' locks in sorted order (no deadlock), idempotent by key; commands with the same
 * key share a partition and stay ordered.
 */
export const COMMAND_PARTITIONS_CONCURRENTLY = 8;
