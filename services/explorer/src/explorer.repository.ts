import { Pool, type PoolClient } from 'pg';

// The explorer reads other services' tables (the ledger's, ingress's, the tallier's) and writes
// nothing: every connection is opened with default_transaction_read_only, so a bug here cannot
// change a balance. Schema names are the services' own (fixed; not configurable in pods).
const L = 'ledger';
const I = 'ingress';
const T = 'tallier';

/** The overview's live numbers (also the server-sent event payload). */
export interface Counters {
  readonly tasks: number;
  readonly inFlight: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly failed: number;
  readonly verdicts: number;
  readonly disputes: number;
  readonly openDisputes: number;
  readonly liquidations: number;
  readonly activeNodes: number;
  /** Base units staked by the active nodes (decimal string: money is never a float). */
  readonly staked: string;
}

export interface TaskRow {
  readonly taskHash: string;
  readonly modelId: string;
  readonly spec: Buffer;
  readonly client: string;
  readonly status: number;
  readonly outputTokens: number[];
  readonly fee: string;
  readonly submittedAt: Date;
}

export interface TaskSummaryRow {
  readonly taskHash: string;
  readonly modelId: string;
  readonly status: number;
  readonly submittedAt: Date;
  /** The node whose result the tallier is counting (latest submission), if any. */
  readonly node: string | null;
}

export interface StatusChange {
  readonly sequence: number;
  readonly status: number;
  readonly node: string | null;
  readonly detail: string;
  readonly changedAt: Date;
}

export interface SubmissionRow {
  readonly submissionId: string;
  readonly taskHash: string;
  readonly submitter: string;
  readonly phase: string;
  readonly tally: string;
  /** The consensus SubmissionState as the tallier stored it (JSON). */
  readonly state: SubmissionStateJson;
  /** The Result message as received (protobuf): the tokens the node answered. */
  readonly result: Buffer;
}

/** The parts of the tallier's stored SubmissionState the pages show. */
export interface SubmissionStateJson {
  readonly selectedVerifiers?: string[];
  readonly openedAt?: number;
  readonly closesAt?: number;
  readonly disputeOpen?: boolean;
  readonly failedAudits?: { verifier: string; failure: string; at: number; disputeId: string }[];
  readonly decision?: {
    outcome: string;
    winners: string[];
    losers: string[];
    n: number;
    m: number;
    activeNodes: number;
    decidedAt: number;
    final: boolean;
  } | null;
}

export interface VerdictRow {
  readonly submissionId: string;
  readonly taskHash: string;
  readonly verifier: string;
  readonly kind: string;
  readonly outcome: number;
  readonly audited: boolean;
  readonly receivedAt: number;
}

export interface RefusedRow {
  readonly resultDigest: string;
  readonly submitter: string;
  readonly reason: string;
  readonly refusedAt: number;
}

export interface EntryRow {
  readonly id: string;
  readonly commandKey: string;
  readonly kind: string;
  readonly account: string;
  readonly amount: string;
  readonly createdAt: Date;
}

export interface StakePoint extends EntryRow {
  /** The stake account's balance after this entry. */
  readonly balance: string;
}

export interface DisputeRow {
  readonly disputeId: string;
  readonly accused: string;
  readonly openedAt: number;
  readonly resolvedAt: number | null;
  readonly outcome: string | null;
}

export interface NodeAccounts {
  readonly free: string;
  readonly staked: string;
  readonly unbonding: string;
}

export interface TaskDetail {
  readonly task: TaskRow;
  readonly timeline: StatusChange[];
  readonly submissions: SubmissionRow[];
  readonly verdicts: VerdictRow[];
  readonly refused: RefusedRow[];
  readonly entries: EntryRow[];
  readonly disputes: DisputeRow[];
}

export interface NodeDetail {
  readonly address: string;
  readonly accounts: NodeAccounts;
  readonly stakeHistory: StakePoint[];
  readonly tasks: TaskSummaryRow[];
  readonly verdicts: VerdictRow[];
  readonly rewards: EntryRow[];
  readonly slashes: EntryRow[];
  readonly disputes: DisputeRow[];
}

export interface DisputeDetail {
  readonly dispute: DisputeRow;
  /** The ledger's view: open or closed, and who joined it. */
  readonly ledgerOpen: boolean | null;
  readonly parties: string[];
  readonly submission: SubmissionRow | null;
  readonly verdicts: VerdictRow[];
  /** Every entry of the commands that moved money into or out of the dispute's pool. */
  readonly poolEntries: EntryRow[];
}

export interface Overview {
  readonly counters: Counters;
  readonly tasks: TaskSummaryRow[];
  readonly disputes: DisputeRow[];
  readonly nodes: { address: string; staked: string }[];
}

