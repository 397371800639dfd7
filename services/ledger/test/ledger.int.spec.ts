import { startLocalPostgres } from '@aegis/db';
import { migrateLedger } from '@aegis/ledger';
import { Client } from 'pg';
import { PgLedgerRepository } from '../src/accounts/pg-ledger.repository';
import { describeLedgerService } from './ledger-service.scenarios';

const schema = `ledger_svc_test_${process.pid}_${Date.now()}`;
let url = '';

describeLedgerService(
  'ledger service on PgLedger (real Postgres)',
  async (rules) => {
    url = await startLocalPostgres();
    await migrateLedger({ url, schema });
    return PgLedgerRepository.connect({ url, rules, schema, poolSize: 4 });
  },
  async () => {
    const pg = new Client({ connectionString: url });
    await pg.connect();
    await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pg.end();
  },
);
