// The ledger service as a composable unit: the devnet and the e2e test use these, never main.ts.
export { start } from './start';
export { startLedgerApp, type LedgerAppLaunch } from './ledger.app';
export { PgLedgerRepository } from './accounts/pg-ledger.repository';
export { InMemoryLedgerRepository } from './accounts/in-memory-ledger.repository';
