import { describeLedgerStoreScenarios } from '../testing/ledger-store.scenarios';
import { TEST_RULES } from '../testing/ledger.fixtures';
import { InMemoryLedger } from './in-memory.ledger';

describeLedgerStoreScenarios('InMemoryLedger', async () => ({ store: new InMemoryLedger(TEST_RULES) }));
