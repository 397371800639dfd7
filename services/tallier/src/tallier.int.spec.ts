import { InProcessEventBus } from '@aegis/bus';
import { ALL_TOPICS, decodeTopicMessage, type LedgerCommand, StakeView, TaskStatus, TOPICS } from '@aegis/contracts';
import { toHex, VerdictKind } from '@aegis/protocol';
import { bootstrapService, type RunningService } from '@aegis/service-kit';
import { waitFor, testDatabaseUrl } from '@aegis/testing';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from './clock';
import { migrateTallier, tallierDataSource } from './persistence/tallier.data-source';
import { TallierService } from './submissions/tallier.service';
import { TALLIER_CONSUMER } from './tallier.constants';
import { TallierModule } from './tallier.module';
import {
  checkedVerdictMessage,
  encodeChecked,
  encodeResult,
  resultMessage,
  tallierTestOptions,
  taskSpec,
  testKey,
  WINDOW_MS,
} from './testing/tallier.fixtures';

const DATABASE_URL = testDatabaseUrl();

const submitter = testKey(0);
const verifiers = [testKey(1), testKey(2), testKey(3), testKey(4)];

interface Seen {
  commands: LedgerCommand[];
  statuses: { status: TaskStatus; sequence: bigint }[];
  disputes: string[];
  submissions: number;
}

