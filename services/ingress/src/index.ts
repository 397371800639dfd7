// Ingress as a package: its factory and its schema's migrations (the DataSource too: tests run the
// migrations in a schema of their own). Everything else is internal.
export { start } from './start';
export { migrate } from './migrate';
export { ingressDataSource } from './db/ingress.datasource';