/** What a search term names, if anything. */
export type SearchHit = { kind: 'task'; id: string } | { kind: 'dispute'; id: string } | { kind: 'node'; id: string };

const LIST_LIMIT = 50;

const ENTRY_COLUMNS = `e.id::text AS "id", e.command_key AS "commandKey", c.kind, e.account, e.amount::text AS amount, e.created_at AS "createdAt"`;
const VERDICT_COLUMNS = `v.submission_id AS "submissionId", s.task_hash AS "taskHash", v.verifier, v.kind, v.outcome, v.audited, v.received_at::float8 AS "receivedAt"`;
const DISPUTE_COLUMNS = `dispute_id AS "disputeId", accused, opened_at::float8 AS "openedAt", resolved_at::float8 AS "resolvedAt", outcome`;
const SUBMISSION_COLUMNS = `submission_id AS "submissionId", task_hash AS "taskHash", submitter, phase, tally, state, result`;
// The node of a task: the submitter of its latest submission.
const TASK_SUMMARY = `SELECT t.task_hash AS "taskHash", t.model_id AS "modelId", t.status, t.submitted_at AS "submittedAt",
  (SELECT s.submitter FROM ${T}.submissions s WHERE s.task_hash = t.task_hash LIMIT 1) AS node FROM ${I}.tasks t`;

export class ExplorerRepository {
  private readonly pool: Pool;

