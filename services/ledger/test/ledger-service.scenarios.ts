import { BusError, BusErrorCode, type EventBus, InProcessEventBus, type BusRecord } from '@aegis/bus';
import {
  ALL_TOPICS,
  createTopicMessage,
  decodeTopicMessage,
  encodeTopicMessage,
  GRPC_SERVICES,
  LedgerOutcome,
  TOPICS,
} from '@aegis/contracts';
import { signStakeRequest, type StakeRequest } from '@aegis/ledger';
import { NodeKey, keccak256, utf8 } from '@aegis/protocol';
import { GrpcServiceClient, GrpcStatus, grpcStatusOf, type RunningService } from '@aegis/service-kit';
import { waitFor } from '@aegis/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerRepository } from '../src/accounts/ledger.repository';
import { LedgerService } from '../src/accounts/ledger.service';
import { startLedgerApp } from '../src/ledger.app';
import type { AccountWire } from '../src/stake/stake.wire';

const MIN_STAKE = 10_000n;
const alice = NodeKey.fromHex('0x' + 'a1'.repeat(32));
const bob = NodeKey.fromHex('0x' + 'b2'.repeat(32));
const carol = NodeKey.fromHex('0x' + 'c3'.repeat(32));
const dave = NodeKey.fromHex('0x' + 'd4'.repeat(32));
const addr = (k: NodeKey): Buffer => Buffer.from(k.address.slice(2), 'hex');

/** The same bus, except that a publish fails while `fail()` says so (and nothing is appended). */
function failingPublishes(bus: EventBus, fail: () => boolean): EventBus {
  const refuse = (): never => {
    throw new BusError(BusErrorCode.PUBLISH_FAILED, 'topic', 'broker unavailable (test)');
  };
  return {
    publish: async (...args) => (fail() ? refuse() : bus.publish(...args)),
    publishBatch: async (records) => (fail() ? refuse() : bus.publishBatch(records)),
    subscribe: (options) => bus.subscribe(options),
    endOffsets: (topic) => bus.endOffsets(topic),
    close: () => bus.close(),
  };
}

/**
 * The ledger service's behaviour, run on the in-memory store (unit) and on PgLedger (integration):
 * both must pass the same scenarios. The bus is in-process, gRPC real.
 */
