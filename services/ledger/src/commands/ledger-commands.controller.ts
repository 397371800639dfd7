import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { PoisonMessageError, type BusRecord } from '@aegis/bus';
import { ContractsError, decodeTopicMessage, TOPICS } from '@aegis/contracts';
import { LedgerCommandsService } from './ledger-commands.service';
import { commandFromMessage } from './ledger-command.mapper';

/** aegis.ledger-commands.v1 (group aegis.ledger.v1): decode, map, hand off. */
@Controller()
export class LedgerCommandsController {
  constructor(private readonly commands: LedgerCommandsService) {}

  @EventPattern(TOPICS.ledgerCommands)
  async onCommand(@Payload() record: BusRecord): Promise<void> {
    let message;
    try {
      message = decodeTopicMessage(TOPICS.ledgerCommands, record.value);
    } catch (err) {
      if (err instanceof ContractsError) throw new PoisonMessageError('undecodable', err.field, err.message, { cause: err });
      throw err;
    }
    await this.commands.handle(commandFromMessage(message));
  }
}
