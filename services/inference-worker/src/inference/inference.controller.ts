import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type BusRecord, PoisonMessageError } from '@aegis/bus';
import { ContractsError, decodeTopicMessage, TOPICS } from '@aegis/contracts';
import { InferenceService } from './inference.service';

/** Thin bus handler: decode (undecodable -> dead letter) and hand off. */
@Controller()
export class InferenceController {
  constructor(private readonly inference: InferenceService) {}

  @EventPattern(TOPICS.tasks)
  async onTask(@Payload() record: BusRecord): Promise<void> {
    let task;
    try {
      task = decodeTopicMessage(TOPICS.tasks, record.value);
    } catch (e) {
      if (e instanceof ContractsError) throw new PoisonMessageError('undecodable', e.field, e.message, { cause: e });
      throw e;
    }
    await this.inference.onTask(task);
  }
}
