import { isTopicName } from '@aegis/contracts';
import type { MessageHandler } from '@nestjs/microservices';
import { EventBusServer } from '../event-bus.server';

/**
 * EventBusServer for hybrid apps. Nest hands every connected transport the handlers of every
 * controller, so the bus would also be offered the @GrpcMethod patterns (JSON strings) and try to
 * subscribe to them as topics; this keeps only @EventPattern handlers on known topics.
 */
export class TopicEventBusServer extends EventBusServer {
  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler?: boolean, extras?: Record<string, unknown>): void {
    if (isEventHandler && typeof pattern === 'string' && isTopicName(pattern)) super.addHandler(pattern, callback, isEventHandler, extras);
  }
}
