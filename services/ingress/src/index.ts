// Ingress as a composable unit: the devnet, the e2e test and `aegis db migrate` use these.
export { start } from './start';
export { startIngressApp, type IngressAppLaunch } from './ingress.app';
export { ingressDataSource, INGRESS_MIGRATIONS, INGRESS_SCHEMA } from './db/ingress.datasource';
export { ModelCatalog } from './models/model.catalog';
export { migrate } from './migrate';
