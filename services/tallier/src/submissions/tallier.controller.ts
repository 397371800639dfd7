import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type BusRecord, PoisonMessageError } from '@aegis/bus';
import { ContractsError, decodeTopicMessage, type TopicName, type TopicMessage, TOPICS } from '@aegis/contracts';
import { TallierService } from './tallier.service';

/** Thin bus handlers: decode (undecodable -> dead letter) and hand off. */
@Controller()
export class TallierController {
  constructor(private readonly tallier: TallierService) {}

  @EventPattern(TOPICS.results)
  async onResult(@Payload() record: BusRecord): Promise<void> {
    await this.tallier.onResult(decode(TOPICS.results, record), record.attempt);
  }

  @EventPattern(TOPICS.checkedVerdicts)
  async onCheckedVerdict(@Payload() record: BusRecord): Promise<void> {
    await this.tallier.onCheckedVerdict(decode(TOPICS.checkedVerdicts, record));
  }
}

function decode<T extends TopicName>(topic: T, record: BusRecord): TopicMessage<T> {
  try {
    return decodeTopicMessage(topic, record.value);
  } catch (e) {
    if (e instanceof ContractsError) throw new PoisonMessageError('undecodable', e.field, e.message, { cause: e });
    throw e;
  }
}
