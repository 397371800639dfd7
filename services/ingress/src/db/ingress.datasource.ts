import { buildDataSource } from '@aegis/db';
import type { DataSource } from 'typeorm';
import { IngressInit1732490000000 } from './1732490000000-ingress-init.migration';
import { StatusTokens1764890000000 } from './1764890000000-status-tokens.migration';
import { INGRESS_ENTITIES } from './ingress.entities';

export const INGRESS_SCHEMA = 'ingress';
export const INGRESS_MIGRATIONS = [IngressInit1732490000000, StatusTokens1764890000000];

/** The ingress schema's DataSource (also what `aegis db migrate` runs the migrations on). */
export function ingressDataSource(url: string, options: { poolSize?: number; schema?: string } = {}): DataSource {
  return buildDataSource({
    url,
    // Another schema only in tests, which run side by side in one database.
    schema: options.schema ?? INGRESS_SCHEMA,
    entities: INGRESS_ENTITIES,
    migrations: INGRESS_MIGRATIONS,
    poolSize: options.poolSize ?? 10,
    applicationName: 'aegis-ingress',
  });
}
