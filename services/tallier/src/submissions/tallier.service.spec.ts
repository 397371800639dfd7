import { InProcessEventBus, PoisonMessageError } from '@aegis/bus';
import {
  ALL_TOPICS,
  CheckOutcome,
  createTopicMessage,
  decodeTopicMessage,
  StakeView,
  TaskStatus,
  taskSpecFromWire,
  TOPICS,
} from '@aegis/contracts';
import { assertBeaconChain, auditDisputeId, DEFAULT_MAX_EXTENSIONS, genesisBeacon, verifyAnnouncedBeacon } from '@aegis/consensus';
import { taskHash, toHex, VerdictKind } from '@aegis/protocol';
import pino from 'pino';
import { type Histogram, Registry } from 'prom-client';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock';
import { OutboxRelay } from '../outbox/outbox.relay';
import { TallierMetrics } from '../tallier.metrics';
import { InMemoryTallierStore } from '../testing/in-memory-tallier.store';
import { checkedVerdictMessage, resultMessage, tallierTestOptions, taskSpec, testKey, WINDOW_MS } from '../testing/tallier.fixtures';
import { INACTIVE_SUBMITTER, INACTIVE_SUBMITTER_ATTEMPTS, TallierService } from './tallier.service';

const submitter = testKey(0);
const verifiers = [testKey(1), testKey(2), testKey(3)];

