import { keccak256 } from '@aegis/protocol';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import { parseAddress, parseRef } from './ledger.accounts';
import { parsePositiveAmount } from './ledger.amount';
import { LedgerError, LedgerErrorCode } from './ledger.errors';

/** Basis points: 10,000 = 100%. */
export const BPS_DENOMINATOR = 10_000;
const MAX_KEY_LENGTH = 200;
/** Caps on list sizes so that one command stays one small transaction. */
export const MAX_RECIPIENTS = 10_000;

interface Keyed {
  /** Idempotency key: the same key with the same content applies once; with other content it is refused. */
  key: string;
}

/** Devnet faucet: mints `amount` into the node's free balance (the only way money enters). */
export interface DepositCommand extends Keyed {
  kind: 'deposit';
  address: string;
  amount: bigint;
}
/** free -> stake. */
export interface StakeCommand extends Keyed {
  kind: 'stake';
  address: string;
  amount: bigint;
}
/** stake -> unbonding, withdrawable after the unbonding delay; refused while party to an open dispute. */
export interface RequestUnstakeCommand extends Keyed {
  kind: 'request-unstake';
  address: string;
  amount: bigint;
}
/** Every matured unbonding tranche -> free; refused while party to an open dispute. */
export interface WithdrawCommand extends Keyed {
  kind: 'withdraw';
  address: string;
}
/** Opens a dispute against `accused`, who may not unstake or withdraw until it closes. */
export interface OpenDisputeCommand extends Keyed {
  kind: 'open-dispute';
  disputeId: string;
  accused: string;
}
/** Makes `address` (e.g. a verifier that voted) a party to an open dispute: it is then frozen like the accused. */
export interface JoinDisputeCommand extends Keyed {
  kind: 'join-dispute';
  disputeId: string;
  address: string;
}
/** The whole stake and unbonding balance of `address` -> the dispute's reward pool. */
export interface LiquidateCommand extends Keyed {
  kind: 'liquidate';
  disputeId: string;
  address: string;
}
/** The pool, split equally over the winners' free balances; the remainder -> treasury. Closes the dispute. */
export interface DistributePoolCommand extends Keyed {
  kind: 'distribute-pool';
  disputeId: string;
  winners: string[];
}
/** client free -> the task's fee escrow. */
export interface EscrowFeeCommand extends Keyed {
  kind: 'escrow-fee';
  taskId: string;
  client: string;
  amount: bigint;
}
/**
 * The whole escrow: `submitterShareBps` of it to the submitter, the rest equally to the verifiers,
 * the remainder of that division to the treasury. With no verifiers, everything to the submitter.
 */
export interface PayoutFeeCommand extends Keyed {
  kind: 'payout-fee';
  taskId: string;
  submitter: string;
  verifiers: string[];
  submitterShareBps: number;
}

/**
 * An escrow whose task will never be settled (ingress never stored it, or never accepted it)
 * back to the client who paid it: `amount` of escrow -> client free. The operator's repair for
 * money that would otherwise stay locked (`aegis ledger refund-escrows`).
 */
export interface RefundEscrowCommand extends Keyed {
  kind: 'refund-escrow';
  taskId: string;
  client: string;
  amount: bigint;
}

export type LedgerCommand =
  | DepositCommand
  | StakeCommand
  | RequestUnstakeCommand
  | WithdrawCommand
  | OpenDisputeCommand
  | JoinDisputeCommand
  | LiquidateCommand
  | DistributePoolCommand
  | EscrowFeeCommand
  | PayoutFeeCommand
  | RefundEscrowCommand;

export type LedgerCommandKind = LedgerCommand['kind'];

export const LEDGER_COMMAND_KINDS: readonly LedgerCommandKind[] = [
  'deposit',
  'stake',
  'request-unstake',
  'withdraw',
  'open-dispute',
  'join-dispute',
  'liquidate',
  'distribute-pool',
  'escrow-fee',
  'payout-fee',
  'refund-escrow',
];

type Fields = Record<string, unknown>;

/**
 * Validates an untrusted command (from JSON, gRPC, or TypeScript callers) and returns it in
 * canonical form: lowercase addresses, bigint amounts, no extra fields. Amounts may arrive as
 * bigint or decimal strings. Everything downstream (planning, hashing, storing) uses this form.
 */
