import { Inject, Injectable } from '@nestjs/common';
import { BatchRunner, type EventBus, type OutgoingRecord, SendCoalescer } from '@aegis/bus';
import type { Logger } from 'pino';
import { createTopicMessage, encodeTopicMessage, LedgerOutcome, movesStake, TOPICS } from '@aegis/contracts';
import type { LedgerCommand, LedgerError } from '@aegis/ledger';
import { EVENT_BUS, SERVICE_LOGGER } from '@aegis/service-kit';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { LEDGER_CLOCK, type Clock } from '../ledger.constants';
import { LedgerRepository, type AccountView, type BatchApplied, type EntryPage, type EntryView } from './ledger.repository';

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
 *
 * Commands that arrive while others are being applied (concurrent EscrowFee calls from ingress,
 * tallier commands from several partitions) are applied together in one store transaction
 * (LedgerRepository.applyBatch) and announced in one produce request: the per-task fee flow
 * costs two round trips and one publish per batch instead of per command. A batch that fails
 * as a whole (database or broker down) is retried command by command, each then a replay or a
 * first application as it turns out.
 */
@Injectable()
export class LedgerService {
  private readonly announcedMarks = new SendCoalescer<string>((keys) => this.repository.markAnnounced(keys), 1_000);
  private readonly applier = new BatchRunner<LedgerCommand, BatchApplied>((commands) => this.applyAndAnnounce(commands), 64);

  constructor(
    private readonly repository: LedgerRepository,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(LEDGER_CLOCK) private readonly clock: Clock,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  now(): Date {
    return this.clock();
  }

  /** Applies and announces one command; throws its LedgerError when refused. */
  async execute(command: LedgerCommand): Promise<Executed> {
    return executedOf(await this.applier.run(command));
  }

  /** Several commands of one caller, queued as one batch; one promise each, rejecting with its LedgerError. */
  executeAll(commands: readonly LedgerCommand[]): Promise<Executed>[] {
    return this.applier.runAll(commands).map(async (outcome) => executedOf(await outcome));
  }

  private async applyAndAnnounce(commands: readonly LedgerCommand[]): Promise<BatchApplied[]> {
    const at = this.clock();
    const outcomes = await this.repository.applyBatch(commands, at);
    const records: OutgoingRecord[] = [];
    const keys: string[] = [];
    outcomes.forEach((o, i) => {
      if (!o.ok) return;
      const command = commands[i] as LedgerCommand;
      records.push(...this.eventRecords(command, at, o.applied.applied ? LedgerOutcome.APPLIED : LedgerOutcome.REPLAYED, o.applied.entry));
      keys.push(command.key);
    });
    await this.bus.publishBatch(records);
    await this.markAnnounced(keys);
    return outcomes;
  }

  /** A refused bus command: announced so its sender learns, then dropped (never retried). */
  async announceRefusal(command: LedgerCommand, error: LedgerError): Promise<void> {
    await this.bus.publishBatch(this.eventRecords(command, this.clock(), LedgerOutcome.REFUSED, undefined, error));
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
      await this.bus.publishBatch(this.eventRecords({ key: entry.idempotencyKey, kind: entry.kind }, at, LedgerOutcome.APPLIED, entry));
      await this.markAnnounced([entry.idempotencyKey]);
    }
    return overdue.length;
  }

  /** Coalesced: concurrent commands share one UPDATE. A failure only means a later re-announcement. */
  private async markAnnounced(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.announcedMarks
      .send(keys)
      .catch((err: unknown) =>
        this.logger.warn(
          { keys, err: err instanceof Error ? err.message : String(err) },
          'could not mark a ledger event announced; it will be announced again',
        ),
      );
  }

  account(address: string): Promise<AccountView> {
    return this.repository.account(address);
  }

  entriesOf(address: string, pageSize: number, after: bigint): Promise<EntryPage> {
    return this.repository.entriesOf(address, pageSize, after);
  }

  /** The LedgerEvent announcing `outcome`, on aegis.ledger-events.v1 and, if it moves a stake, aegis.stake-events.v1. */
  private eventRecords(
    command: Pick<LedgerCommand, 'key' | 'kind'>,
    at: Date,
    outcome: LedgerOutcome,
    entry?: EntryView,
    error?: LedgerError,
  ): OutgoingRecord[] {
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
    return records;
  }
}

function executedOf(outcome: BatchApplied): Executed {
  if (!outcome.ok) throw outcome.error;
  return { applied: outcome.applied.applied, entry: outcome.applied.entry };
}
