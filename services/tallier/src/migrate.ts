import { migrateTallier, tallierDataSource } from './persistence/tallier.data-source';

/** Applies the tallier schema's pending migrations (`aegis db migrate`, the devnet, benches); their names. */
export async function migrate(url: string): Promise<string[]> {
  const ds = await tallierDataSource(url, 1).initialize();
  try {
    return await migrateTallier(ds);
  } finally {
    await ds.destroy();
  }
}
