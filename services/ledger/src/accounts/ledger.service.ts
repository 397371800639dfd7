import { Inject, Injectable } from '@nestjs/common';
import { type EventBus, type OutgoingRecord, SendCoalescer } from '@aegis/bus';
import type { Logger } from 'pino';
import { createTopicMessage, encodeTopicMessage, LedgerOutcome, movesStake, TOPICS } from '@aegis/contracts';
import type { LedgerCommand, LedgerError } from '@aegis/ledger';
import { EVENT_BUS, SERVICE_LOGGER } from '@aegis/service-kit';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { LEDGER_CLOCK, type Clock } from '../ledger.constants';
import { LedgerRepository, type AccountView, type EntryPage, type EntryView } from './ledger.repository';

export interface Executed {
  readonly applied: boolean;
  readonly entry: EntryView;
}

/**
 * Applies ledger commands from both edges (signed gRPC requests, tallier commands on the bus)
 * and announces each outcome on aegis.ledger-events.v1 once the store has committed it; an entry
 * that moves a stake is announced on aegis.stake-events.v1 too (same message, same request), which
 * is what stake views fold. A crash between commit and publish is healed by redelivery: the
 * replayed command publishes REPLAYED, with the entry as first applied, on both.
 */
@Injectable()
export class LedgerService {
  private readonly announcedMarks = new SendCoalescer<string>((keys) => this.repository.markAnnounced(keys), 1_000);

  constructor(
    private readonly repository: LedgerRepository,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(LEDGER_CLOCK) private readonly clock: Clock,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  now(): Date {
    return this.clock();
  }

  async execute(command: LedgerCommand): Promise<Executed> {
    const at = this.clock();
    const outcome = await this.repository.apply(command, at);
    await this.publishEvent(command, at, outcome.applied ? LedgerOutcome.APPLIED : LedgerOutcome.REPLAYED, outcome.entry);
    await this.markAnnounced(command.key);
    return { applied: outcome.applied, entry: outcome.entry };
  }

  /** A refused bus command: announced so its sender learns, then dropped (never retried). */
  async announceRefusal(command: LedgerCommand, error: LedgerError): Promise<void> {
    await this.publishEvent(command, this.clock(), LedgerOutcome.REFUSED, undefined, error);
  }

  /**
   * Announces (APPLIED, again) every command applied before `before` whose announcement was never
   * marked: its process died between COMMIT and publishing, and no redelivery came (a gRPC caller
   * that gave up). Consumers count an entry once by its sequence, so announcing one twice is
   * harmless; never announcing it would leave every stake view without that stake change.
   * Returns how many it announced.
   */
  async announceOverdue(before: Date, limit = 500): Promise<number> {
    const overdue = await this.repository.unannounced(before, limit);
    const at = this.clock();
    for (const entry of overdue) {
      await this.publishEvent({ key: entry.idempotencyKey, kind: entry.kind }, at, LedgerOutcome.APPLIED, entry);
      await this.markAnnounced(entry.idempotencyKey);
    }
    return overdue.length;
  }

  /** Coalesced: concurrent commands share one UPDATE. A failure only means a later re-announcement. */
  private async markAnnounced(key: string): Promise<void> {
    await this.announcedMarks.send([key]).catch((err: unknown) => this.logger.warn({ key, err: err instanceof Error ? err.message : String(err) }, 'could not mark a ledger event announced; it will be announced again'));
  }

  account(address: string): Promise<AccountView> {
    return this.repository.account(address);
  }

  entriesOf(address: string, pageSize: number, after: bigint): Promise<EntryPage> {
    return this.repository.entriesOf(address, pageSize, after);
  }

  private async publishEvent(command: Pick<LedgerCommand, 'key' | 'kind'>, at: Date, outcome: LedgerOutcome, entry?: EntryView, error?: LedgerError): Promise<void> {
    const event = createTopicMessage(TOPICS.ledgerEvents, {
      idempotencyKey: command.key,
      kind: command.kind,
      outcome,
      ...(entry
        ? {
            entry: {
              sequence: entry.sequence,
              idempotencyKey: entry.idempotencyKey,
              kind: entry.kind,
              postings: entry.postings.map((p) => ({ account: p.account, delta: p.amount.toString() })),
              appliedAt: timestampFromDate(entry.appliedAt),
            },
          }
        : {}),
      ...(error ? { errorCode: error.code, errorField: error.field, errorMessage: error.message } : {}),
      at: timestampFromDate(at),
    });
    const value = encodeTopicMessage(TOPICS.ledgerEvents, event);
    const records: OutgoingRecord[] = [{ topic: TOPICS.ledgerEvents, key: command.key, value }];
    if (entry !== undefined && outcome !== LedgerOutcome.REFUSED && movesStake(entry.postings)) {
      records.push({ topic: TOPICS.stakeEvents, key: command.key, value });
    }
    await this.bus.publishBatch(records);
  }
}
