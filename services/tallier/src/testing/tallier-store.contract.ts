import type { OutgoingRecord } from '@aegis/bus';
import { BeaconChain, type BeaconLink, type SubmissionState } from '@aegis/consensus';
import { CheckOutcome, TaskStatus, TOPICS } from '@aegis/contracts';
import { fromHex, toHex, VerdictKind } from '@aegis/protocol';
import { describe, expect, it } from 'vitest';
import type { StoredSubmission, TallierStore } from '../submissions/tallier.store';
import { CONTROL_KEY, testKey } from './tallier.fixtures';

/**
 * What every TallierStore must do, run against each implementation (the in-memory twin in a unit
 * spec, TallierRepository on Postgres in an integration spec), so the twin the unit tests trust
 * cannot drift from the store production runs. `fresh` returns an empty store.
 */
export function tallierStoreContract(name: string, fresh: () => Promise<TallierStore>): void {
  const submitter = testKey(0).address;
  const verifier = testKey(1).address;
  const hex32 = (n: number): string => `0x${n.toString(16).padStart(64, '0')}`;

  const stateOf = (id: string, task: string, over: Partial<SubmissionState> = {}): SubmissionState => ({
    submissionId: id,
    taskId: task,
    submitter,
    tally: 'stake',
    fee: 1_000n,
    selectedVerifiers: [verifier],
    phase: 'pending',
    openedAt: 1_000,
    closesAt: 2_000,
    extensions: 0,
    widened: false,
    disputeOpen: false,
    verdicts: [],
    failedAudits: [],
    lastEventAt: 1_000,
    decision: null,
    ...over,
  });

  /** `count` links of one chain and a stored submission per link. */
  const chain = (
    count: number,
    over: (i: number) => Partial<SubmissionState> = () => ({}),
  ): { links: BeaconLink[]; subs: StoredSubmission[] } => {
    const c = BeaconChain.fromGenesis(CONTROL_KEY, 'store-contract');
    const links: BeaconLink[] = [];
    const subs: StoredSubmission[] = [];
    for (let i = 1; i <= count; i++) {
      const id = hex32(i);
      const task = hex32(1_000 + i);
      const link = c.append(fromHex(id, 32));
      links.push(link);
      subs.push({
        submissionId: id,
        taskHash: task,
        state: stateOf(id, task, over(i)),
        result: new Uint8Array([i]),
        beacon: link,
        statusSeq: 2,
        lastStatus: TaskStatus.SUBMITTED,
      });
    }
    return { links, subs };
  };

  const record = (key: string, byte: number): OutgoingRecord => ({ topic: TOPICS.taskStatus, key, value: new Uint8Array([byte]) });

  describe(`TallierStore contract: ${name}`, () => {
    it('commits a recorded submission with its beacon link and outgoing records, in order', async () => {
      const store = await fresh();
      const { links, subs } = chain(1);
      const [link, sub] = [links[0] as BeaconLink, subs[0] as StoredSubmission];
      expect(await store.transaction((tx) => tx.lockBeaconHead())).toBeUndefined();
      await store.transaction((tx) => tx.recordSubmission([link], sub, [record(sub.taskHash, 1), record(sub.taskHash, 2)]));
      expect(await store.submission(sub.submissionId)).toEqual(sub);
      expect(await store.transaction((tx) => tx.submissionByTask(sub.taskHash))).toEqual(sub);
      expect((await store.transaction((tx) => tx.lockBeaconHead()))?.index).toBe(link.index);
      const unsent = await store.unsent(10);
      expect(unsent.map((r) => r.record.value[0])).toEqual([1, 2]);
      await store.markSent([unsent[0]?.id ?? '']);
      expect((await store.unsent(10)).map((r) => r.record.value[0])).toEqual([2]);
      await store.close?.();
    });

    it('rolls a failed transaction back entirely', async () => {
      const store = await fresh();
      const { links, subs } = chain(1);
      const sub = subs[0] as StoredSubmission;
      await expect(
        store.transaction(async (tx) => {
          await tx.recordSubmission(links, sub, [record(sub.taskHash, 1)]);
          throw new Error('crash after the write');
        }),
      ).rejects.toThrow('crash after the write');
      expect(await store.submission(sub.submissionId)).toBeUndefined();
      expect(await store.unsent(10)).toEqual([]);
      await store.close?.();
    });

    it('stores a verdict and a refusal once each (redeliveries are no-ops) and counts refusals per task', async () => {
      const store = await fresh();
      const { links, subs } = chain(1);
      const sub = subs[0] as StoredSubmission;
      await store.transaction((tx) => tx.recordSubmission(links, sub, []));
      const verdict = {
        submissionId: sub.submissionId,
        verifier,
        kind: VerdictKind.ACCEPT,
        outcome: CheckOutcome.PASSED,
        audited: false,
        receivedAt: 1_500,
        verdict: new Uint8Array([9]),
      };
      expect(await store.transaction((tx) => tx.insertVerdict(verdict))).toBe(true);
      expect(await store.transaction((tx) => tx.insertVerdict(verdict))).toBe(false);
      const other = hex32(5_000);
      const refusal = {
        resultDigest: hex32(7),
        taskHash: other,
        submitter,
        reason: 'inactive-submitter',
        result: new Uint8Array([7]),
        refusedAt: 1_600,
      };
      expect(await store.transaction((tx) => tx.insertRefusal(refusal))).toBe(true);
      expect(await store.transaction((tx) => tx.insertRefusal(refusal))).toBe(false);
      expect(await store.transaction((tx) => tx.refusalCount(other))).toBe(1);
      expect(await store.transaction((tx) => tx.taskIntakes([other, sub.taskHash, hex32(6_000)]))).toEqual([
        { recorded: false, refusals: 1 },
        { recorded: true, refusals: 0 },
        { recorded: false, refusals: 0 },
      ]);
      await store.close?.();
    });

    it('finds the undecided submissions whose window has closed, and the open tally rules', async () => {
      const store = await fresh();
      const { links, subs } = chain(3, (i) => (i === 3 ? { phase: 'decided', closesAt: 1_500 } : { closesAt: i === 1 ? 1_500 : 9_000 }));
      await store.transaction(async (tx) => {
        for (const [i, sub] of subs.entries()) await tx.recordSubmission([links[i] as BeaconLink], sub, []);
      });
      const due = await store.transaction((tx) => tx.lockDue(2_000, 10));
      expect(due.map((s) => s.submissionId)).toEqual([hex32(1)]);
      expect(await store.openTallyRules()).toEqual(['stake']);
      const changed = { ...(subs[0] as StoredSubmission), state: stateOf(hex32(1), hex32(1_001), { phase: 'decided', closesAt: 1_500 }) };
      await store.transaction((tx) => tx.applyChanges([{ next: changed, records: [record(changed.taskHash, 3)] }]));
      expect((await store.submission(hex32(1)))?.state.phase).toBe('decided');
      expect(await store.transaction((tx) => tx.lockDue(2_000, 10))).toEqual([]);
      expect((await store.unsent(10)).map((r) => toHex(r.record.value))).toEqual(['0x03']);
      await store.close?.();
    });
  });
}
