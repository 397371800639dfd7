import { randomUUID } from 'node:crypto';
import { GRPC_SERVICES } from '@aegis/contracts';
import { signStakeRequest, type StakeRequest } from '@aegis/ledger';
import { assertAddress, toHex, type Address, type NodeKey } from '@aegis/protocol';
import { GrpcServiceClient, GrpcStatus, grpcStatusOf } from '@aegis/service-kit';
import { formatTokenAmount } from './token.amount';

/** The devnet's StakeLedger (DEFAULT_DEVNET_OPTIONS.ledgerPort). */
export const DEFAULT_LEDGER = '127.0.0.1:50052';

interface TimestampWire {
  seconds: string;
  nanos: number;
}
interface AccountWire {
  address: Buffer;
  free: string;
  staked: string;
  unbonding: { amount: string; maturesAt: TimestampWire | null }[];
  active: boolean;
  frozen: boolean;
}
interface EntryWire {
  sequence: string;
  idempotencyKey: string;
  kind: string;
  postings: { account: string; delta: string }[];
  appliedAt: TimestampWire | null;
}

/** Balances in base units (decimal strings in JSON) and tokens, as an operator reads them. */
export interface AccountView {
  readonly address: Address;
  readonly free: bigint;
  readonly staked: bigint;
  readonly unbonding: readonly { readonly amount: bigint; readonly maturesAt: string }[];
  readonly active: boolean;
  readonly frozen: boolean;
  readonly tokens: { readonly free: string; readonly staked: string; readonly unbonding: string };
}

export interface EntryView {
  readonly sequence: string;
  readonly kind: string;
  readonly appliedAt: string;
  readonly postings: readonly { readonly account: string; readonly delta: bigint }[];
}

/** A StakeLedger refusal, with what the operator can do about it. */
export class LedgerRefusal extends Error {
  constructor(
    readonly status: string,
    message: string,
    readonly explanation?: string,
  ) {
    super(explanation !== undefined ? `${message}\n  ${explanation}` : message);
    this.name = 'LedgerRefusal';
  }
}

const isoOf = (t: TimestampWire | null): string =>
  t === null ? '' : new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6)).toISOString();

function accountView(wire: AccountWire): AccountView {
  const unbonding = wire.unbonding.map((u) => ({ amount: BigInt(u.amount), maturesAt: isoOf(u.maturesAt) }));
  const free = BigInt(wire.free);
  const staked = BigInt(wire.staked);
  const unbondingTotal = unbonding.reduce((s, u) => s + u.amount, 0n);
  return {
    address: toHex(wire.address),
    free,
    staked,
    unbonding,
    active: wire.active,
    frozen: wire.frozen,
    tokens: { free: formatTokenAmount(free), staked: formatTokenAmount(staked), unbonding: formatTokenAmount(unbondingTotal) },
  };
}

/**
 * Why a withdraw was refused, in the operator's terms: an open dispute freezes unbonded stake
 * (it can still be liquidated), and a tranche is free only once the ledger's unbonding delay
 * (AEGIS_UNBONDING_SECONDS) has passed since its unstake.
 */
export function explainWithdrawRefusal(account: AccountView, now: Date): string {
  if (account.frozen)
    return 'this account is party to an open dispute: unstake and withdraw stay refused until the dispute is settled (its stake may still be liquidated)';
  if (account.unbonding.length === 0)
    return 'nothing is unbonding: move stake out first with `aegis unstake AMOUNT`, then withdraw after the unbonding delay';
  const next = [...account.unbonding].sort((a, b) => a.maturesAt.localeCompare(b.maturesAt))[0];
  if (next === undefined) return '';
  const wait = Math.max(0, Math.ceil((Date.parse(next.maturesAt) - now.getTime()) / 1000));
  return `unstaked funds wait out the ledger's unbonding delay: the earliest tranche (${formatTokenAmount(next.amount)} tokens) matures at ${next.maturesAt}, in ${wait} s`;
}

/** A node operator's side of StakeLedger: reads, and requests signed by the operator's key. */
export class StakeClient {
  private readonly api: GrpcServiceClient;

