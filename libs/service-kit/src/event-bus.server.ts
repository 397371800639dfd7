import { type ArgumentsHost, Catch, type RpcExceptionFilter } from '@nestjs/common';
import { type CustomTransportStrategy, Server } from '@nestjs/microservices';
import { isObservable, lastValueFrom, type Observable, throwError } from 'rxjs';
import {
  type BusRecord,
  type DeliveryOrdering,
  type EventBus,
  PoisonMessageError,
  recordKeyProblem,
  type RetryPolicy,
  type Subscription,
} from '@aegis/bus';

/**
 * A NestJS transport over the project's EventBus port, so handlers are plain
 * `@EventPattern(TOPICS.x)` methods and the same controllers run on Kafka (distributed mode) and
 * on the in-process bus (devnet).
 *
 * Unlike Nest's built-in event dispatch (which logs a handler's error and moves on), this awaits
 * the handler and lets its error reach the bus: the record is then retried or, for a
 * PoisonMessageError, dead-lettered. That is what makes delivery at-least-once.
 */
export class EventBusServer extends Server implements CustomTransportStrategy {
  private subscription: Subscription | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly options: { groupId: string; retry?: RetryPolicy; fromBeginning?: boolean; ordering?: DeliveryOrdering },
  ) {
    super();
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      const topics = [...this.messageHandlers.keys()];
      if (topics.length > 0) {
        this.subscription = await this.bus.subscribe({
          topics,
          groupId: this.options.groupId,
          retry: this.options.retry,
          fromBeginning: this.options.fromBeginning,
          ordering: this.options.ordering,
          handler: (record) => this.dispatch(record),
        });
      }
      callback();
    } catch (err) {
      callback(err);
    }
  }

  private async dispatch(record: BusRecord): Promise<void> {
    const handler = this.messageHandlers.get(record.topic);
    if (!handler) throw new Error(`no handler for topic ${record.topic}`);
    // Checked once here for every consumer: a handler never sees a record keyed against the rules.
    const keyProblem = recordKeyProblem(record.topic, record.key);
    if (keyProblem !== undefined) throw new PoisonMessageError('invalid', 'key', keyProblem);
    const out: unknown = await handler(record);
    if (isObservable(out)) await lastValueFrom(out as Observable<unknown>, { defaultValue: undefined });
  }

  async close(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  on(): never {
    throw new Error('EventBusServer does not emit transport events');
  }

  unwrap<T>(): T {
    return this.bus as T;
  }
}

/**
 * Register with `app.useGlobalFilters` on bus-driven apps: hands every handler error back to the
 * transport unchanged (Nest's default RPC filter would replace it with a generic error and lose
 * the PoisonMessageError type that routes a record to the dead-letter topic).
 */
@Catch()
export class RethrowToTransportFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}