export function parseLedgerCommand(input: unknown): LedgerCommand {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new LedgerError(LedgerErrorCode.INVALID_COMMAND, 'command', 'expected an object');
  }
  const f = input as Fields;
  const key = parseKey(f.key);
  const kind = f.kind;
  switch (kind) {
    case 'deposit':
    case 'stake':
    case 'request-unstake':
      return { kind, key, address: parseAddress(f.address, 'address'), amount: amountField(f, 'amount') };
    case 'withdraw':
      return { kind, key, address: parseAddress(f.address, 'address') };
    case 'open-dispute':
      return { kind, key, disputeId: parseRef(f.disputeId, 'disputeId'), accused: parseAddress(f.accused, 'accused') };
    case 'join-dispute':
    case 'liquidate':
      return { kind, key, disputeId: parseRef(f.disputeId, 'disputeId'), address: parseAddress(f.address, 'address') };
    case 'distribute-pool':
      return { kind, key, disputeId: parseRef(f.disputeId, 'disputeId'), winners: addressList(f.winners, 'winners') };
    case 'escrow-fee':
      return {
        kind,
        key,
        taskId: parseRef(f.taskId, 'taskId'),
        client: parseAddress(f.client, 'client'),
        amount: amountField(f, 'amount'),
      };
    case 'refund-escrow':
      return {
        kind,
        key,
        taskId: parseRef(f.taskId, 'taskId'),
        client: parseAddress(f.client, 'client'),
        amount: amountField(f, 'amount'),
      };
    case 'payout-fee':
      return {
        kind,
        key,
        taskId: parseRef(f.taskId, 'taskId'),
        submitter: parseAddress(f.submitter, 'submitter'),
        verifiers: addressList(f.verifiers, 'verifiers'),
        submitterShareBps: parseBps(f.submitterShareBps, 'submitterShareBps'),
      };
    default:
      throw new LedgerError(
        LedgerErrorCode.INVALID_COMMAND,
        'kind',
        `expected one of ${LEDGER_COMMAND_KINDS.join(', ')}; got ${JSON.stringify(kind)?.slice(0, 40)}`,
      );
  }
}

/**
 * Canonical content bytes of a (parsed) command, without its key: sorted-key JSON with amounts
 * as decimal strings. Two commands have the same content iff they would have the same effect.
 */
export function encodeCommandContent(cmd: LedgerCommand): Uint8Array {
  const { key: _key, ...content } = cmd;
  return utf8ToBytes(canonicalJson(content));
}

/** keccak256 of the canonical content, 0x-hex: stored beside the idempotency key. */
export function commandContentHash(cmd: LedgerCommand): string {
  // The protocol's Keccak: the same digest, on the WebAssembly path where a process enabled it
  // (the simulator hashes a command per dispute vote).
  return `0x${bytesToHex(keccak256(encodeCommandContent(cmd)))}`;
}

function canonicalJson(value: unknown): string {
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Fields)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function parseKey(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_KEY_LENGTH) {
    throw new LedgerError(LedgerErrorCode.INVALID_COMMAND, 'key', `expected a string of 1-${MAX_KEY_LENGTH} characters`);
  }
  return value;
}

function amountField(f: Fields, field: string): bigint {
  const value = f[field];
  if (typeof value !== 'string' && typeof value !== 'bigint') {
    throw new LedgerError(LedgerErrorCode.INVALID_AMOUNT, field, 'expected a bigint or a decimal string');
  }
  return parsePositiveAmount(value, field);
}

function addressList(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw new LedgerError(LedgerErrorCode.INVALID_COMMAND, field, 'expected an array of addresses');
  if (value.length > MAX_RECIPIENTS) {
    throw new LedgerError(LedgerErrorCode.INVALID_COMMAND, field, `more than ${MAX_RECIPIENTS} addresses`);
  }
  const out = value.map((v, i) => parseAddress(v, `${field}[${i}]`));
  // A duplicate would silently pay one node twice: refuse rather than dedupe.
  const seen = new Set<string>();
  out.forEach((a, i) => {
    if (seen.has(a)) throw new LedgerError(LedgerErrorCode.INVALID_COMMAND, `${field}[${i}]`, `duplicate address ${a}`);
    seen.add(a);
  });
  return out;
}

function parseBps(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > BPS_DENOMINATOR) {
    throw new LedgerError(LedgerErrorCode.INVALID_COMMAND, field, `expected an integer 0..${BPS_DENOMINATOR}`);
  }
  return value;
}
