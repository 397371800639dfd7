import { accountId, TREASURY } from './ledger.accounts';
import { MAX_AMOUNT, MAX_AMOUNT_DIGITS, parseAmount } from './ledger.amount';
import { BPS_DENOMINATOR, LedgerCommand, parseLedgerCommand } from './ledger.commands';
import { LedgerError, LedgerErrorCode } from './ledger.errors';

/** Economic parameters, from configuration (AEGIS_MIN_STAKE, AEGIS_UNBONDING_SECONDS). */
export interface LedgerRules {
  /** A node whose stake is at least this (and above zero) is active. */
  minStake: bigint;
  /** Delay between request-unstake and the earliest withdraw. */
  unbondingSeconds: number;
}

export function parseLedgerRules(input: { minStake: string | bigint; unbondingSeconds: number }): LedgerRules {
  const { unbondingSeconds } = input;
  if (!Number.isSafeInteger(unbondingSeconds) || unbondingSeconds < 0) {
    throw new LedgerError(LedgerErrorCode.INVALID_COMMAND, 'unbondingSeconds', 'expected a non-negative integer');
  }
  return { minStake: parseAmount(input.minStake, 'minStake'), unbondingSeconds };
}

/** One line of a double-entry transaction: a signed change to one account. */
export interface Posting {
  account: string;
  amount: bigint;
}

/** Stake on its way out: withdrawable at `releaseAt`, still liquidatable until then. */
export interface UnbondingTranche {
  /** The idempotency key of the request-unstake that created it. */
  id: string;
  amount: bigint;
  releaseAt: Date;
}

export interface DisputeState {
  accused: string;
  open: boolean;
  /** The accused plus every node that joined (frozen while the dispute is open). */
  parties: readonly string[];
}

/** What a plan may read. Stores build it from (locked) rows; planning never does I/O. */
export interface LedgerView {
  /** undefined: the account has never been credited. */
  balance(account: string): bigint | undefined;
  unbonding(address: string): readonly UnbondingTranche[];
  dispute(disputeId: string): DisputeState | undefined;
  /** Ids of the open disputes `address` is a party to. */
  openDisputesOf(address: string): readonly string[];
}

export type DisputeChange =
  | { kind: 'open'; disputeId: string; accused: string }
  | { kind: 'join'; disputeId: string; address: string }
  | { kind: 'close'; disputeId: string };

/** Everything one command changes. Postings sum to `minted` (zero except for deposits). */
export interface LedgerTransition {
  command: LedgerCommand;
  postings: Posting[];
  minted: bigint;
  unbondingAdded?: UnbondingTranche & { address: string };
  unbondingReleased?: { address: string; ids: string[] };
  dispute?: DisputeChange;
}

/** What a store must load (and lock) before planning `cmd`. Accounts sorted: the lock order. */
export interface PlanReads {
  accounts: string[];
  /**
   * Accounts the command may credit without reading them (only the treasury): a store need not
   * lock them up front, which lets it spread a hot credit-only account over several rows.
   */
  creditOnly: string[];
  unbondingOf?: string;
  openDisputesOf?: string;
  dispute?: string;
}

/** The postings of one command, or a LedgerError. Pure: same inputs, same output. */
export function planCommand(cmd: LedgerCommand, view: LedgerView, now: Date, rules: LedgerRules): Posting[] {
  return planTransition(cmd, view, now, rules).postings;
}

export function planReads(input: LedgerCommand): PlanReads {
  return planReadsOf(parseLedgerCommand(input));
}

/** planReads for a command that already went through parseLedgerCommand (stores parse once). */
export function planReadsOf(cmd: LedgerCommand): PlanReads {
  const reads = ((): Omit<PlanReads, 'creditOnly'> & { creditOnly?: string[] } => {
    switch (cmd.kind) {
      case 'deposit':
        return { accounts: [accountId.free(cmd.address)] };
      case 'stake':
        return { accounts: [accountId.free(cmd.address), accountId.stake(cmd.address)] };
      case 'request-unstake':
        return {
          accounts: [accountId.stake(cmd.address), accountId.unbonding(cmd.address)],
          unbondingOf: cmd.address,
          openDisputesOf: cmd.address,
        };
      case 'withdraw':
        return {
          accounts: [accountId.unbonding(cmd.address), accountId.free(cmd.address)],
          unbondingOf: cmd.address,
          openDisputesOf: cmd.address,
        };
      case 'open-dispute':
      case 'join-dispute':
        return { accounts: [], dispute: cmd.disputeId };
      case 'liquidate':
        return {
          accounts: [accountId.stake(cmd.address), accountId.unbonding(cmd.address), accountId.pool(cmd.disputeId)],
          unbondingOf: cmd.address,
          dispute: cmd.disputeId,
        };
      case 'distribute-pool':
        return {
          accounts: [accountId.pool(cmd.disputeId), ...cmd.winners.map(accountId.free)],
          creditOnly: [TREASURY],
          dispute: cmd.disputeId,
        };
      case 'escrow-fee':
      case 'refund-escrow':
        return { accounts: [accountId.free(cmd.client), accountId.escrow(cmd.taskId)] };
      case 'payout-fee':
        return {
          accounts: [accountId.escrow(cmd.taskId), accountId.free(cmd.submitter), ...cmd.verifiers.map(accountId.free)],
          creditOnly: [TREASURY],
        };
    }
  })();
  return { ...reads, accounts: [...new Set(reads.accounts)].sort(), creditOnly: reads.creditOnly ?? [] };
}

