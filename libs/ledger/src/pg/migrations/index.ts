import { LedgerInit1732492800000 } from './1732492800000-ledger-init';
import { LedgerAnnouncements1732800000000 } from './1732800000000-ledger-announcements';

/** In order. A new migration is a new class appended here, never an edit of an applied one. */
export const LEDGER_MIGRATIONS = [LedgerInit1732492800000, LedgerAnnouncements1732800000000];