  constructor(readonly target: string) {
    this.api = new GrpcServiceClient(GRPC_SERVICES.stakeLedger, target);
  }

  async account(address: Address): Promise<AccountView> {
    assertAddress(address);
    const res = await this.call<{ account: AccountWire }>('GetAccount', { address: Buffer.from(address.slice(2), 'hex') });
    return accountView(res.account);
  }

  async entries(address: Address, pageSize: number, pageToken: string): Promise<{ entries: EntryView[]; nextPageToken: string }> {
    assertAddress(address);
    const res = await this.call<{ entries: EntryWire[]; nextPageToken: string }>('ListEntries', {
      address: Buffer.from(address.slice(2), 'hex'),
      pageSize,
      pageToken,
    });
    return {
      entries: res.entries.map((e) => ({
        sequence: e.sequence,
        kind: e.kind,
        appliedAt: isoOf(e.appliedAt),
        postings: e.postings.map((p) => ({ account: p.account, delta: BigInt(p.delta) })),
      })),
      nextPageToken: res.nextPageToken,
    };
  }

  /** deposit (devnet faucet), stake or request-unstake of `amount` base units. */
  async move(
    method: 'deposit' | 'stake' | 'request-unstake',
    key: NodeKey,
    amount: bigint,
    idempotencyKey = `cli-${randomUUID()}`,
  ): Promise<{ account: AccountView; replayed: boolean }> {
    const request: StakeRequest = { method, address: key.address, amount: amount.toString(), idempotencyKey };
    const rpc = { deposit: 'Deposit', stake: 'Stake', 'request-unstake': 'RequestUnstake' }[method];
    const res = await this.call<{ account: AccountWire; replayed: boolean }>(rpc, { ...this.wire(request, key), amount: request.amount });
    return { account: accountView(res.account), replayed: res.replayed };
  }

  /** Every matured tranche -> free; a refusal comes back explained from the account's state. */
  async withdraw(
    key: NodeKey,
    idempotencyKey = `cli-${randomUUID()}`,
  ): Promise<{ account: AccountView; replayed: boolean; withdrawn: bigint }> {
    const request: StakeRequest = { method: 'withdraw', address: key.address, idempotencyKey };
    try {
      const res = await this.call<{ account: AccountWire; replayed: boolean; withdrawn: string }>('Withdraw', this.wire(request, key));
      return { account: accountView(res.account), replayed: res.replayed, withdrawn: BigInt(res.withdrawn) };
    } catch (err) {
      if (!(err instanceof LedgerRefusal) || err.status !== 'FAILED_PRECONDITION') throw err;
      throw new LedgerRefusal(err.status, err.message, explainWithdrawRefusal(await this.account(key.address), new Date()));
    }
  }

  close(): void {
    this.api.close();
  }

  private wire(request: StakeRequest, key: NodeKey): { address: Buffer; idempotencyKey: string; signature: Buffer } {
    return {
      address: Buffer.from(key.address.slice(2), 'hex'),
      idempotencyKey: request.idempotencyKey,
      signature: Buffer.from(signStakeRequest(request, key)),
    };
  }

  private async call<Res>(method: string, request: object): Promise<Res> {
    try {
      return await this.api.unary<Res>(method, request);
    } catch (err) {
      const code = grpcStatusOf(err);
      const details =
        typeof err === 'object' && err !== null && 'details' in err && typeof err.details === 'string' ? err.details : String(err);
      if (code === GrpcStatus.UNAVAILABLE || code === GrpcStatus.DEADLINE_EXCEEDED) {
        throw new LedgerRefusal(
          GrpcStatus[code],
          `--ledger: no StakeLedger answering at ${this.target} (${details}); is the devnet running (aegis devnet)?`,
        );
      }
      if (code !== undefined) {
        const hint =
          method === 'Deposit' && code === GrpcStatus.FAILED_PRECONDITION
            ? 'deposit mints tokens and only a devnet ledger (AEGIS_LEDGER_FAUCET=true) takes it'
            : undefined;
        throw new LedgerRefusal(GrpcStatus[code], `${method}: ${details}`, hint);
      }
      throw err;
    }
  }
}
