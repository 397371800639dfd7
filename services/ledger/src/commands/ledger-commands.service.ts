import { Inject, Injectable } from '@nestjs/common';
import { isLedgerError, type LedgerCommand } from '@aegis/ledger';
import { SERVICE_LOGGER } from '@aegis/service-kit';
import type { Logger } from 'pino';
import { LedgerService } from '../accounts/ledger.service';

/**
 * Commands from the tallier. Idempotent by key (the store's guarantee). A ledger refusal is final:
 * logged, announced as a REFUSED LedgerEvent, and the record committed; anything else (database
 * down) propagates so the bus retries the record in place.
 */
@Injectable()
export class LedgerCommandsService {
  constructor(
    private readonly ledger: LedgerService,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  async handle(command: LedgerCommand): Promise<void> {
    try {
      await this.ledger.execute(command);
    } catch (err) {
      if (!isLedgerError(err)) throw err;
      this.logger.warn({ key: command.key, kind: command.kind, code: err.code, field: err.field }, 'ledger command refused');
      await this.ledger.announceRefusal(command, err);
    }
  }
}
