import { TaskStatus } from '@aegis/contracts';
import { Client } from 'pg';
import { checkLedger, type LedgerCheckReport } from '../ledger/ledger.check';

/** Where the three schemas live (their defaults; other names only in tests on a shared database). */
export interface NetworkSchemas {
  readonly ledger: string;
  readonly ingress: string;
  readonly tallier: string;
}

export const NETWORK_SCHEMAS: NetworkSchemas = { ledger: 'ledger', ingress: 'ingress', tallier: 'tallier' };

export interface NetworkStatusOptions {
  /** Stake at or above which a node is active (the ledger's AEGIS_MIN_STAKE). */
  readonly minStake: bigint;
  /** The rate window: status changes in the last this many minutes. */
  readonly windowMinutes: number;
  /** How many of the latest liquidations to list. */
  readonly liquidations: number;
}

export interface ActiveNode {
  readonly address: string;
  readonly staked: bigint;
}

export interface OpenDispute {
  readonly disputeId: string;
  readonly accused: string;
  readonly parties: number;
}

/** One liquidate command: whose stake went into which dispute's pool. */
export interface Liquidation {
  readonly disputeId: string;
  readonly address: string;
  readonly slashed: bigint;
  readonly at: string;
}

export interface NetworkStatus {
  readonly activeNodes: number;
  readonly activeStake: bigint;
  readonly nodes: ActiveNode[];
  /** Tasks by their current status (QUEUED, ACCEPTED, ...). */
  readonly tasks: Record<string, number>;
  readonly windowMinutes: number;
  /** Status changes per minute over the window, by the status moved into. */
  readonly tasksPerMinute: Record<string, number>;
  readonly openDisputes: OpenDispute[];
  readonly recentLiquidations: Liquidation[];
  readonly ledger: LedgerCheckReport;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkSchemas(schemas: NetworkSchemas): void {
  for (const [name, schema] of Object.entries(schemas)) {
    if (!IDENT.test(schema)) throw new Error(`--${name}-schema: not a schema name: ${JSON.stringify(schema)}`);
  }
}

/** TASK_STATUS_ACCEPTED -> ACCEPTED; an unknown number stays visible as its number. */
export function statusName(status: number): string {
  return (TaskStatus as unknown as Record<number, string | undefined>)[status] ?? String(status);
}

/**
 * What the whole network is doing, read from Postgres (the ledger's, ingress's and tallier's
 * schemas) in one REPEATABLE READ snapshot, plus the ledger invariant (checkLedger, its own
 * snapshot). Read-only: it changes nothing.
 */
export async function networkStatus(
  url: string,
  options: NetworkStatusOptions,
  schemas: NetworkSchemas = NETWORK_SCHEMAS,
): Promise<NetworkStatus> {
  checkSchemas(schemas);
  const l = `"${schemas.ledger}"`;
  const i = `"${schemas.ingress}"`;
  const client = new Client({ connectionString: url, application_name: 'aegis-network-status', connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const nodes = await client.query<{ address: string; staked: string }>(
      `SELECT substr(id, 7) AS address, balance::text AS staked FROM ${l}.accounts
       WHERE id LIKE 'stake:%' AND balance > 0 AND balance >= $1::numeric ORDER BY balance DESC, id`,
      [options.minStake.toString()],
    );
    const tasks = await client.query<{ status: number; n: string }>(
      `SELECT status, count(*)::text AS n FROM ${i}.tasks GROUP BY status ORDER BY status`,
    );
    const moves = await client.query<{ status: number; n: string }>(
      `SELECT status, count(*)::text AS n FROM ${i}.task_status
       WHERE changed_at > now() - make_interval(mins => $1) GROUP BY status ORDER BY status`,
      [options.windowMinutes],
    );
    const disputes = await client.query<{ id: string; accused: string; parties: string }>(
      `SELECT d.id, d.accused, (SELECT count(*) FROM ${l}.dispute_parties p WHERE p.dispute_id = d.id)::text AS parties
       FROM ${l}.disputes d WHERE d.open ORDER BY d.id`,
    );
    // A liquidate command debits the node's stake (and unbonding) and credits pool:<dispute>.
    const liquidations = await client.query<{ dispute_id: string; address: string; slashed: string; at: Date }>(
      `SELECT (array_agg(substr(e.account, 6)) FILTER (WHERE e.account LIKE 'pool:%'))[1] AS dispute_id,
              (array_agg(split_part(e.account, ':', 2)) FILTER (WHERE e.amount < 0))[1] AS address,
              coalesce(sum(e.amount) FILTER (WHERE e.account LIKE 'pool:%'), 0)::text AS slashed,
              c.applied_at AS at
       FROM ${l}.commands c JOIN ${l}.entries e ON e.command_key = c.key
       WHERE c.kind = 'liquidate' GROUP BY c.key, c.applied_at ORDER BY c.applied_at DESC, c.key LIMIT $1`,
      [options.liquidations],
    );
    await client.query('COMMIT');
    const byStatus = (rows: { status: number; n: string }[], scale: (n: number) => number): Record<string, number> =>
      Object.fromEntries(rows.map((r) => [statusName(r.status), scale(Number(r.n))]));
    const active = nodes.rows.map((r) => ({ address: r.address, staked: BigInt(r.staked) }));
    return {
      activeNodes: active.length,
      activeStake: active.reduce((s, n) => s + n.staked, 0n),
      nodes: active,
      tasks: byStatus(tasks.rows, (n) => n),
      windowMinutes: options.windowMinutes,
      tasksPerMinute: byStatus(moves.rows, (n) => Math.round((n / options.windowMinutes) * 100) / 100),
      openDisputes: disputes.rows.map((r) => ({ disputeId: r.id, accused: r.accused, parties: Number(r.parties) })),
      recentLiquidations: liquidations.rows.map((r) => ({
        disputeId: r.dispute_id,
        address: r.address,
        slashed: BigInt(r.slashed),
        at: r.at.toISOString(),
      })),
      ledger: await checkLedger(url, { ledger: schemas.ledger, ingress: schemas.ingress }),
    };
  } finally {
    await client.end();
  }
}

/** What a node did, from the tallier's tables: the results it submitted and the verdicts it gave. */
export interface NodeActivity {
  /** Results it submitted, by the task's current status (ACCEPTED, REJECTED, ...). */
  readonly tasksServed: Record<string, number>;
  readonly tasksServedTotal: number;
  /** Verdicts it gave, by kind (ACCEPT / REJECT). */
  readonly verdicts: Record<string, number>;
  readonly verdictsTotal: number;
  /** Of those, how many the PoW checker failed (POW_FAILED or AUDIT_FAILED). */
  readonly verdictsFailedCheck: number;
}

/** POW_FAILED, AUDIT_FAILED: a verdict whose proof of work did not check out. */
const FAILED_OUTCOMES = [3, 4];

export async function nodeActivity(url: string, address: string, schemas: NetworkSchemas = NETWORK_SCHEMAS): Promise<NodeActivity> {
  checkSchemas(schemas);
  const t = `"${schemas.tallier}"`;
  const i = `"${schemas.ingress}"`;
  const client = new Client({ connectionString: url, application_name: 'aegis-node-status', connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const served = await client.query<{ status: number | null; n: string }>(
      `SELECT t.status, count(*)::text AS n FROM ${t}.submissions s LEFT JOIN ${i}.tasks t ON t.task_hash = s.task_hash
       WHERE s.submitter = $1 GROUP BY t.status ORDER BY t.status`,
      [address],
    );
    const verdicts = await client.query<{ kind: string; n: string; failed: string }>(
      `SELECT kind, count(*)::text AS n, count(*) FILTER (WHERE outcome = ANY($2::smallint[]))::text AS failed
       FROM ${t}.verdicts WHERE verifier = $1 GROUP BY kind ORDER BY kind`,
      [address, FAILED_OUTCOMES],
    );
    await client.query('COMMIT');
    const tasksServed = Object.fromEntries(served.rows.map((r) => [r.status === null ? 'UNKNOWN' : statusName(r.status), Number(r.n)]));
    const verdictCounts = Object.fromEntries(verdicts.rows.map((r) => [r.kind.toUpperCase(), Number(r.n)]));
    return {
      tasksServed,
      tasksServedTotal: Object.values(tasksServed).reduce((s, n) => s + n, 0),
      verdicts: verdictCounts,
      verdictsTotal: Object.values(verdictCounts).reduce((s, n) => s + n, 0),
      verdictsFailedCheck: verdicts.rows.reduce((s, r) => s + Number(r.failed), 0),
    };
  } finally {
    await client.end();
  }
}
