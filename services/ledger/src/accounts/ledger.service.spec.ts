import { BusError, BusErrorCode, InProcessEventBus, type BusRecord, type EventBus } from '@aegis/bus';
import { ALL_TOPICS, decodeTopicMessage, LedgerOutcome, TOPICS } from '@aegis/contracts';
import { LedgerError, LedgerErrorCode, type LedgerCommand } from '@aegis/ledger';
import { waitFor } from '@aegis/testing';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InMemoryLedgerRepository } from './in-memory-ledger.repository';
import { LedgerService } from './ledger.service';

const CLIENT = `0x${'c1'.repeat(20)}`;
const NOW = new Date('2026-01-01T00:00:00Z');
const escrow = (task: number, amount: bigint): LedgerCommand => ({
  kind: 'escrow-fee',
  key: `escrow:${task}`,
  taskId: `0x${task.toString(16).padStart(64, '0')}`,
  client: CLIENT,
  amount,
});

describe('LedgerService: concurrent commands', () => {
  let bus: InProcessEventBus;
  let repository: InMemoryLedgerRepository;
  /** Which publish (counting from 1 after the seed deposit) fails, a broker outage after COMMIT. */
  let failPublish: number | undefined;
  let publishes: number;
  let sut: LedgerService;
  const events: { key: string; outcome: LedgerOutcome }[] = [];

  beforeEach(async () => {
    bus = new InProcessEventBus({ topics: ALL_TOPICS });
    repository = new InMemoryLedgerRepository({ minStake: 1_000n, unbondingSeconds: 60 });
    failPublish = undefined;
    publishes = 0;
    // The same bus, except that publish number `failPublish` fails.
    const flaky: EventBus = {
      publish: (...args) => bus.publish(...args),
      publishBatch: async (records) => {
        if (++publishes === failPublish) throw new BusError(BusErrorCode.PUBLISH_FAILED, 'topic', 'broker unavailable (test)');
        return bus.publishBatch(records);
      },
      subscribe: (options) => bus.subscribe(options),
      endOffsets: (topic) => bus.endOffsets(topic),
      close: () => bus.close(),
    };
    sut = new LedgerService(repository, flaky, () => NOW, pino({ level: 'silent' }));
    events.length = 0;
    await bus.subscribe({
      topics: [TOPICS.ledgerEvents],
      groupId: 'test.events',
      handler: async (r: BusRecord) => {
        const e = decodeTopicMessage(TOPICS.ledgerEvents, r.value);
        events.push({ key: e.idempotencyKey, outcome: e.outcome });
      },
    });
    await sut.execute({ kind: 'deposit', key: 'seed', address: CLIENT, amount: 1_000n });
    publishes = 0;
  });

  afterEach(async () => {
    await bus.close();
  });

  it('applies the commands that arrive during a batch together; each caller gets its own outcome', async () => {
    const batches = vi.spyOn(repository, 'applyBatch');
    // Five escrows of 300 against 1000: three fit. All are sent at once, so the first runs alone
    // and the other four arrive while it is in flight and share the next batch.
    const settled = await Promise.allSettled([1, 2, 3, 4, 5].map((t) => sut.execute(escrow(t, 300n))));
    expect(batches.mock.calls.map(([commands]) => commands.length)).toEqual([1, 4]);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value.applied : (s.reason as LedgerError).code))).toEqual([
      true,
      true,
      true,
      LedgerErrorCode.INSUFFICIENT_FUNDS,
      LedgerErrorCode.INSUFFICIENT_FUNDS,
    ]);
    expect(settled.filter((s) => s.status === 'rejected').every((s) => (s as PromiseRejectedResult).reason instanceof LedgerError)).toBe(
      true,
    );
    await waitFor('the three escrows announced', () => events.length >= 4);
    expect(events.slice(1)).toEqual([1, 2, 3].map((t) => ({ key: `escrow:${t}`, outcome: LedgerOutcome.APPLIED })));
    expect((await repository.checkInvariant()).ok).toBe(true);
  });

  it('retries a batch that failed as a whole command by command: applied once, announced as a replay', async () => {
    failPublish = 2; // the second batch ([11, 12]) commits, then its publish fails
    const outcomes = await Promise.all([10, 11, 12].map((t) => sut.execute(escrow(t, 100n))));
    expect(outcomes.map((o) => o.applied)).toEqual([true, false, false]);
    await waitFor('all three escrows announced', () => events.length >= 4);
    expect(events.slice(1)).toEqual([
      { key: 'escrow:10', outcome: LedgerOutcome.APPLIED },
      { key: 'escrow:11', outcome: LedgerOutcome.REPLAYED },
      { key: 'escrow:12', outcome: LedgerOutcome.REPLAYED },
    ]);
    expect((await repository.account(CLIENT)).free).toBe(700n);
  });
});
