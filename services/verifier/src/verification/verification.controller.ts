import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type BusRecord, PoisonMessageError } from '@aegis/bus';
import { ContractsError, decodeTopicMessage, type TopicMessage, type TopicName, TOPICS } from '@aegis/contracts';
import { VerificationService } from './verification.service';

/** Thin bus handlers: decode (undecodable -> dead letter) and hand off. */
@Controller()
export class VerificationController {
  constructor(private readonly verification: VerificationService) {}

  @EventPattern(TOPICS.submissions)
  async onSubmission(@Payload() record: BusRecord): Promise<void> {
    await this.verification.onSubmission(decode(TOPICS.submissions, record));
  }

  @EventPattern(TOPICS.disputes)
  async onDispute(@Payload() record: BusRecord): Promise<void> {
    await this.verification.onDispute(decode(TOPICS.disputes, record));
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
