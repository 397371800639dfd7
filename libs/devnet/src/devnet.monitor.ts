import { decodingHandler, routeByTopic, type EventBus, type Subscription } from '@aegis/bus';
import { LedgerOutcome, TaskStatus, TOPICS } from '@aegis/contracts';

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const FINAL = new Set([TaskStatus.ACCEPTED, TaskStatus.REJECTED, TaskStatus.FAILED]);

export interface DevnetCounts {
  readonly completed: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly failed: number;
  readonly results: number;
  readonly verdicts: number;
  readonly checkedVerdicts: number;
  readonly disputesOpened: number;
  readonly disputesResolved: number;
  readonly liquidated: readonly string[];
  readonly ledgerCommands: number;
  readonly ledgerEvents: number;
  readonly deadLetters: number;
}

/**
 * The devnet's view of the network, folded from the bus like any other consumer (its own groups,
 * from the beginning): final task statuses, verdict and dispute counts, liquidations the ledger
 * applied, and whether every ledger command has been answered. It reads; it never publishes.
 */
export class DevnetMonitor {
  /** task hash -> latest (sequence, status). */
  private readonly tasks = new Map<string, { sequence: bigint; status: TaskStatus }>();
  private readonly finals = new Map<string, TaskStatus>();
  private readonly opened = new Set<string>();
  private readonly resolved = new Set<string>();
  private readonly liquidated = new Set<string>();
  private readonly commandKeys = new Set<string>();
  private readonly answeredKeys = new Set<string>();
  private results = 0;
  private verdicts = 0;
  private checked = 0;
  private deadLetters = 0;
  private readonly deadLetterDetails: string[] = [];
  private subscription: Subscription | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly statusListeners = new Set<(taskHash: string, status: TaskStatus, appendedAt: number) => void>();

  async start(bus: EventBus, groupSuffix: string): Promise<void> {
    this.subscription = await bus.subscribe({
      topics: [
        TOPICS.taskStatus,
        TOPICS.results,
        TOPICS.verdicts,
        TOPICS.checkedVerdicts,
        TOPICS.disputes,
        TOPICS.ledgerCommands,
        TOPICS.ledgerEvents,
        TOPICS.deadLetter,
      ],
      groupId: `aegis.devnet.monitor.${groupSuffix}`,
      fromBeginning: true,
      // A fold of counts and per-task latest statuses (by sequence): order matters within a key only.
      ordering: 'key',
      handler: routeByTopic({
        [TOPICS.taskStatus]: decodingHandler(TOPICS.taskStatus, async (m, record) => {
          const key = hex(m.taskHash);
          const prev = this.tasks.get(key);
          if (!prev || m.sequence >= prev.sequence) this.tasks.set(key, { sequence: m.sequence, status: m.status });
          if (FINAL.has(m.status)) this.finals.set(key, m.status);
          for (const listener of this.statusListeners) listener(key, m.status, record.timestamp);
          this.changed();
        }),
        [TOPICS.results]: decodingHandler(TOPICS.results, async () => void (this.results++, this.changed())),
        [TOPICS.verdicts]: decodingHandler(TOPICS.verdicts, async () => void (this.verdicts++, this.changed())),
        [TOPICS.checkedVerdicts]: decodingHandler(TOPICS.checkedVerdicts, async () => void (this.checked++, this.changed())),
        [TOPICS.disputes]: decodingHandler(TOPICS.disputes, async (m) => {
          if (m.event.case === 'opened') this.opened.add(hex(m.event.value.disputeId));
          if (m.event.case === 'resolved') this.resolved.add(hex(m.event.value.disputeId));
          this.changed();
        }),
        [TOPICS.ledgerCommands]: decodingHandler(
          TOPICS.ledgerCommands,
          async (m) => void (this.commandKeys.add(m.idempotencyKey), this.changed()),
        ),
        [TOPICS.ledgerEvents]: decodingHandler(TOPICS.ledgerEvents, async (m) => {
          this.answeredKeys.add(m.idempotencyKey);
          if (m.kind === 'liquidate' && m.outcome === LedgerOutcome.APPLIED) {
            for (const p of m.entry?.postings ?? []) {
              const match = /^(?:stake|unbonding):(0x[0-9a-f]{40})$/.exec(p.account);
              if (match?.[1] && p.delta.startsWith('-')) this.liquidated.add(match[1]);
            }
          }
          this.changed();
        }),
        [TOPICS.deadLetter]: decodingHandler(TOPICS.deadLetter, async (m) => {
          this.deadLetters++;
          if (this.deadLetterDetails.length < 20) this.deadLetterDetails.push(`${m.topic} (${m.groupId}): ${m.detail}`);
          this.changed();
        }),
      }),
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  /** Calls `listener` after every change; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Calls `listener` with every status change as it is folded, with the broker's append time:
   * for a reader that needs the changes themselves (the bench's stage clock) without a second
   * consumer of the topic. Returns the unsubscribe.
   */
  onStatus(listener: (taskHash: string, status: TaskStatus, appendedAt: number) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** The first few dead-lettered records: topic, group and reason. */
  deadLetterReasons(): readonly string[] {
    return this.deadLetterDetails;
  }

  finalStatus(taskHash: string): TaskStatus | undefined {
    return this.finals.get(taskHash);
  }

  counts(taskHashes?: ReadonlySet<string>): DevnetCounts {
    const finals = [...this.finals.entries()].filter(([h]) => !taskHashes || taskHashes.has(h)).map(([, s]) => s);
    return {
      completed: finals.length,
      accepted: finals.filter((s) => s === TaskStatus.ACCEPTED).length,
      rejected: finals.filter((s) => s === TaskStatus.REJECTED).length,
      failed: finals.filter((s) => s === TaskStatus.FAILED).length,
      results: this.results,
      verdicts: this.verdicts,
      checkedVerdicts: this.checked,
      disputesOpened: this.opened.size,
      disputesResolved: [...this.opened].filter((d) => this.resolved.has(d)).length,
      liquidated: [...this.liquidated].sort(),
      ledgerCommands: this.commandKeys.size,
      ledgerEvents: [...this.commandKeys].filter((k) => this.answeredKeys.has(k)).length,
      deadLetters: this.deadLetters,
    };
  }

  /** Every given task final, every dispute resolved, every ledger command answered. */
  settled(taskHashes: ReadonlySet<string>): boolean {
    const c = this.counts(taskHashes);
    return c.completed === taskHashes.size && c.disputesOpened === c.disputesResolved && c.ledgerEvents === c.ledgerCommands;
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
