import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type BusRecord, PoisonMessageError } from '@aegis/bus';
import { ContractsError, decodeTopicMessage, TOPICS } from '@aegis/contracts';
import { PowCheckService } from './pow-check.service';

/** Thin bus handler: decode (undecodable -> dead letter) and hand off. */
@Controller()
export class PowCheckController {
  constructor(private readonly checker: PowCheckService) {}

  @EventPattern(TOPICS.verdicts)
  async onVerdict(@Payload() record: BusRecord): Promise<void> {
    let verdict;
    try {
      verdict = decodeTopicMessage(TOPICS.verdicts, record.value);
    } catch (e) {
      if (e instanceof ContractsError) throw new PoisonMessageError('undecodable', e.field, e.message, { cause: e });
      throw e;
    }
    await this.checker.onVerdict(verdict, record.attempt);
  }
}
