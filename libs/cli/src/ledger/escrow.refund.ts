import { isLedgerError, PgLedger, type LedgerRules } from '@aegis/ledger';
import { Client } from 'pg';
import type { LedgerCheckSchemas } from './ledger.check';

/** One escrow-fee command whose money goes back: its task, the client who paid, how much. */
export interface EscrowRefund {
  readonly taskHash: string;
  readonly client: string;
  readonly amount: bigint;
  /** applied now, replayed (refunded by an earlier run), or refused (with the ledger's reason). */
  readonly outcome: 'applied' | 'replayed' | 'refused';
  readonly detail?: string;
}

/**
 * Refunds every escrow whose task ingress never stored, once its fee has sat for `minAgeSeconds`
 * (ingress escrows a moment before it stores the task; the age keeps a refund from racing a
 * submission in flight). Each escrow-fee command is refunded by one `refund-escrow` command,
 * one ledger transaction, keyed `refund-escrow/<the escrow's idempotency key>`: running this
 * again, or after a crash halfway, refunds nothing twice.
 */
export async function refundOrphanEscrows(
  url: string,
  schemas: LedgerCheckSchemas,
  options: { minAgeSeconds: number; now?: Date },
): Promise<EscrowRefund[]> {
  const now = options.now ?? new Date();
  const owed = await orphanEscrowEntries(url, schemas, new Date(now.getTime() - options.minAgeSeconds * 1000));
  if (owed.length === 0) return [];
  // Refunds read no rule that depends on stake: any rules do.
  const rules: LedgerRules = { minStake: 1n, unbondingSeconds: 0 };
  const ledger = await PgLedger.connect({ url, schema: schemas.ledger, rules, poolSize: 1, applicationName: 'aegis-ledger-refund' });
  try {
    const refunds: EscrowRefund[] = [];
    for (const e of owed) {
      try {
        const { applied } = await ledger.apply(
          { kind: 'refund-escrow', key: `refund-escrow/${e.escrowKey}`, taskId: e.taskHash, client: e.client, amount: e.amount },
          now,
        );
        refunds.push({ taskHash: e.taskHash, client: e.client, amount: e.amount, outcome: applied ? 'applied' : 'replayed' });
      } catch (err) {
        if (!isLedgerError(err)) throw err;
        refunds.push({ taskHash: e.taskHash, client: e.client, amount: e.amount, outcome: 'refused', detail: err.message });
      }
    }
    return refunds;
  } finally {
    await ledger.close();
  }
}

interface OwedEscrow {
  readonly taskHash: string;
  readonly client: string;
  readonly amount: bigint;
  readonly escrowKey: string;
}

/** The escrow-fee commands (credit to escrow:<task>, debit of free:<client>) of tasks ingress does not hold. */
async function orphanEscrowEntries(url: string, schemas: LedgerCheckSchemas, before: Date): Promise<OwedEscrow[]> {
  const l = `"${schemas.ledger}"`;
  const i = `"${schemas.ingress}"`;
  const client = new Client({ connectionString: url, application_name: 'aegis-ledger-refund', connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ task_hash: string; client: string; amount: string; command_key: string }>(
      `SELECT substr(credit.account, 8) AS task_hash, substr(debit.account, 6) AS client, credit.amount::text AS amount, credit.command_key
       FROM ${l}.entries credit
       JOIN ${l}.entries debit ON debit.command_key = credit.command_key AND debit.account LIKE 'free:%' AND debit.amount = -credit.amount
       JOIN ${l}.accounts a ON a.id = credit.account AND a.balance > 0
       WHERE credit.account LIKE 'escrow:%' AND credit.amount > 0 AND credit.created_at < $1
         AND NOT EXISTS (SELECT 1 FROM ${i}.tasks t WHERE t.task_hash = substr(credit.account, 8))
       ORDER BY credit.id`,
      [before],
    );
    return rows.map((r) => ({ taskHash: r.task_hash, client: r.client, amount: BigInt(r.amount), escrowKey: r.command_key }));
  } finally {
    await client.end();
  }
}