export function describeLedgerService(
  name: string,
  makeRepository: (rules: { minStake: bigint; unbondingSeconds: number }) => Promise<LedgerRepository>,
  cleanup?: () => Promise<void>,
): void {
  describe(name, () => {
    let sut: RunningService;
    let bus: InProcessEventBus;
    let client: GrpcServiceClient;
    let repository: LedgerRepository;
    const events: ReturnType<typeof decodeTopicMessage<typeof TOPICS.ledgerEvents>>[] = [];
    const stakeEvents: ReturnType<typeof decodeTopicMessage<typeof TOPICS.stakeEvents>>[] = [];
    const deadLetters: string[] = [];
    /** Publishes of the ledger app to fail next (a broker outage right after COMMIT). */
    let failPublishes = 0;

    beforeAll(async () => {
      bus = new InProcessEventBus({ topics: ALL_TOPICS });
      repository = await makeRepository({ minStake: MIN_STAKE, unbondingSeconds: 60 });
      sut = await startLedgerApp({
        config: { minStake: MIN_STAKE, unbondingSeconds: 60, faucet: true },
        repository,
        bus: failingPublishes(bus, () => failPublishes-- > 0),
        ownsBus: false,
        logger: pino({ level: 'silent' }),
        host: '127.0.0.1',
        grpcPort: 0,
        metricsPort: null,
        handleSignals: false,
      });
      client = new GrpcServiceClient(GRPC_SERVICES.stakeLedger, `127.0.0.1:${sut.grpcPort}`);
      await bus.subscribe({
        topics: [TOPICS.ledgerEvents],
        groupId: 'test.events',
        handler: async (r: BusRecord) => void events.push(decodeTopicMessage(TOPICS.ledgerEvents, r.value)),
      });
      await bus.subscribe({
        topics: [TOPICS.stakeEvents],
        groupId: 'test.stake-events',
        handler: async (r: BusRecord) => void stakeEvents.push(decodeTopicMessage(TOPICS.stakeEvents, r.value)),
      });
      await bus.subscribe({
        topics: [TOPICS.deadLetter],
        groupId: 'test.dlq',
        handler: async (r: BusRecord) => void deadLetters.push(decodeTopicMessage(TOPICS.deadLetter, r.value).detail),
      });
    });
    afterAll(async () => {
      client.close();
      await sut.close();
      await bus.close();
      await cleanup?.();
    });

    const signed = (key: NodeKey, method: 'deposit' | 'stake' | 'request-unstake', amount: string, idempotencyKey: string) => {
      const request: StakeRequest = { method, address: key.address, amount, idempotencyKey };
      return { address: addr(key), amount, idempotencyKey, signature: Buffer.from(signStakeRequest(request, key)) };
    };
    const statusOf = async (call: Promise<unknown>): Promise<{ code: GrpcStatus | undefined; message: string }> => {
      try {
        await call;
      } catch (err) {
        return { code: grpcStatusOf(err), message: err instanceof Error ? err.message : String(err) };
      }
      throw new Error('expected the call to fail');
    };

    it('faucet deposit then stake makes a node active, once per idempotency key', async () => {
      await client.unary('Deposit', signed(alice, 'deposit', '15000', 'd1'));
      const first = await client.unary<{ account: AccountWire; replayed: boolean }>('Stake', signed(alice, 'stake', '10000', 's1'));
      const again = await client.unary<{ account: AccountWire; replayed: boolean }>('Stake', signed(alice, 'stake', '10000', 's1'));
      expect(first.replayed).toBe(false);
      expect(again.replayed).toBe(true);
      expect(again.account).toMatchObject({ free: '5000', staked: '10000', active: true, frozen: false });
      await waitFor('three ledger events', () => events.length >= 3);
      expect(events.map((e) => e.outcome)).toEqual([LedgerOutcome.APPLIED, LedgerOutcome.APPLIED, LedgerOutcome.REPLAYED]);
      // Stake views fold APPLIED events deduplicated by sequence: each must be unique and set.
      const sequences = events.filter((e) => e.outcome === LedgerOutcome.APPLIED).map((e) => e.entry?.sequence ?? 0n);
      expect(sequences.every((n) => n > 0n)).toBe(true);
      expect(new Set(sequences).size).toBe(sequences.length);
      expect(events[2]?.entry?.sequence).toBe(sequences[1]);
    });

    it('answers with the unbonding tranches in release order, each maturing after the unbonding delay', async () => {
      const startedSeconds = Math.floor(Date.now() / 1000);
      await client.unary('Deposit', signed(carol, 'deposit', '20000', 'c-d1'));
      await client.unary('Stake', signed(carol, 'stake', '15000', 'c-s1'));
      await client.unary('RequestUnstake', signed(carol, 'request-unstake', '1000', 'c-u1'));
      const second = await client.unary<{ account: AccountWire }>('RequestUnstake', signed(carol, 'request-unstake', '2000', 'c-u2'));
      const read = await client.unary<{ account: AccountWire }>('GetAccount', { address: addr(carol) });
      for (const account of [second.account, read.account]) {
        expect(account).toMatchObject({ free: '5000', staked: '12000', active: true, frozen: false });
        expect(account.unbonding.map((t) => t.amount)).toEqual(['1000', '2000']);
        const matures = account.unbonding.map((t) => Number(t.maturesAt.seconds));
        expect(matures[0]).toBeGreaterThanOrEqual(startedSeconds + 60);
        expect(matures[1]).toBeGreaterThanOrEqual(matures[0] as number);
      }
      expect(read.account.unbonding).toEqual(second.account.unbonding);
    });

    it('announces a committed command whose announcement was lost once it is overdue, and only once', async () => {
      const ledger = sut.app.get(LedgerService);
      const everything = (): Date => new Date(Date.now() + 60_000);
      // Every command so far was announced and marked: nothing is overdue.
      expect(await ledger.announceOverdue(everything())).toBe(0);
      await client.unary('Deposit', signed(dave, 'deposit', '20000', 'dv-d1'));
      failPublishes = 1;
      const lost = await statusOf(client.unary('Stake', signed(dave, 'stake', '12000', 'dv-s1')));
      expect(lost.code).toBeDefined();
      // Committed all the same, but no stake event: every stake view would miss dave's stake.
      const account = await client.unary<{ account: AccountWire }>('GetAccount', { address: addr(dave) });
      expect(account.account).toMatchObject({ staked: '12000', active: true });
      const isDaves = (e: { idempotencyKey: string }): boolean => e.idempotencyKey.endsWith(':dv-s1');
      expect(stakeEvents.filter(isDaves)).toHaveLength(0);
      // Not overdue yet for a grace period that started after it.
      expect(await ledger.announceOverdue(new Date(Date.now() - 60_000))).toBe(0);
      expect(await ledger.announceOverdue(everything())).toBe(1);
      await waitFor("dave's stake event", () => stakeEvents.some(isDaves));
      const announced = stakeEvents.find(isDaves);
      expect(announced?.outcome).toBe(LedgerOutcome.APPLIED);
      expect(announced?.entry?.sequence).toBeGreaterThan(0n);
      expect(announced?.entry?.postings.find((p) => p.account.startsWith('stake:'))?.delta).toBe('12000');
      expect(await ledger.announceOverdue(everything())).toBe(0);
    });

    it('refuses bad input with the right status, naming the field, and changes nothing', async () => {
      const before = (await repository.checkInvariant()).sum;
      const eventsBefore = events.length;
      const good = signed(bob, 'deposit', '100', 'x');
      const cases: [string, object, GrpcStatus, string][] = [
        ['short address', { ...good, address: Buffer.alloc(19) }, GrpcStatus.INVALID_ARGUMENT, 'address'],
        ['negative amount', { ...good, amount: '-5' }, GrpcStatus.INVALID_ARGUMENT, 'amount'],
        ['empty key', { ...good, idempotencyKey: '' }, GrpcStatus.INVALID_ARGUMENT, 'idempotency_key'],
        [
          'signature by another key',
          { ...signed(alice, 'deposit', '100', 'x'), address: addr(bob) },
          GrpcStatus.UNAUTHENTICATED,
          'signature',
        ],
        ['truncated signature', { ...good, signature: good.signature.subarray(0, 64) }, GrpcStatus.UNAUTHENTICATED, 'signature'],
      ];
      for (const [what, request, code, field] of cases) {
        const result = await statusOf(client.unary('Deposit', request));
        expect({ what, code: result.code }).toEqual({ what, code });
        expect(result.message).toContain(field);
      }
      const overStake = await statusOf(client.unary('Stake', signed(bob, 'stake', '1', 'y')));
      expect(overStake.code).toBe(GrpcStatus.FAILED_PRECONDITION);
      expect((await repository.checkInvariant()).sum).toBe(before);
      expect(events.length).toBe(eventsBefore);
    });

    it('escrows a fee only with the client signature over the task hash', async () => {
      const taskHash = keccak256(utf8('task-1'));
      const request = {
        taskHash: Buffer.from(taskHash),
        client: addr(alice),
        amount: '100',
        clientSignature: Buffer.from(bob.sign(taskHash)),
      };
      expect((await statusOf(client.unary('EscrowFee', request))).code).toBe(GrpcStatus.UNAUTHENTICATED);
      const ok = await client.unary<{ account: AccountWire }>('EscrowFee', {
        ...request,
        clientSignature: Buffer.from(alice.sign(taskHash)),
      });
      expect(ok.account.free).toBe('4900');
    });

    it('refuses a fee above the largest one (AEGIS_MAX_ESCROW_FEE), naming amount, locking nothing', async () => {
      const taskHash = keccak256(utf8('task-too-dear'));
      const before = await repository.checkInvariant();
      const tooDear = (10n ** 24n + 1n).toString();
      const refused = await statusOf(
        client.unary('EscrowFee', {
          taskHash: Buffer.from(taskHash),
          client: addr(alice),
          amount: tooDear,
          clientSignature: Buffer.from(alice.sign(taskHash)),
        }),
      );
      expect(refused.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(refused.message).toContain('amount');
      expect(await repository.checkInvariant()).toEqual(before);
    });

    it('EscrowFees answers each escrow as EscrowFee would have alone, and refuses a malformed list as a whole', async () => {
      const taskOf = (n: number): Buffer => Buffer.from(keccak256(utf8(`batch-task-${n}`)));
      const escrow = (n: number, payer = alice, signer = payer) => ({
        taskHash: taskOf(n),
        client: addr(payer),
        amount: '100',
        clientSignature: Buffer.from(signer.sign(taskOf(n))),
      });
      const before = (await client.unary<{ account: AccountWire }>('GetAccount', { address: addr(alice) })).account.free;
      const eventsBefore = events.length;
      const { outcomes } = await client.unary<{ outcomes: { code: number; message: string; replayed: boolean }[] }>('EscrowFees', {
        escrows: [
          escrow(1),
          escrow(2, alice, bob), // signed by someone else
          { ...escrow(3), taskHash: Buffer.alloc(31) }, // malformed
          escrow(1), // the same task again: charged once
          escrow(4, dave), // another client in the same call
          escrow(5, bob), // bob has no free balance
          { ...escrow(6), amount: '-1' },
        ],
      });
      expect(outcomes.map((o) => [o.code, o.replayed])).toEqual([
        [GrpcStatus.OK, false],
        [GrpcStatus.UNAUTHENTICATED, false],
        [GrpcStatus.INVALID_ARGUMENT, false],
        [GrpcStatus.OK, true],
        [GrpcStatus.OK, false],
        [GrpcStatus.FAILED_PRECONDITION, false],
        [GrpcStatus.INVALID_ARGUMENT, false],
      ]);
      expect(outcomes[1]?.message).toContain('escrows[1].client_signature');
      expect(outcomes[2]?.message).toContain('escrows[2].task_hash');
      expect(outcomes[6]?.message).toContain('escrows[6].amount');
      const after = (await client.unary<{ account: AccountWire }>('GetAccount', { address: addr(alice) })).account.free;
      expect(BigInt(before) - BigInt(after)).toBe(100n);
      // Announced: escrow 1 (applied, then replayed) and dave's escrow; nothing for the refusals.
      await waitFor('the batch announcements', () => events.length >= eventsBefore + 3);
      const taskIds = new Set([1, 4].map((n) => `escrow:0x${taskOf(n).toString('hex')}`));
      expect(events.slice(eventsBefore).every((e) => taskIds.has(e.idempotencyKey))).toBe(true);
      for (const escrows of [[], Array.from({ length: 257 }, (_, i) => escrow(100 + i))]) {
        const refused = await statusOf(client.unary('EscrowFees', { escrows }));
        expect(refused.code).toBe(GrpcStatus.INVALID_ARGUMENT);
        expect(refused.message).toContain('escrows');
      }
    });

    it('announces the entries that move a stake on aegis.stake-events.v1 too, and only those', async () => {
      // By now: alice's deposit, stake (applied, then replayed) and fee escrow; carol's deposit, stake and two unstake requests.
      // (dave's stake, the lost-announcement test's, is left out: it is checked there.)
      const moving = ['s1', 'c-s1', 'c-u1', 'c-u2'];
      // Signed requests' keys are namespaced by their signer (`rpc:<address>:<key>`).
      const ours = (): typeof stakeEvents => stakeEvents.filter((e) => !e.idempotencyKey.endsWith(':dv-s1'));
      await waitFor('the stake events so far', () => ours().length >= moving.length + 1);
      expect(ours().map((e) => [e.idempotencyKey.split(':').at(-1), e.outcome])).toEqual(
        expect.arrayContaining([...moving.map((k) => [k, LedgerOutcome.APPLIED]), ['s1', LedgerOutcome.REPLAYED]]),
      );
      expect(ours()).toHaveLength(moving.length + 1);
      for (const e of ours()) {
        expect(e.entry?.postings.some((p) => p.account.startsWith('stake:'))).toBe(true);
        // The same message as on aegis.ledger-events.v1.
        expect(
          events.some((l) => l.idempotencyKey === e.idempotencyKey && l.outcome === e.outcome && l.entry?.sequence === e.entry?.sequence),
        ).toBe(true);
      }
    });

    it('applies bus commands once, announces refusals, dead-letters malformed records', async () => {
      const send = (key: string, message: ReturnType<typeof createTopicMessage<typeof TOPICS.ledgerCommands>>) =>
        bus.publish(TOPICS.ledgerCommands, key, encodeTopicMessage(TOPICS.ledgerCommands, message));
      const disputeId = keccak256(utf8('dispute-1'));
      // Ledger commands are keyed by the address or id they are about (docs/events.md).
      const key = `0x${Buffer.from(disputeId).toString('hex')}`;
      const open = createTopicMessage(TOPICS.ledgerCommands, {
        idempotencyKey: 'open:1',
        command: { case: 'openDispute', value: { disputeId, accused: addr(alice) } },
      });
      await send(key, open);
      await send(key, open);
      await send(
        key,
        createTopicMessage(TOPICS.ledgerCommands, {
          idempotencyKey: 'liq:bob',
          command: { case: 'liquidate', value: { disputeId: keccak256(utf8('no such dispute')), address: addr(bob) } },
        }),
      );
      await send(
        key,
        createTopicMessage(TOPICS.ledgerCommands, {
          idempotencyKey: 'bad',
          command: { case: 'stake', value: { address: new Uint8Array(3), amount: '1' } },
        }),
      );
      await bus.publish(TOPICS.ledgerCommands, key, Uint8Array.of(0xff, 0xff, 0xff));
      await waitFor('two dead letters', () => deadLetters.length === 2);
      const mine = events.filter((e) => e.idempotencyKey === 'open:1' || e.idempotencyKey === 'liq:bob');
      expect(mine.map((e) => [e.idempotencyKey, e.outcome])).toEqual([
        ['open:1', LedgerOutcome.APPLIED],
        ['open:1', LedgerOutcome.REPLAYED],
        ['liq:bob', LedgerOutcome.REFUSED],
      ]);
      expect(mine[2]?.errorCode).not.toBe('');
      expect(deadLetters[0]).toContain('stake.address');
      const account = await client.unary<{ account: AccountWire }>('GetAccount', { address: addr(alice) });
      expect(account.account.frozen).toBe(true);
      expect((await repository.checkInvariant()).ok).toBe(true);
    });
  });
}
