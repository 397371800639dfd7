// The stake ledger: pure rules (core/), the in-memory twin (memory/) and the Postgres store (pg/).
export * from './core/ledger.errors';
export * from './core/ledger.amount';
export * from './core/ledger.accounts';
export * from './core/ledger.commands';
export * from './core/ledger.rules';
export * from './core/ledger.store';
export * from './core/ledger.request';
export * from './memory/in-memory.ledger';
export * from './signing/stake-request.signing';
export * from './pg/numeric.transformer';
export * from './pg/ledger.entities';
export * from './pg/migrations';
export * from './pg/pg.ledger';
export * from './bench/ledger.bench';
