import { migrateLedger } from '@aegis/ledger';
import { migrate as migrateIngress } from '@aegis/services/ingress';
import { migrate as migrateTallier } from '@aegis/services/tallier';
import { migrate as migrateGateway } from '@aegis/services/gateway';
import { type Command, InvalidArgumentError } from 'commander';
import { databaseUrlFromEnv } from '../cli.env';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';

/** Each schema owner's migrations, run in this order. Owners add one line here. */
const OWNERS: Record<string, (url: string) => Promise<string[]>> = {
  ledger: (url) => migrateLedger({ url }),
  ingress: migrateIngress,
  tallier: migrateTallier,
  gateway: migrateGateway,
};

interface MigrateOpts {
  url?: string;
  only?: string[];
  json?: boolean;
}

/** `aegis db migrate`: pending TypeORM migrations of every owner (a Helm hook Job; never at app start). */
export const registerDbCommand: RegisterCommand = (parent: Command) => {
  const db = parent.command('db').description('database administration');
  db.command('migrate')
    .description('run pending migrations, each owner in its own schema with its own migrations table')
    .option('--url <postgres-url>', 'database (default: env AEGIS_DATABASE_URL)')
    .option('--only <owner...>', `only these owners (${Object.keys(OWNERS).join(', ')})`, (v: string, prev: string[] = []) => {
      if (!(v in OWNERS)) throw new InvalidArgumentError(`unknown owner ${v}; known: ${Object.keys(OWNERS).join(', ')}`);
      return [...prev, v];
    })
    .option('--json', 'print the result as one JSON line')
    .action(async (opts: MigrateOpts) => {
      const url = opts.url ?? databaseUrlFromEnv();
      if (!url) throw new InvalidArgumentError('--url or AEGIS_DATABASE_URL is required');
      const applied: Record<string, string[]> = {};
      for (const owner of opts.only ?? Object.keys(OWNERS)) {
        const run = OWNERS[owner];
        if (!run) continue;
        progress(`migrating ${owner}`);
        applied[owner] = await run(url);
        progress(`  ${owner}: ${applied[owner].length === 0 ? 'up to date' : applied[owner].join(', ')}`);
      }
      if (opts.json) printJsonResult({ applied });
      else
        process.stdout.write(
          `${Object.entries(applied)
            .map(([o, m]) => `${o}: ${m.length} applied`)
            .join('; ')}\n`,
        );
    });
};