describe('TallierService', () => {
  let sut: TallierService;
  let store: InMemoryTallierStore;
  let stakes: StakeView;
  let clock: ManualClock;
  let registry: Registry;

  beforeEach(() => {
    registry = new Registry();
    clock = new ManualClock();
    store = new InMemoryTallierStore();
    stakes = new StakeView(100n);
    for (const k of [submitter, ...verifiers]) stakes.set(k.address, 1_000n);
    const options = tallierTestOptions(clock);
    const logger = pino({ level: 'silent' });
    const bus = new InProcessEventBus({ topics: ALL_TOPICS });
    sut = new TallierService(
      store,
      stakes,
      clock,
      options,
      logger,
      new OutboxRelay(store, bus, options, logger),
      new TallierMetrics(registry),
    );
  });

  const metric = async (name: string, labels: Record<string, string> = {}): Promise<number> => {
    const m = registry.getSingleMetric(name);
    if (!m) throw new Error(`${name} not registered`);
    return (await m.get()).values
      .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
      .reduce((sum, v) => sum + v.value, 0);
  };

  const statuses = (th: string) =>
    store.tables.outbox
      .filter((r) => r.record.topic === TOPICS.taskStatus && r.record.key === th)
      .map((r) => decodeTopicMessage(TOPICS.taskStatus, r.record.value))
      .map((m) => ({ status: m.status, sequence: Number(m.sequence), node: toHex(m.node) }));

  const outboxCases = (topic: string): string[] =>
    store.tables.outbox
      .filter((r) => r.record.topic === topic)
      .map((r) =>
        topic === TOPICS.ledgerCommands ? (decodeTopicMessage(TOPICS.ledgerCommands, r.record.value).command.case ?? '') : r.record.key,
      );

  it('records the first valid result per task once, with one beacon link', async () => {
    const first = resultMessage(submitter, taskSpec(1n));
    expect(await sut.onResult(first, 1)).toBe('recorded');
    expect(await sut.onResult(first, 1)).toBe('duplicate');
    expect(await sut.onResult(resultMessage(verifiers[0]!, taskSpec(1n), [9, 9, 9, 9]), 1)).toBe('duplicate');
    expect(store.tables.submissions.size).toBe(1);
    expect(store.tables.beacons.map((b) => b.index)).toEqual([1]);
    expect(store.tables.beacons[0]?.submissionDigest).toBe(toHex(first.digest));
    expect(outboxCases(TOPICS.submissions)).toEqual([toHex(first.taskHash)]);
  });

  it('records results that arrive together in one transaction, chained in arrival order, a later result of a task a duplicate', async () => {
    let transactions = 0;
    const transaction = store.transaction.bind(store);
    store.transaction = (fn) => {
      transactions++;
      return transaction(fn);
    };
    const results = [1n, 2n, 3n, 4n].map((n) => resultMessage(submitter, taskSpec(n)));
    // The second result for task 2 (another node's) arrives in the same burst.
    const late = resultMessage(verifiers[0]!, taskSpec(2n), [9, 9, 9, 9]);
    const outcomes = await Promise.all([...results, late].map((r) => sut.onResult(r, 1)));
    expect(outcomes).toEqual(['recorded', 'recorded', 'recorded', 'recorded', 'duplicate']);
    // The first result runs alone; the rest arrived while it was being recorded.
    expect(transactions).toBe(2);
    const batchSizes = (await (registry.getSingleMetric('aegis_tallier_result_batch_size') as Histogram | undefined)?.get())?.values ?? [];
    const series = (suffix: string): number | undefined =>
      batchSizes.find((v) => v.metricName === `aegis_tallier_result_batch_size_${suffix}`)?.value;
    expect([series('count'), series('sum')]).toEqual([2, 5]);
    expect(await metric('aegis_tallier_beacon_signatures_total')).toBe(2);
    expect(store.tables.beacons.map((b) => b.index)).toEqual([1, 2, 3, 4]);
    expect(store.tables.beacons.map((b) => b.submissionDigest)).toEqual(results.map((r) => toHex(r.digest)));
    expect(outboxCases(TOPICS.submissions)).toEqual(results.map((r) => toHex(r.taskHash)));
    // One signature per transaction: the lone first link, then links 2-4 sealed by link 4.
    expect(new Set(store.tables.beacons.map((b) => b.signature)).size).toBe(2);
    expect(store.tables.beacons.map((b) => b.sealedBy?.length ?? 0)).toEqual([0, 2, 1, 0]);
    const control = tallierTestOptions(clock).controlKey.address;
    assertBeaconChain(store.tables.beacons, control, { index: 0, beacon: genesisBeacon(tallierTestOptions(clock).chainId) });
    // Each announced beacon checks out for a verifier on its own.
    for (const record of store.tables.outbox.filter((o) => o.record.topic === TOPICS.submissions)) {
      const submission = decodeTopicMessage(TOPICS.submissions, record.record.value);
      const digest = results.find((r) => toHex(r.taskHash) === record.record.key)!.digest;
      expect(verifyAnnouncedBeacon(submission.beacon!, digest, control)).toBe(true);
    }
  });

  it('dead-letters a result whose signature does not match its node', async () => {
    const forged = resultMessage(submitter, taskSpec(1n));
    forged.node = Buffer.from(verifiers[0]!.address.slice(2), 'hex');
    await expect(sut.onResult(forged, 1)).rejects.toBeInstanceOf(PoisonMessageError);
    expect(store.tables.submissions.size).toBe(0);
  });

  it('refuses (never dead-letters) a signed result from a node liquidated meanwhile: records it, re-offers the task with QUEUED, once', async () => {
    stakes.set(submitter.address, 0n);
    const spec = taskSpec(1n);
    const th = toHex(taskHash(spec));
    const r = resultMessage(submitter, spec);
    // The stake view may lag the ledger: the first attempts are retried, not judged.
    await expect(sut.onResult(r, 1)).rejects.not.toBeInstanceOf(PoisonMessageError);
    expect(store.tables.refusals.size).toBe(0);

    expect(await sut.onResult(r, INACTIVE_SUBMITTER_ATTEMPTS)).toBe('refused');
    expect(store.tables.refusals.get(toHex(r.digest))).toMatchObject({
      taskHash: th,
      submitter: submitter.address,
      reason: INACTIVE_SUBMITTER,
    });
    expect(store.tables.submissions.size).toBe(0);
    expect(store.tables.beacons).toEqual([]);
    const offers = store.tables.outbox.filter((o) => o.record.topic === TOPICS.tasks);
    expect(offers.map((o) => o.record.key)).toEqual([th]);
    const offered = decodeTopicMessage(TOPICS.tasks, offers[0]!.record.value);
    expect(toHex(taskHash(taskSpecFromWire(offered.spec)))).toBe(th);
    expect(statuses(th)).toEqual([{ status: TaskStatus.QUEUED, sequence: 2, node: submitter.address }]);

    // Redelivered: nothing new is published.
    const rows = store.tables.outbox.length;
    expect(await sut.onResult(r, INACTIVE_SUBMITTER_ATTEMPTS + 1)).toBe('refused');
    expect(store.tables.outbox.length).toBe(rows);

    // The re-offered task answered by an active node: its SUBMITTED comes after the refusal's QUEUED.
    expect(await sut.onResult(resultMessage(verifiers[0]!, spec), 1)).toBe('recorded');
    expect(statuses(th).map((s) => s.sequence)).toEqual([2, 3]);
    expect(statuses(th)[1]).toMatchObject({ status: TaskStatus.SUBMITTED, node: verifiers[0]!.address });
    // A late refusal for a task that has its submission is a duplicate: no re-offer.
    expect(await sut.onResult(resultMessage(submitter, spec, [5, 5, 5, 5]), INACTIVE_SUBMITTER_ATTEMPTS)).toBe('duplicate');
    expect(store.tables.outbox.filter((o) => o.record.topic === TOPICS.tasks)).toHaveLength(1);
    expect(await metric('aegis_tallier_results_total', { outcome: 'refused' })).toBe(2);
    expect(await metric('aegis_tallier_submissions_total')).toBe(1);
  });

  it('counts only PASSED verdicts and each verifier once', async () => {
    const r = resultMessage(submitter, taskSpec(1n));
    await sut.onResult(r, 1);
    expect(await sut.onCheckedVerdict(checkedVerdictMessage(verifiers[0]!, r, VerdictKind.REJECT, CheckOutcome.NOT_ELIGIBLE))).toBe(
      'ignored',
    );
    expect(await sut.onCheckedVerdict(checkedVerdictMessage(verifiers[1]!, r, VerdictKind.REJECT))).toBe('counted');
    expect(await sut.onCheckedVerdict(checkedVerdictMessage(verifiers[1]!, r, VerdictKind.REJECT))).toBe('ignored');
    const state = store.tables.submissions.get(toHex(r.digest))?.state;
    expect(state?.verdicts.map((v) => v.verifier)).toEqual([verifiers[1]!.address]);
    expect(state?.phase).toBe('disputed');
    expect(outboxCases(TOPICS.ledgerCommands)).toEqual(['openDispute', 'joinDispute']);
  });

  it('liquidates a verifier whose verdict failed the PoW check and pays its stake to the winners at the decision', async () => {
    const r = resultMessage(submitter, taskSpec(1n));
    await sut.onResult(r, 1);
    const lazy = verifiers[0]!.address;
    const auditDispute = auditDisputeId(toHex(r.digest), lazy);
    expect(await sut.onCheckedVerdict(checkedVerdictMessage(verifiers[0]!, r, VerdictKind.ACCEPT, CheckOutcome.AUDIT_FAILED))).toBe(
      'punished',
    );
    expect(await sut.onCheckedVerdict(checkedVerdictMessage(verifiers[0]!, r, VerdictKind.ACCEPT, CheckOutcome.AUDIT_FAILED))).toBe(
      'ignored',
    );
    expect(await sut.onCheckedVerdict(checkedVerdictMessage(verifiers[1]!, r, VerdictKind.ACCEPT))).toBe('counted');
    clock.advance(WINDOW_MS);
    expect(await sut.tick()).toBe(1);
    const commands = store.tables.outbox
      .filter((o) => o.record.topic === TOPICS.ledgerCommands)
      .map((o) => decodeTopicMessage(TOPICS.ledgerCommands, o.record.value).command);
    const forAudit = commands.filter((c) => c.value !== undefined && 'disputeId' in c.value && toHex(c.value.disputeId) === auditDispute);
    expect(forAudit.map((c) => c.case)).toEqual(['openDispute', 'liquidate', 'distributePool']);
    const pay = forAudit[2];
    expect(pay?.case === 'distributePool' && pay.value.winners.map((w) => toHex(w)).sort()).toEqual(
      [submitter.address, verifiers[1]!.address].sort(),
    );
    const liq = forAudit[1];
    expect(liq?.case === 'liquidate' && toHex(liq.value.address)).toBe(lazy);
    const state = store.tables.submissions.get(toHex(r.digest))?.state;
    expect(state?.decision?.winners).not.toContain(lazy);
    expect(await metric('aegis_tallier_liquidations_total')).toBe(commands.filter((c) => c.case === 'liquidate').length);
    expect(await metric('aegis_tallier_decisions_total', { outcome: 'accepted' })).toBe(1);
    expect(await metric('aegis_tallier_verdicts_total', { outcome: 'punished' })).toBe(1);
  });

  it('does not punish a verifier the checker found ineligible (its stake snapshot may lag)', async () => {
    const r = resultMessage(submitter, taskSpec(1n));
    await sut.onResult(r, 1);
    expect(await sut.onCheckedVerdict(checkedVerdictMessage(verifiers[0]!, r, VerdictKind.ACCEPT, CheckOutcome.NOT_ELIGIBLE))).toBe(
      'ignored',
    );
    expect(outboxCases(TOPICS.ledgerCommands)).toEqual([]);
  });

  it('dead-letters a verdict on an unknown submission', async () => {
    const r = resultMessage(submitter, taskSpec(1n));
    await expect(sut.onCheckedVerdict(checkedVerdictMessage(verifiers[0]!, r, VerdictKind.ACCEPT))).rejects.toBeInstanceOf(
      PoisonMessageError,
    );
  });

  it('extends an undecided window (1 accept vs 1 reject) instead of deciding', async () => {
    const r = resultMessage(submitter, taskSpec(1n));
    await sut.onResult(r, 1);
    await sut.onCheckedVerdict(checkedVerdictMessage(verifiers[0]!, r, VerdictKind.REJECT));
    clock.advance(WINDOW_MS);
    expect(await sut.tick()).toBe(1);
    const state = store.tables.submissions.get(toHex(r.digest))?.state;
    expect(state?.phase).toBe('undecided-extended');
    expect(outboxCases(TOPICS.ledgerCommands)).not.toContain('liquidate');
  });

  const disputeEvents = (th: string) =>
    store.tables.outbox
      .filter((r) => r.record.topic === TOPICS.disputes && r.record.key === th)
      .map((r) => decodeTopicMessage(TOPICS.disputes, r.record.value).event);

  it('a close at which no verifier answered widens the committee: every active key is asked (disputes topic), then the answers decide', async () => {
    const r = resultMessage(submitter, taskSpec(1n));
    await sut.onResult(r, 1);
    const th = toHex(r.taskHash);
    clock.advance(WINDOW_MS);
    expect(await sut.tick()).toBe(1);
    const widened = store.tables.submissions.get(toHex(r.digest));
    expect(widened?.state).toMatchObject({ phase: 'undecided-extended', widened: true, extensions: 1, decision: null });
    // Announced to every active key like a dispute, with the new close; the lookup says so too (the PoW checker skips the lottery).
    const opened = disputeEvents(th);
    expect(opened.map((e) => e.case)).toEqual(['opened']);
    expect(opened[0]?.case === 'opened' && Number(opened[0].value.windowEndsAt?.seconds) * 1000).toBe(
      Math.floor((widened?.state.closesAt ?? 0) / 1000) * 1000,
    );
    expect((await sut.lookup(toHex(r.digest)))?.disputed).toBe(true);
    expect(outboxCases(TOPICS.ledgerCommands)).not.toContain('payoutFee');
    // Two verifiers answer in the widened window, both ACCEPT: upheld at its close, the call resolved.
    await sut.onCheckedVerdict(checkedVerdictMessage(verifiers[1]!, r, VerdictKind.ACCEPT));
    await sut.onCheckedVerdict(checkedVerdictMessage(verifiers[2]!, r, VerdictKind.ACCEPT));
    clock.advance(WINDOW_MS);
    expect(await sut.tick()).toBe(1);
    expect(store.tables.submissions.get(toHex(r.digest))?.state.decision).toMatchObject({ outcome: 'accepted', losers: [] });
    expect(disputeEvents(th).map((e) => e.case)).toEqual(['opened', 'resolved']);
    expect(outboxCases(TOPICS.ledgerCommands)).not.toContain('liquidate');
  });

  it('tally: stake weighs the verdicts by stake: one heavy REJECT outweighs the submitter and two light ACCEPTs', async () => {
    stakes.set(verifiers[0]!.address, 10_000n);
    const r = resultMessage(submitter, taskSpec(1n));
    await sut.onResult(r, 1);
    await sut.onCheckedVerdict(checkedVerdictMessage(verifiers[0]!, r, VerdictKind.REJECT));
    await sut.onCheckedVerdict(checkedVerdictMessage(verifiers[1]!, r, VerdictKind.ACCEPT));
    await sut.onCheckedVerdict(checkedVerdictMessage(verifiers[2]!, r, VerdictKind.ACCEPT));
    clock.advance(WINDOW_MS);
    expect(await sut.tick()).toBe(1);
    const state = store.tables.submissions.get(toHex(r.digest))?.state;
    // By count (the spec's rule) the accepts would be 3 to 1; by stake the reject is 10 000 to 3 000.
    expect(state?.decision).toMatchObject({ outcome: 'rejected', winners: [verifiers[0]!.address] });
    expect(state?.tally).toBe('stake');
  });

  it('ends a dispute after the extensions: the larger stake decides at the close after the last one', async () => {
    // 1 000 against 1 000 + 1 000: under 0.66 of the 4 000 active, over 10 x nobody; undecided by threshold.
    const r = resultMessage(submitter, taskSpec(1n));
    await sut.onResult(r, 1);
    await sut.onCheckedVerdict(checkedVerdictMessage(verifiers[0]!, r, VerdictKind.REJECT));
    await sut.onCheckedVerdict(checkedVerdictMessage(verifiers[1]!, r, VerdictKind.ACCEPT));
    for (let close = 0; close <= DEFAULT_MAX_EXTENSIONS; close++) {
      const before = store.tables.submissions.get(toHex(r.digest))?.state;
      expect(before?.phase).not.toBe('decided');
      clock.advance(Math.max(0, (before?.closesAt ?? 0) - clock.now()));
      expect(await sut.tick()).toBe(1);
    }
    const state = store.tables.submissions.get(toHex(r.digest))?.state;
    expect(state?.extensions).toBe(DEFAULT_MAX_EXTENSIONS);
    expect(state?.decision).toMatchObject({ outcome: 'accepted', losers: [verifiers[0]!.address], final: true });
  });

  it('does not start under another tally rule than its undecided submissions were opened under', async () => {
    await sut.onResult(resultMessage(submitter, taskSpec(1n)), 1);
    await expect(sut.onModuleInit()).resolves.toBeUndefined();
    const options = tallierTestOptions(clock, { tally: 'spec' });
    const logger = pino({ level: 'silent' });
    const bus = new InProcessEventBus({ topics: ALL_TOPICS });
    const other = new TallierService(
      store,
      stakes,
      clock,
      options,
      logger,
      new OutboxRelay(store, bus, options, logger),
      new TallierMetrics(new Registry()),
    );
    await expect(other.onModuleInit()).rejects.toThrow(/AEGIS_TALLY: .*'stake'.*'spec'/);
  });

  it('a rolled-back transaction leaves neither state nor outbox rows', async () => {
    const r = resultMessage(submitter, taskSpec(1n));
    await sut.onResult(r, 1);
    const rows = store.tables.outbox.length;
    const bad = createTopicMessage(TOPICS.checkedVerdicts, { ...checkedVerdictMessage(verifiers[0]!, r, VerdictKind.REJECT) });
    bad.verdict!.taskHash = new Uint8Array(32);
    await expect(sut.onCheckedVerdict(bad)).rejects.toBeInstanceOf(PoisonMessageError);
    expect(store.tables.outbox.length).toBe(rows);
  });
});
