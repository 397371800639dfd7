// The ledger service as a package: its factory. Its schema's migrations live in @aegis/ledger.
export { start } from './start';
