import { runMigrations } from '@aegis/db';
import { ingressDataSource } from './db/ingress.datasource';

/** Applies the ingress schema's pending migrations (`aegis db migrate`, the devnet, benches); their names. */
export function migrate(url: string): Promise<string[]> {
  return runMigrations(ingressDataSource(url, { poolSize: 1 }));
}