describe('tallier on Postgres and the in-process bus', () => {
  let ds: DataSource;
  let bus: InProcessEventBus;
  let service: RunningService;
  let clock: ManualClock;
  let seen: Seen;

  beforeAll(async () => {
    ds = tallierDataSource(DATABASE_URL, 4);
    await ds.initialize();
    await ds.query('DROP SCHEMA IF EXISTS tallier CASCADE');
    await migrateTallier(ds);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  beforeEach(async () => {
    await ds.query('TRUNCATE tallier.outbox, tallier.beacons, tallier.disputes, tallier.verdicts, tallier.submissions');
    clock = new ManualClock();
    bus = new InProcessEventBus({ topics: ALL_TOPICS, logger: pino({ level: 'silent' }) });
    const stakes = new StakeView(100n);
    for (const k of [submitter, ...verifiers]) stakes.set(k.address, 1_000n);
    seen = { commands: [], statuses: [], disputes: [], submissions: 0 };
    await bus.subscribe({
      topics: [TOPICS.ledgerCommands, TOPICS.taskStatus, TOPICS.disputes, TOPICS.submissions],
      groupId: 'test.observer',
      handler: async (r) => {
        if (r.topic === TOPICS.ledgerCommands) seen.commands.push(decodeTopicMessage(TOPICS.ledgerCommands, r.value));
        if (r.topic === TOPICS.taskStatus) {
          const s = decodeTopicMessage(TOPICS.taskStatus, r.value);
          seen.statuses.push({ status: s.status, sequence: s.sequence });
        }
        if (r.topic === TOPICS.disputes) seen.disputes.push(decodeTopicMessage(TOPICS.disputes, r.value).event.case ?? 'none');
        if (r.topic === TOPICS.submissions) seen.submissions++;
      },
    });
    service = await bootstrapService({
      name: 'tallier',
      module: TallierModule.forRoot({ options: tallierTestOptions(clock), dataSource: ds, stakeView: stakes }),
      logger: pino({ level: 'silent' }),
      bus,
      ownsBus: false,
      host: '127.0.0.1',
      grpc: { port: 0, services: [] },
      metricsPort: null,
      consumer: TALLIER_CONSUMER,
      handleSignals: false,
    });
  });

  const teardown = async (): Promise<void> => {
    await service.close();
    await bus.close();
  };

  it('liquidates a rejected submitter exactly once though every message is delivered twice', async () => {
    const result = resultMessage(submitter, taskSpec(1n));
    const key = toHex(result.taskHash);
    for (let i = 0; i < 2; i++) await bus.publish(TOPICS.results, key, encodeResult(result));
    await waitFor('submission published', () => seen.submissions === 1);

    clock.advance(1_000);
    for (const v of verifiers) {
      const bytes = encodeChecked(checkedVerdictMessage(v, result, VerdictKind.REJECT));
      await bus.publish(TOPICS.checkedVerdicts, key, bytes);
      await bus.publish(TOPICS.checkedVerdicts, key, bytes);
    }
    const tallier = service.app.get(TallierService);
    await waitFor('four join-dispute commands', () => seen.commands.filter((c) => c.command.case === 'joinDispute').length === 4);

    expect(await tallier.tick()).toBe(0); // the dispute window is still open
    clock.advance(WINDOW_MS + 1_000);
    expect(await tallier.tick()).toBe(1);
    expect(await tallier.tick()).toBe(0);
    await waitFor('distribution', () => seen.commands.some((c) => c.command.case === 'distributePool'));
    await waitFor('rejected status', () => seen.statuses.some((s) => s.status === TaskStatus.REJECTED));

    const byCase = (c: string): LedgerCommand[] => seen.commands.filter((x) => x.command.case === c);
    expect(byCase('openDispute')).toHaveLength(1);
    expect(byCase('liquidate')).toHaveLength(1);
    const liquidated = byCase('liquidate')[0]?.command;
    expect(liquidated?.case === 'liquidate' && toHex(liquidated.value.address)).toBe(submitter.address);
    const pool = byCase('distributePool')[0]?.command;
    const winners = pool?.case === 'distributePool' ? pool.value.winners.map((w) => toHex(w)) : [];
    expect(winners).toEqual(verifiers.map((v) => v.address).sort());
    const payout = byCase('payoutFee')[0]?.command;
    expect(byCase('payoutFee')).toHaveLength(1);
    expect(payout?.case === 'payoutFee' && payout.value.submitterShareBps).toBe(0);
    // Every idempotency key once: a redelivered message produced nothing new.
    const keys = seen.commands.map((c) => c.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(1 + 4 + 1 + 1 + 1);

    expect(seen.statuses.map((s) => s.status)).toEqual([
      TaskStatus.SUBMITTED,
      TaskStatus.VERIFYING,
      TaskStatus.DISPUTED,
      TaskStatus.REJECTED,
    ]);
    expect(seen.statuses.map((s) => s.sequence)).toEqual([2n, 3n, 4n, 5n]);
    expect(seen.disputes).toEqual(['opened', 'resolved']);
    const [row] = await ds.query(`SELECT phase FROM tallier.submissions WHERE task_hash = $1`, [key]);
    expect(row.phase).toBe('decided');
    await teardown();
  });

  it('accepts on the fast path and pays the fee once when all verifiers accept', async () => {
    const result = resultMessage(submitter, taskSpec(2n));
    const key = toHex(result.taskHash);
    await bus.publish(TOPICS.results, key, encodeResult(result));
    await waitFor('submission published', () => seen.submissions === 1);
    for (const v of verifiers)
      await bus.publish(TOPICS.checkedVerdicts, key, encodeChecked(checkedVerdictMessage(v, result, VerdictKind.ACCEPT)));
    await waitFor('accepted status', () => seen.statuses.some((s) => s.status === TaskStatus.ACCEPTED));

    clock.advance(WINDOW_MS);
    expect(await service.app.get(TallierService).tick()).toBe(1);
    await waitFor('fee payout', () => seen.commands.some((c) => c.command.case === 'payoutFee'));
    expect(seen.commands.map((c) => c.command.case)).toEqual(['payoutFee']);
    const payout = seen.commands[0]?.command;
    expect(payout?.case === 'payoutFee' && payout.value.submitterShareBps).toBe(5_000);
    // ACCEPTED is reported once, on the fast path; the decision at window close repeats nothing.
    expect(seen.statuses.filter((s) => s.status === TaskStatus.ACCEPTED)).toHaveLength(1);
    expect(seen.disputes).toEqual([]);
    await teardown();
  });

  it('widens a silent committee to every active key, persists it, and lets the wider answers decide', async () => {
    const result = resultMessage(submitter, taskSpec(3n));
    const key = toHex(result.taskHash);
    const tallier = service.app.get(TallierService);
    await bus.publish(TOPICS.results, key, encodeResult(result));
    await waitFor('submission published', () => seen.submissions === 1);
    // Nobody answers in the first window: no acceptance unchecked, the submission is announced to every active key.
    clock.advance(WINDOW_MS);
    expect(await tallier.tick()).toBe(1);
    await waitFor('widening announced', () => seen.disputes.length === 1);
    expect(seen.disputes).toEqual(['opened']);
    const [row] = (await ds.query('SELECT phase, state FROM tallier.submissions WHERE task_hash = $1', [key])) as {
      phase: string;
      state: { widened: boolean; extensions: number };
    }[];
    expect(row).toMatchObject({ phase: 'undecided-extended', state: { widened: true, extensions: 1 } });
    expect(seen.commands).toEqual([]);
    // Every active key verifies now; all four reject (4 000 of the 5 000 active stake: over 0.66), the submitter is liquidated once.
    for (const v of verifiers)
      await bus.publish(TOPICS.checkedVerdicts, key, encodeChecked(checkedVerdictMessage(v, result, VerdictKind.REJECT)));
    await waitFor('dispute opened', () => seen.disputes.length === 2);
    // Every verdict recorded (and its row lock released) before the close: the tick skips locked rows.
    await waitFor(
      'four verdicts recorded',
      async () => Number(((await ds.query('SELECT count(*) AS n FROM tallier.verdicts')) as { n: string }[])[0]?.n) === 4,
    );
    clock.advance(WINDOW_MS);
    expect(await tallier.tick()).toBe(1);
    await waitFor('dispute resolved', () => seen.disputes.includes('resolved'));
    expect(seen.disputes).toEqual(['opened', 'opened', 'resolved']);
    await waitFor('liquidation', () => seen.commands.some((c) => c.command.case === 'liquidate'));
    expect(seen.commands.filter((c) => c.command.case === 'liquidate')).toHaveLength(1);
    expect(seen.statuses.some((st) => st.status === TaskStatus.REJECTED)).toBe(true);
    await teardown();
  });

  it('records results of many tasks handled at once on a strict beacon chain, each task once', async () => {
    const tallier = service.app.get(TallierService);
    const results = Array.from({ length: 24 }, (_, i) => resultMessage(testKey(i % 5), taskSpec(100n + BigInt(i))));
    // All at once, as partitions consumed concurrently would (they are recorded in batches, one
    // transaction each); a second result for the first task, from another node, comes with them.
    const late = resultMessage(testKey(3), taskSpec(100n), [9, 9, 9, 9]);
    expect(await Promise.all([...results, late].map((r) => tallier.onResult(r, 1)))).toEqual([
      ...results.map(() => 'recorded'),
      'duplicate',
    ]);
    // Redelivered: no-ops.
    expect(await Promise.all(results.map((r) => tallier.onResult(r, 2)))).toEqual(results.map(() => 'duplicate'));
    const links: { index: string; prev: string; beacon: string; submission_digest: string }[] = await ds.query(
      'SELECT index, prev, beacon, submission_digest FROM tallier.beacons ORDER BY index',
    );
    // One sequence 1..n, each link on the one before it (redraws add links for the same digest).
    expect(links.map((l) => Number(l.index))).toEqual(links.map((_, i) => i + 1));
    for (let i = 1; i < links.length; i++) expect(links[i]!.prev).toBe(links[i - 1]!.beacon);
    expect(new Set(links.map((l) => l.submission_digest))).toEqual(new Set(results.map((r) => toHex(r.digest))));
    const rows: { beacon: { index: number; beacon: string } }[] = await ds.query('SELECT beacon FROM tallier.submissions');
    expect(rows).toHaveLength(results.length);
    // A submission's announced link is the chain's link at that index.
    for (const { beacon } of rows) expect(links[beacon.index - 1]?.beacon).toBe(beacon.beacon);
    await waitFor('every submission published', () => seen.submissions === results.length);
    await teardown();
  });

  it('republishes outbox rows left unsent by a crash after commit', async () => {
    await service.close();
    const result = resultMessage(submitter, taskSpec(3n));
    await ds.query(`INSERT INTO tallier.outbox (topic, key, value) VALUES ($1, $2, $3)`, [
      TOPICS.results,
      toHex(result.taskHash),
      Buffer.from(encodeResult(result)),
    ]);
    const before = seen.submissions;
    const relayed: string[] = [];
    await bus.subscribe({ topics: [TOPICS.results], groupId: 'test.results', handler: async (r) => void relayed.push(r.key) });
    service = await bootstrapService({
      name: 'tallier',
      module: TallierModule.forRoot({ options: tallierTestOptions(clock), dataSource: ds, stakeView: new StakeView(100n) }),
      logger: pino({ level: 'silent' }),
      bus,
      ownsBus: false,
      host: '127.0.0.1',
      grpc: { port: 0, services: [] },
      metricsPort: null,
      handleSignals: false,
    });
    await waitFor('relay at start-up', () => relayed.length === 1);
    const [row] = await ds.query(`SELECT count(*)::int AS unsent FROM tallier.outbox WHERE sent_at IS NULL`);
    expect(row.unsent).toBe(0);
    expect(seen.submissions).toBe(before);
    await teardown();
  });
});