/**
 * The full effect of one command against a view of the ledger: postings plus the non-monetary
 * changes (unbonding tranches, dispute state). Validates the command first, so any input is safe.
 */
export function planTransition(input: LedgerCommand, view: LedgerView, now: Date, rules: LedgerRules): LedgerTransition {
  return planParsedTransition(parseLedgerCommand(input), view, now, rules);
}

/** planTransition for a command that already went through parseLedgerCommand (stores parse once). */
export function planParsedTransition(cmd: LedgerCommand, view: LedgerView, now: Date, rules: LedgerRules): LedgerTransition {
  const t = planValid(cmd, view, now, rules);
  const sum = t.postings.reduce((acc, p) => acc + p.amount, 0n);
  // Cannot happen unless a rule above is wrong; refuse loudly rather than create or destroy money.
  if (sum !== t.minted) throw new Error(`ledger bug: ${cmd.kind} postings sum to ${sum}, minted ${t.minted}`);
  return t;
}

function planValid(cmd: LedgerCommand, view: LedgerView, now: Date, rules: LedgerRules): LedgerTransition {
  const out = new Postings();
  switch (cmd.kind) {
    case 'deposit': {
      // Each amount fits NUMERIC(78,0) on its own; the balance it lands on must still fit after.
      const balance = view.balance(accountId.free(cmd.address)) ?? 0n;
      if (balance + cmd.amount > MAX_AMOUNT) {
        throw new LedgerError(
          LedgerErrorCode.INVALID_AMOUNT,
          'amount',
          `would take ${accountId.free(cmd.address)} (${balance}) past ${MAX_AMOUNT_DIGITS} digits`,
        );
      }
      out.add(accountId.free(cmd.address), cmd.amount);
      return { command: cmd, postings: out.list, minted: cmd.amount };
    }

    case 'stake':
      out.move(debit(view, accountId.free(cmd.address), cmd.amount, 'address', 'amount'), accountId.stake(cmd.address), cmd.amount);
      return { command: cmd, postings: out.list, minted: 0n };

    case 'request-unstake': {
      refuseIfParty(view, cmd.address);
      out.move(debit(view, accountId.stake(cmd.address), cmd.amount, 'address', 'amount'), accountId.unbonding(cmd.address), cmd.amount);
      const releaseAt = new Date(now.getTime() + rules.unbondingSeconds * 1000);
      return {
        command: cmd,
        postings: out.list,
        minted: 0n,
        unbondingAdded: { id: cmd.key, address: cmd.address, amount: cmd.amount, releaseAt },
      };
    }

    case 'withdraw': {
      refuseIfParty(view, cmd.address);
      const tranches = view.unbonding(cmd.address);
      if (tranches.length === 0) {
        throw new LedgerError(LedgerErrorCode.NOTHING_TO_WITHDRAW, 'address', `${cmd.address} has nothing unbonding`);
      }
      const matured = tranches.filter((t) => t.releaseAt.getTime() <= now.getTime());
      if (matured.length === 0) {
        const next = Math.min(...tranches.map((t) => t.releaseAt.getTime()));
        throw new LedgerError(LedgerErrorCode.NOT_MATURED, 'address', `earliest release at ${new Date(next).toISOString()}`);
      }
      const amount = matured.reduce((acc, t) => acc + t.amount, 0n);
      out.move(debit(view, accountId.unbonding(cmd.address), amount, 'address', 'address'), accountId.free(cmd.address), amount);
      return {
        command: cmd,
        postings: out.list,
        minted: 0n,
        unbondingReleased: { address: cmd.address, ids: matured.map((t) => t.id) },
      };
    }

    case 'open-dispute':
      if (view.dispute(cmd.disputeId)) {
        throw new LedgerError(LedgerErrorCode.DISPUTE_EXISTS, 'disputeId', `dispute ${cmd.disputeId} already exists`);
      }
      return { command: cmd, postings: [], minted: 0n, dispute: { kind: 'open', disputeId: cmd.disputeId, accused: cmd.accused } };

    case 'join-dispute': {
      const dispute = openDispute(view, cmd.disputeId);
      if (dispute.parties.includes(cmd.address)) return { command: cmd, postings: [], minted: 0n };
      return { command: cmd, postings: [], minted: 0n, dispute: { kind: 'join', disputeId: cmd.disputeId, address: cmd.address } };
    }

    case 'liquidate': {
      openDispute(view, cmd.disputeId);
      const stake = view.balance(accountId.stake(cmd.address));
      const unbonding = view.balance(accountId.unbonding(cmd.address));
      if (stake === undefined && unbonding === undefined) {
        throw new LedgerError(LedgerErrorCode.UNKNOWN_ACCOUNT, 'address', `${cmd.address} has never staked`);
      }
      // Unbonding stake is still at risk: otherwise a cheater would unstake just before being caught.
      const pool = accountId.pool(cmd.disputeId);
      out.move(accountId.stake(cmd.address), pool, stake ?? 0n);
      out.move(accountId.unbonding(cmd.address), pool, unbonding ?? 0n);
      const ids = view.unbonding(cmd.address).map((t) => t.id);
      return {
        command: cmd,
        postings: out.list,
        minted: 0n,
        ...(ids.length > 0 ? { unbondingReleased: { address: cmd.address, ids } } : {}),
      };
    }

    case 'distribute-pool': {
      openDispute(view, cmd.disputeId);
      const pool = accountId.pool(cmd.disputeId);
      const total = view.balance(pool) ?? 0n;
      out.add(pool, -total);
      splitEqually(out, total, cmd.winners.map(accountId.free));
      return { command: cmd, postings: out.list, minted: 0n, dispute: { kind: 'close', disputeId: cmd.disputeId } };
    }

    case 'escrow-fee':
      out.move(debit(view, accountId.free(cmd.client), cmd.amount, 'client', 'amount'), accountId.escrow(cmd.taskId), cmd.amount);
      return { command: cmd, postings: out.list, minted: 0n };

    case 'refund-escrow':
      out.move(debit(view, accountId.escrow(cmd.taskId), cmd.amount, 'taskId', 'amount'), accountId.free(cmd.client), cmd.amount);
      return { command: cmd, postings: out.list, minted: 0n };

    case 'payout-fee': {
      const escrow = accountId.escrow(cmd.taskId);
      const total = view.balance(escrow);
      if (total === undefined) throw new LedgerError(LedgerErrorCode.UNKNOWN_ACCOUNT, 'taskId', `no fee escrow for task ${cmd.taskId}`);
      if (total === 0n) throw new LedgerError(LedgerErrorCode.INSUFFICIENT_FUNDS, 'taskId', `escrow of task ${cmd.taskId} is empty`);
      const submitterShare = cmd.verifiers.length === 0 ? total : (total * BigInt(cmd.submitterShareBps)) / BigInt(BPS_DENOMINATOR);
      out.add(escrow, -total);
      out.add(accountId.free(cmd.submitter), submitterShare);
      if (cmd.verifiers.length > 0) splitEqually(out, total - submitterShare, cmd.verifiers.map(accountId.free));
      return { command: cmd, postings: out.list, minted: 0n };
    }
  }
}

