import { PoisonMessageError } from '@aegis/bus';
import type { LedgerCommand as LedgerCommandMessage } from '@aegis/contracts';
import { isLedgerError, parseLedgerCommand, type LedgerCommand } from '@aegis/ledger';

/**
 * A LedgerCommand record -> the ledger's command. Malformed content (wrong byte lengths, no
 * command, bad amounts) can never apply: PoisonMessageError, so it is dead-lettered with the
 * reason instead of blocking the partition.
 */
export function commandFromMessage(message: LedgerCommandMessage): LedgerCommand {
  const c = message.command;
  const key = message.idempotencyKey;
  const raw = ((): Record<string, unknown> => {
    switch (c.case) {
      case 'deposit':
        return { kind: 'deposit', key, address: hex(c.value.address, 20, 'deposit.address'), amount: c.value.amount };
      case 'stake':
        return { kind: 'stake', key, address: hex(c.value.address, 20, 'stake.address'), amount: c.value.amount };
      case 'requestUnstake':
        return { kind: 'request-unstake', key, address: hex(c.value.address, 20, 'request_unstake.address'), amount: c.value.amount };
      case 'withdraw':
        return { kind: 'withdraw', key, address: hex(c.value.address, 20, 'withdraw.address') };
      case 'openDispute':
        return {
          kind: 'open-dispute',
          key,
          disputeId: hex(c.value.disputeId, 32, 'open_dispute.dispute_id'),
          accused: hex(c.value.accused, 20, 'open_dispute.accused'),
        };
      case 'joinDispute':
        return {
          kind: 'join-dispute',
          key,
          disputeId: hex(c.value.disputeId, 32, 'join_dispute.dispute_id'),
          address: hex(c.value.address, 20, 'join_dispute.address'),
        };
      case 'liquidate':
        return {
          kind: 'liquidate',
          key,
          disputeId: hex(c.value.disputeId, 32, 'liquidate.dispute_id'),
          address: hex(c.value.address, 20, 'liquidate.address'),
        };
      case 'distributePool':
        return {
          kind: 'distribute-pool',
          key,
          disputeId: hex(c.value.disputeId, 32, 'distribute_pool.dispute_id'),
          winners: c.value.winners.map((w, i) => hex(w, 20, `distribute_pool.winners[${i}]`)),
        };
      case 'escrowFee':
        return {
          kind: 'escrow-fee',
          key,
          taskId: hex(c.value.taskHash, 32, 'escrow_fee.task_hash'),
          client: hex(c.value.client, 20, 'escrow_fee.client'),
          amount: c.value.amount,
        };
      case 'payoutFee':
        return {
          kind: 'payout-fee',
          key,
          taskId: hex(c.value.taskHash, 32, 'payout_fee.task_hash'),
          submitter: hex(c.value.submitter, 20, 'payout_fee.submitter'),
          verifiers: c.value.verifiers.map((v, i) => hex(v, 20, `payout_fee.verifiers[${i}]`)),
          submitterShareBps: c.value.submitterShareBps,
        };
      case undefined:
        throw new PoisonMessageError('invalid', 'command', 'no command set');
      default: {
        const unreachable: never = c;
        throw new PoisonMessageError('invalid', 'command', `unknown command ${JSON.stringify(unreachable)}`);
      }
    }
  })();
  try {
    return parseLedgerCommand(raw);
  } catch (err) {
    if (isLedgerError(err)) throw new PoisonMessageError('invalid', err.field, err.message, { cause: err });
    throw err;
  }
}

function hex(bytes: Uint8Array, length: number, field: string): string {
  if (bytes.length !== length) throw new PoisonMessageError('invalid', field, `must be ${length} bytes, got ${bytes.length}`);
  return `0x${Buffer.from(bytes).toString('hex')}`;
}
