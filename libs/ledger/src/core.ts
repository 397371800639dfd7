/**
 * @aegis/ledger/core: the ledger's rules and its in-memory twin, without the Postgres store.
 * For code that never touches a database (the simulator, the protocol-side tests): importing
 * `@aegis/ledger` instead would load TypeORM and pg with the entities.
 */
export * from './core/ledger.errors';
export * from './core/ledger.amount';
export * from './core/ledger.accounts';
export * from './core/ledger.commands';
export * from './core/ledger.rules';
export * from './core/ledger.store';
export * from './core/ledger.request';
export * from './memory/in-memory.ledger';
export * from './signing/stake-request.signing';
