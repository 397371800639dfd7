/** The service's configuration (LedgerConfig) and its clock, injected so tests control time. */
export const LEDGER_CONFIG = Symbol('ledger.CONFIG');
export const LEDGER_CLOCK = Symbol('ledger.CLOCK');

export type Clock = () => Date;
