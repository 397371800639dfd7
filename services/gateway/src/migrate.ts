import { runMigrations } from '@aegis/db';
import { gatewayDataSource } from './db/gateway.datasource';

/** Applies the gateway schema's pending migrations (`aegis db migrate`, the devnet); their names. */
export function migrate(url: string): Promise<string[]> {
  return runMigrations(gatewayDataSource(url, { poolSize: 1 }));
}
