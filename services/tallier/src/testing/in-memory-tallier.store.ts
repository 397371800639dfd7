import type { OutgoingRecord } from '@aegis/bus';
import type { BeaconHead, BeaconLink, TallyRule } from '@aegis/consensus';
import { fromHex } from '@aegis/protocol';
import type { OutboxRow, RefusedResult, StoredSubmission, StoredVerdict, TallierStore, TallierTx } from '../submissions/tallier.store';

interface Tables {
  submissions: Map<string, StoredSubmission>;
  verdicts: Map<string, StoredVerdict>;
  disputes: Map<string, { accused: string; openedAt: number; outcome?: string; resolvedAt?: number }>;
  beacons: BeaconLink[];
  outbox: { id: string; record: OutgoingRecord; sent: boolean }[];
  refusals: Map<string, RefusedResult>;
}

const copy = (t: Tables): Tables => ({
  submissions: new Map(t.submissions),
  verdicts: new Map(t.verdicts),
  disputes: new Map(t.disputes),
  beacons: [...t.beacons],
  outbox: t.outbox.map((r) => ({ ...r })),
  refusals: new Map(t.refusals),
});

/** The tallier store in memory for unit tests: transactions run one at a time and roll back on a throw. */
export class InMemoryTallierStore implements TallierStore {
  tables: Tables = { submissions: new Map(), verdicts: new Map(), disputes: new Map(), beacons: [], outbox: [], refusals: new Map() };
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;

  transaction<T>(fn: (tx: TallierTx) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      const draft = copy(this.tables);
      const result = await fn(this.tx(draft));
      this.tables = draft;
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async submission(id: string): Promise<StoredSubmission | undefined> {
    return this.tables.submissions.get(id);
  }

  async unsent(limit: number): Promise<OutboxRow[]> {
    return this.tables.outbox
      .filter((r) => !r.sent)
      .slice(0, limit)
      .map(({ id, record }) => ({ id, record }));
  }

  async openTallyRules(): Promise<TallyRule[]> {
    return [...new Set([...this.tables.submissions.values()].filter((s) => s.state.phase !== 'decided').map((s) => s.state.tally))];
  }

  async markSent(ids: readonly string[]): Promise<void> {
    for (const r of this.tables.outbox) if (ids.includes(r.id)) r.sent = true;
  }

  private tx(t: Tables): TallierTx {
    return {
      submissionByTask: async (taskHash) => [...t.submissions.values()].find((s) => s.taskHash === taskHash),
      taskIntakes: async (taskHashes) =>
        taskHashes.map((taskHash) => ({
          recorded: [...t.submissions.values()].some((s) => s.taskHash === taskHash),
          refusals: [...t.refusals.values()].filter((r) => r.taskHash === taskHash).length,
        })),
      lockSubmission: async (id) => t.submissions.get(id),
      lockDue: async (now, limit) =>
        [...t.submissions.values()]
          .filter((s) => s.state.phase !== 'decided' && s.state.closesAt <= now)
          .sort((a, b) => a.state.closesAt - b.state.closesAt)
          .slice(0, limit),
      applyChanges: async (changes) => {
        for (const c of changes) {
          t.submissions.set(c.next.submissionId, c.next);
          const id = c.next.submissionId;
          if (c.disputeOpened && !t.disputes.has(id))
            t.disputes.set(id, { accused: c.disputeOpened.accused, openedAt: c.disputeOpened.at });
          const d = t.disputes.get(id);
          if (c.disputeResolved && d) t.disputes.set(id, { ...d, outcome: c.disputeResolved.outcome, resolvedAt: c.disputeResolved.at });
          for (const record of c.records) t.outbox.push({ id: String(this.nextId++), record, sent: false });
        }
      },
      lockBeaconHead: async (): Promise<BeaconHead | undefined> => {
        const head = t.beacons.at(-1);
        return head ? { index: head.index, beacon: fromHex(head.beacon, 32) } : undefined;
      },
      recordSubmission: async (links, s, records) => {
        if (t.submissions.has(s.submissionId)) throw new Error(`duplicate key ${s.submissionId}`);
        if ([...t.submissions.values()].some((x) => x.taskHash === s.taskHash)) throw new Error(`duplicate task ${s.taskHash}`);
        t.beacons.push(...links);
        t.submissions.set(s.submissionId, s);
        for (const record of records) t.outbox.push({ id: String(this.nextId++), record, sent: false });
      },
      insertVerdict: async (v) => {
        const key = `${v.submissionId}/${v.verifier}`;
        if (t.verdicts.has(key)) return false;
        t.verdicts.set(key, v);
        return true;
      },
      enqueue: async (records) => {
        for (const record of records) t.outbox.push({ id: String(this.nextId++), record, sent: false });
      },
      insertRefusal: async (r) => {
        if (t.refusals.has(r.resultDigest)) return false;
        t.refusals.set(r.resultDigest, r);
        return true;
      },
      refusalCount: async (taskHash) => [...t.refusals.values()].filter((r) => r.taskHash === taskHash).length,
    };
  }
}
