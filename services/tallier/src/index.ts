// The tallier as a composable unit: the devnet and tests import these, never main.ts.
export { start } from './start';
export { migrate } from './migrate';
export { TallierModule, type TallierModuleOptions } from './tallier.module';
export { TALLIER_CONSUMER } from './tallier.constants';
export { TallierService } from './submissions/tallier.service';
export type { TallierStore } from './submissions/tallier.store';
export { TallierRepository } from './submissions/tallier.repository';
export { tallierDataSource, migrateTallier, TALLIER_MIGRATIONS, TALLIER_MIGRATIONS_TABLE } from './persistence/tallier.data-source';
export { TALLIER_ENTITIES, TALLIER_SCHEMA } from './persistence/tallier.entities';
export { type TallierOptions, tallierConfigFromEnv, tallierEnvSchema, DEFAULT_CHAIN_ID, DEFAULT_SUBMITTER_SHARE_BPS } from './tallier.options';
export { type Clock, ManualClock, systemClock } from './clock';
export { SubmissionQueryController } from './query/submission-query.controller';
export { TallierMetrics, type ResultOutcome } from './tallier.metrics';