/** Equal integer shares; what integer division leaves (or everything, with nobody to pay) -> treasury. */
function splitEqually(out: Postings, total: bigint, accounts: string[]): void {
  const share = accounts.length === 0 ? 0n : total / BigInt(accounts.length);
  for (const account of accounts) out.add(account, share);
  out.add(TREASURY, total - share * BigInt(accounts.length));
}

/** Returns `account` after checking it holds at least `amount`. */
function debit(view: LedgerView, account: string, amount: bigint, ownerField: string, amountField: string): string {
  const balance = view.balance(account);
  if (balance === undefined) throw new LedgerError(LedgerErrorCode.UNKNOWN_ACCOUNT, ownerField, `no account ${account}`);
  if (balance < amount) {
    throw new LedgerError(LedgerErrorCode.INSUFFICIENT_FUNDS, amountField, `${account} holds ${balance}, needs ${amount}`);
  }
  return account;
}

function refuseIfParty(view: LedgerView, address: string): void {
  const open = view.openDisputesOf(address);
  if (open.length > 0) {
    throw new LedgerError(LedgerErrorCode.DISPUTE_OPEN, 'address', `${address} is party to open dispute ${open[0]}`);
  }
}

function openDispute(view: LedgerView, disputeId: string): DisputeState {
  const dispute = view.dispute(disputeId);
  if (!dispute) throw new LedgerError(LedgerErrorCode.UNKNOWN_DISPUTE, 'disputeId', `no dispute ${disputeId}`);
  if (!dispute.open) throw new LedgerError(LedgerErrorCode.DISPUTE_CLOSED, 'disputeId', `dispute ${disputeId} is closed`);
  return dispute;
}

/** Collects postings, dropping zero amounts (they would be empty entries). */
class Postings {
  readonly list: Posting[] = [];

  add(account: string, amount: bigint): void {
    if (amount !== 0n) this.list.push({ account, amount });
  }

  move(from: string, to: string, amount: bigint): void {
    this.add(from, -amount);
    this.add(to, amount);
  }
}
