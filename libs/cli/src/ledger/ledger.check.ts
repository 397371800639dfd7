import { TaskStatus } from '@aegis/contracts';
import { Client } from 'pg';

/** Where the two schemas live (their defaults; other names only in tests on a shared database). */
export interface LedgerCheckSchemas {
  readonly ledger: string;
  readonly ingress: string;
}

export const DEFAULT_SCHEMAS: LedgerCheckSchemas = { ledger: 'ledger', ingress: 'ingress' };

/** One escrow account that still holds money, and why that is wrong. */
export interface EscrowFinding {
  readonly taskHash: string;
  readonly amount: bigint;
}

export interface LedgerCheckReport {
  /** Every check below passed. */
  readonly ok: boolean;
  readonly minted: bigint;
  /** The sum of every account's balance: must equal minted (double entry creates nothing). */
  readonly balances: bigint;
  /** Accounts below zero (none may be). */
  readonly negative: string[];
  /** Accounts whose balance is not the sum of their entries. */
  readonly unreconciled: string[];
  /** Escrows holding money for a task ingress never stored: refund them (`aegis ledger refund-escrows`). */
  readonly orphanEscrows: EscrowFinding[];
  /** Escrows holding money for a task already decided (ACCEPTED or REJECTED): its payout is missing. */
  readonly unpaidEscrows: EscrowFinding[];
}

/** Tasks whose fee the tallier pays out when it decides them. */
const DECIDED = [TaskStatus.ACCEPTED, TaskStatus.REJECTED];

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The ledger invariant, read from Postgres in one REPEATABLE READ snapshot across the ledger's and
 * ingress's schemas so concurrent commands cannot skew it: the balances sum to what was minted,
 * nothing is negative, every balance is the sum of its entries, and every escrow that still holds
 * money belongs to a task that is still in flight. An escrow committed a moment before its task
 * (ingress escrows first) reads as an orphan for that moment: run it again before acting.
 */
export async function checkLedger(url: string, schemas: LedgerCheckSchemas = DEFAULT_SCHEMAS): Promise<LedgerCheckReport> {
  for (const [name, schema] of Object.entries(schemas)) {
    if (!IDENT.test(schema)) throw new Error(`--${name}-schema: not a schema name: ${JSON.stringify(schema)}`);
  }
  const l = `"${schemas.ledger}"`;
  const i = `"${schemas.ingress}"`;
  const client = new Client({ connectionString: url, application_name: 'aegis-ledger-check', connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const totals = await client.query<{ balances: string; minted: string; negative: string[] }>(
      `SELECT (SELECT coalesce(sum(balance), 0) FROM ${l}.accounts)::text AS balances,
              (SELECT coalesce(sum(minted), 0) FROM ${l}.supply)::text AS minted,
              (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM ${l}.accounts WHERE balance < 0) AS negative`,
    );
    const unreconciled = await client.query<{ id: string }>(
      `SELECT coalesce(a.id, e.account) AS id FROM ${l}.accounts a
       FULL JOIN (SELECT account, sum(amount) AS total FROM ${l}.entries GROUP BY account) e ON e.account = a.id
       WHERE coalesce(a.balance, 0) <> coalesce(e.total, 0) ORDER BY 1`,
    );
    const escrows = await client.query<{ task_hash: string; amount: string; status: number | null }>(
      `SELECT substr(a.id, 8) AS task_hash, a.balance::text AS amount, t.status
       FROM ${l}.accounts a LEFT JOIN ${i}.tasks t ON t.task_hash = substr(a.id, 8)
       WHERE a.id LIKE 'escrow:%' AND a.balance <> 0 ORDER BY a.id`,
    );
    await client.query('COMMIT');
    const row = totals.rows[0];
    const balances = BigInt(row?.balances ?? '0');
    const minted = BigInt(row?.minted ?? '0');
    const negative = row?.negative ?? [];
    const finding = (r: { task_hash: string; amount: string }): EscrowFinding => ({ taskHash: r.task_hash, amount: BigInt(r.amount) });
    const orphanEscrows = escrows.rows.filter((r) => r.status === null).map(finding);
    const unpaidEscrows = escrows.rows.filter((r) => r.status !== null && DECIDED.includes(r.status)).map(finding);
    const ok =
      balances === minted &&
      negative.length === 0 &&
      unreconciled.rows.length === 0 &&
      orphanEscrows.length === 0 &&
      unpaidEscrows.length === 0;
    return { ok, minted, balances, negative, unreconciled: unreconciled.rows.map((r) => r.id), orphanEscrows, unpaidEscrows };
  } finally {
    await client.end();
  }
}
