import { type DynamicModule, Inject, Module, type OnModuleDestroy } from '@nestjs/common';
import { AnnouncementRelay } from './accounts/announcement.relay';
import { LedgerRepository } from './accounts/ledger.repository';
import { LedgerService } from './accounts/ledger.service';
import { LedgerCommandsController } from './commands/ledger-commands.controller';
import { LedgerCommandsService } from './commands/ledger-commands.service';
import type { LedgerConfig } from './ledger.config';
import { LEDGER_CLOCK, LEDGER_CONFIG, type Clock } from './ledger.constants';
import { StakeController } from './stake/stake.controller';
import { StakeService } from './stake/stake.service';

export interface LedgerAppOptions {
  readonly config: LedgerConfig;
  /** PgLedgerRepository in pods and the devnet; InMemoryLedgerRepository in unit tests. */
  readonly repository: LedgerRepository;
  readonly clock?: Clock;
}

class RepositoryLifecycle implements OnModuleDestroy {
  constructor(
    @Inject(LedgerRepository) private readonly repository: LedgerRepository,
    private readonly relay: AnnouncementRelay,
  ) {}
  async onModuleDestroy(): Promise<void> {
    // The relay's pass in hand finishes first: it reads and writes through the repository.
    await this.relay.stop();
    await this.repository.close();
  }
}

/** The ledger service: StakeLedger gRPC + the aegis.ledger-commands.v1 consumer. */
@Module({})
export class LedgerAppModule {
  static forRoot(options: LedgerAppOptions): DynamicModule {
    return {
      module: LedgerAppModule,
      controllers: [StakeController, LedgerCommandsController],
      providers: [
        { provide: LEDGER_CONFIG, useValue: options.config },
        { provide: LEDGER_CLOCK, useValue: options.clock ?? (() => new Date()) },
        { provide: LedgerRepository, useValue: options.repository },
        RepositoryLifecycle,
        AnnouncementRelay,
        LedgerService,
        StakeService,
        LedgerCommandsService,
      ],
      exports: [LedgerService, LedgerRepository],
    };
  }
}
