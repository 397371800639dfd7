import { InMemoryLedgerRepository } from './accounts/in-memory-ledger.repository';
import { describeLedgerService } from '../test/ledger-service.scenarios';

describeLedgerService('ledger service on the in-memory store', async (rules) => new InMemoryLedgerRepository(rules));