  constructor(
    databaseUrl: string,
    private readonly minStake: bigint,
  ) {
    this.pool = new Pool({
      connectionString: databaseUrl,
      max: 4,
      application_name: 'aegis-explorer',
      options: '-c default_transaction_read_only=on',
      connectionTimeoutMillis: 10_000,
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** One consistent snapshot for the queries of one page. */
  private async snapshot<R>(read: (q: <Row>(sql: string, params?: unknown[]) => Promise<Row[]>) => Promise<R>): Promise<R> {
    const client: PoolClient = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const result = await read(async <Row>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as Row[]);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  counters(): Promise<Counters> {
    return this.snapshot(async (q) => {
      const [row] = await q<Record<string, string>>(
        `SELECT (SELECT count(*) FROM ${I}.tasks)::text AS tasks,
                (SELECT count(*) FROM ${I}.tasks WHERE status IN (1, 2, 3, 4))::text AS "inFlight",
                (SELECT count(*) FROM ${I}.tasks WHERE status = 5)::text AS accepted,
                (SELECT count(*) FROM ${I}.tasks WHERE status = 6)::text AS rejected,
                (SELECT count(*) FROM ${I}.tasks WHERE status = 7)::text AS failed,
                (SELECT count(*) FROM ${T}.verdicts)::text AS verdicts,
                (SELECT count(*) FROM ${T}.disputes)::text AS disputes,
                (SELECT count(*) FROM ${T}.disputes WHERE resolved_at IS NULL)::text AS "openDisputes",
                (SELECT count(*) FROM ${L}.commands WHERE kind = 'liquidate')::text AS liquidations,
                (SELECT count(*) FROM ${L}.accounts WHERE id LIKE 'stake:%' AND balance > 0 AND balance >= $1::numeric)::text AS "activeNodes",
                (SELECT coalesce(sum(balance), 0) FROM ${L}.accounts WHERE id LIKE 'stake:%' AND balance > 0 AND balance >= $1::numeric)::text AS staked`,
        [this.minStake.toString()],
      );
      const n = (k: string): number => Number(row?.[k] ?? 0);
      return {
        tasks: n('tasks'),
        inFlight: n('inFlight'),
        accepted: n('accepted'),
        rejected: n('rejected'),
        failed: n('failed'),
        verdicts: n('verdicts'),
        disputes: n('disputes'),
        openDisputes: n('openDisputes'),
        liquidations: n('liquidations'),
        activeNodes: n('activeNodes'),
        staked: row?.['staked'] ?? '0',
      };
    });
  }

  async overview(): Promise<Overview> {
    const counters = await this.counters();
    return this.snapshot(async (q) => ({
      counters,
      tasks: await this.recentTasks(q),
      disputes: await q<DisputeRow>(`SELECT ${DISPUTE_COLUMNS} FROM ${T}.disputes ORDER BY opened_at DESC, dispute_id LIMIT 20`),
      nodes: await q<{ address: string; staked: string }>(
        `SELECT substr(id, 7) AS address, balance::text AS staked FROM ${L}.accounts WHERE id LIKE 'stake:%' ORDER BY balance DESC, id LIMIT ${LIST_LIMIT}`,
      ),
    }));
  }

  /** The latest tasks (the overview's table, also refreshed on its own). */
  recentTasksNow(): Promise<TaskSummaryRow[]> {
    return this.snapshot((q) => this.recentTasks(q));
  }

  private recentTasks(q: <Row>(sql: string, params?: unknown[]) => Promise<Row[]>): Promise<TaskSummaryRow[]> {
    return q<TaskSummaryRow>(`${TASK_SUMMARY} ORDER BY t.submitted_at DESC, t.task_hash LIMIT 20`);
  }

  task(taskHash: string): Promise<TaskDetail | null> {
    return this.snapshot(async (q) => {
      const [task] = await q<TaskRow>(
        `SELECT task_hash AS "taskHash", model_id AS "modelId", spec, client, status, output_tokens AS "outputTokens", fee, submitted_at AS "submittedAt"
         FROM ${I}.tasks WHERE task_hash = $1`,
        [taskHash],
      );
      if (!task) return null;
      const timeline = await q<StatusChange>(
        `SELECT sequence::float8 AS sequence, status, node, detail, changed_at AS "changedAt" FROM ${I}.task_status WHERE task_hash = $1 ORDER BY changed_at, sequence, id`,
        [taskHash],
      );
      const submissions = await q<SubmissionRow>(`SELECT ${SUBMISSION_COLUMNS} FROM ${T}.submissions WHERE task_hash = $1`, [taskHash]);
      const ids = submissions.map((s) => s.submissionId);
      const verdicts = await q<VerdictRow>(
        `SELECT ${VERDICT_COLUMNS} FROM ${T}.verdicts v JOIN ${T}.submissions s ON s.submission_id = v.submission_id
         WHERE v.submission_id = ANY($1::text[]) ORDER BY v.received_at, v.verifier`,
        [ids],
      );
      const refused = await q<RefusedRow>(
        `SELECT result_digest AS "resultDigest", submitter, reason, refused_at::float8 AS "refusedAt" FROM ${T}.refused_results WHERE task_hash = $1 ORDER BY refused_at`,
        [taskHash],
      );
      // What the task caused in the ledger: its escrow (and any refund of it), then every command
      // the tallier keyed by one of its submissions (payout, disputes, liquidations, pool shares).
      const entries = await q<EntryRow>(
        `SELECT ${ENTRY_COLUMNS} FROM ${L}.entries e JOIN ${L}.commands c ON c.key = e.command_key
         WHERE e.command_key = ANY($1::text[]) OR e.command_key LIKE ANY($2::text[]) ORDER BY e.id`,
        [[`escrow:${taskHash}`, `refund-escrow/escrow:${taskHash}`], ids.map((id) => `${id}/%`)],
      );
      const disputeIds = [...ids, ...submissions.flatMap((s) => (s.state.failedAudits ?? []).map((a) => a.disputeId))];
      const disputes = await q<DisputeRow>(
        `SELECT ${DISPUTE_COLUMNS} FROM ${T}.disputes WHERE dispute_id = ANY($1::text[]) ORDER BY opened_at`,
        [disputeIds],
      );
      return { task, timeline, submissions, verdicts, refused, entries, disputes };
    });
  }

  node(address: string): Promise<NodeDetail | null> {
    return this.snapshot(async (q) => {
      const accounts = await q<{ id: string; balance: string }>(
        `SELECT id, balance::text AS balance FROM ${L}.accounts WHERE id = ANY($1::text[])`,
        [[`free:${address}`, `stake:${address}`, `unbonding:${address}`]],
      );
      const seen = await q<{ n: string }>(
        `SELECT ((SELECT count(*) FROM ${T}.submissions WHERE submitter = $1) + (SELECT count(*) FROM ${T}.verdicts WHERE verifier = $1))::text AS n`,
        [address],
      );
      if (accounts.length === 0 && Number(seen[0]?.n ?? 0) === 0) return null;
      const balance = (kind: string): string => accounts.find((a) => a.id === `${kind}:${address}`)?.balance ?? '0';
      const stakeHistory = await q<StakePoint>(
        `SELECT ${ENTRY_COLUMNS}, (sum(e.amount) OVER (ORDER BY e.id))::text AS balance
         FROM ${L}.entries e JOIN ${L}.commands c ON c.key = e.command_key WHERE e.account = $1 ORDER BY e.id`,
        [`stake:${address}`],
      );
      const tasks = await q<TaskSummaryRow>(
        `SELECT t.task_hash AS "taskHash", t.model_id AS "modelId", t.status, t.submitted_at AS "submittedAt", s.submitter AS node
         FROM ${T}.submissions s JOIN ${I}.tasks t ON t.task_hash = s.task_hash WHERE s.submitter = $1 ORDER BY t.submitted_at DESC LIMIT ${LIST_LIMIT}`,
        [address],
      );
      const verdicts = await q<VerdictRow>(
        `SELECT ${VERDICT_COLUMNS} FROM ${T}.verdicts v JOIN ${T}.submissions s ON s.submission_id = v.submission_id
         WHERE v.verifier = $1 ORDER BY v.received_at DESC LIMIT ${LIST_LIMIT}`,
        [address],
      );
      const rewards = await q<EntryRow>(
        `SELECT ${ENTRY_COLUMNS} FROM ${L}.entries e JOIN ${L}.commands c ON c.key = e.command_key
         WHERE e.account = $1 AND c.kind IN ('payout-fee', 'distribute-pool') AND e.amount > 0 ORDER BY e.id DESC LIMIT ${LIST_LIMIT}`,
        [`free:${address}`],
      );
      const slashes = await q<EntryRow>(
        `SELECT ${ENTRY_COLUMNS} FROM ${L}.entries e JOIN ${L}.commands c ON c.key = e.command_key
         WHERE e.account = ANY($1::text[]) AND c.kind = 'liquidate' AND e.amount < 0 ORDER BY e.id`,
        [[`stake:${address}`, `unbonding:${address}`]],
      );
      const disputes = await q<DisputeRow>(`SELECT ${DISPUTE_COLUMNS} FROM ${T}.disputes WHERE accused = $1 ORDER BY opened_at`, [address]);
      return {
        address,
        accounts: { free: balance('free'), staked: balance('stake'), unbonding: balance('unbonding') },
        stakeHistory,
        tasks,
        verdicts,
        rewards,
        slashes,
        disputes,
      };
    });
  }

  dispute(disputeId: string): Promise<DisputeDetail | null> {
    return this.snapshot(async (q) => {
      const [dispute] = await q<DisputeRow>(`SELECT ${DISPUTE_COLUMNS} FROM ${T}.disputes WHERE dispute_id = $1`, [disputeId]);
      if (!dispute) return null;
      const [ledger] = await q<{ open: boolean }>(`SELECT open FROM ${L}.disputes WHERE id = $1`, [disputeId]);
      const parties = await q<{ address: string }>(`SELECT address FROM ${L}.dispute_parties WHERE dispute_id = $1 ORDER BY address`, [
        disputeId,
      ]);
      // A result dispute has the submission's id; an audit dispute is listed in its submission's failedAudits.
      const [submission] = await q<SubmissionRow>(
        `SELECT ${SUBMISSION_COLUMNS} FROM ${T}.submissions
         WHERE submission_id = $1 OR state->'failedAudits' @> jsonb_build_array(jsonb_build_object('disputeId', $1::text)) LIMIT 1`,
        [disputeId],
      );
      const verdicts = submission
        ? await q<VerdictRow>(
            `SELECT ${VERDICT_COLUMNS} FROM ${T}.verdicts v JOIN ${T}.submissions s ON s.submission_id = v.submission_id WHERE v.submission_id = $1 ORDER BY v.received_at`,
            [submission.submissionId],
          )
        : [];
      const poolEntries = await q<EntryRow>(
        `SELECT ${ENTRY_COLUMNS} FROM ${L}.entries e JOIN ${L}.commands c ON c.key = e.command_key
         WHERE e.command_key IN (SELECT command_key FROM ${L}.entries WHERE account = $1) ORDER BY e.id`,
        [`pool:${disputeId}`],
      );
      return {
        dispute,
        ledgerOpen: ledger?.open ?? null,
        parties: parties.map((p) => p.address),
        submission: submission ?? null,
        verdicts,
        poolEntries,
      };
    });
  }

  /** A task hash, a dispute id (both 0x + 64 hex) or a node address (0x + 40 hex) that exists. */
  search(term: string): Promise<SearchHit | null> {
    return this.snapshot(async (q) => {
      if (term.length === 42) {
        const [hit] = await q<{ n: string }>(
          `SELECT ((SELECT count(*) FROM ${L}.accounts WHERE id = ANY($2::text[])) + (SELECT count(*) FROM ${T}.submissions WHERE submitter = $1)
                  + (SELECT count(*) FROM ${T}.verdicts WHERE verifier = $1))::text AS n`,
          [term, [`free:${term}`, `stake:${term}`, `unbonding:${term}`]],
        );
        return Number(hit?.n ?? 0) > 0 ? { kind: 'node', id: term } : null;
      }
      const [task] = await q<{ id: string }>(`SELECT task_hash AS id FROM ${I}.tasks WHERE task_hash = $1`, [term]);
      if (task) return { kind: 'task', id: term };
      const [dispute] = await q<{ id: string }>(`SELECT dispute_id AS id FROM ${T}.disputes WHERE dispute_id = $1`, [term]);
      if (dispute) return { kind: 'dispute', id: term };
      // A submission id (result digest) leads to its task.
      const [submission] = await q<{ id: string }>(`SELECT task_hash AS id FROM ${T}.submissions WHERE submission_id = $1`, [term]);
      return submission ? { kind: 'task', id: submission.id } : null;
    });
  }
}
