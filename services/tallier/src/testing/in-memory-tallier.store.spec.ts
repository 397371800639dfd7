import { InMemoryTallierStore } from './in-memory-tallier.store';
import { tallierStoreContract } from './tallier-store.contract';

tallierStoreContract('in memory', async () => new InMemoryTallierStore());
