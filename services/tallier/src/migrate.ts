import { runMigrations } from '@aegis/db';
import { tallierDataSource } from './persistence/tallier.data-source';

/** Applies the tallier schema's pending migrations (`aegis db migrate`, the devnet, benches); their names. */
export function migrate(url: string): Promise<string[]> {
  return runMigrations(tallierDataSource(url, 1));
}
