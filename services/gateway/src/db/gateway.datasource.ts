import { buildDataSource } from '@aegis/db';
import type { DataSource } from 'typeorm';
import { GatewayInit1764880000000 } from './1764880000000-gateway-init.migration';

export const GATEWAY_SCHEMA = 'gateway';
export const GATEWAY_MIGRATIONS = [GatewayInit1764880000000];

/** The gateway schema's DataSource (also what `aegis db migrate` runs the migrations on). */
export function gatewayDataSource(url: string, options: { poolSize?: number; schema?: string } = {}): DataSource {
  return buildDataSource({
    url,
    schema: options.schema ?? GATEWAY_SCHEMA,
    entities: [],
    migrations: GATEWAY_MIGRATIONS,
    poolSize: options.poolSize ?? 4,
    applicationName: 'aegis-gateway',
  });
}
