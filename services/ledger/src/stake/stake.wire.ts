/**
 * StakeLedger messages as @grpc/proto-loader hands them to handlers with PROTO_LOADER_OPTIONS
 * (camelCase, bytes as Buffer, 64-bit as decimal strings, defaults filled). Every field is
 * untrusted until stake.mapper has checked it.
 */
export interface SignedAmountRequestWire {
  readonly address: Buffer;
  readonly amount: string;
  readonly idempotencyKey: string;
  readonly signature: Buffer;
}

export interface WithdrawRequestWire {
  readonly address: Buffer;
  readonly idempotencyKey: string;
  readonly signature: Buffer;
}

export interface GetAccountRequestWire {
  readonly address: Buffer;
}

export interface ListEntriesRequestWire {
  readonly address: Buffer;
  readonly pageSize: number;
  readonly pageToken: string;
}

export interface EscrowFeeRequestWire {
  readonly taskHash: Buffer;
  readonly client: Buffer;
  readonly amount: string;
  readonly clientSignature: Buffer;
}

export interface EscrowFeesRequestWire {
  readonly escrows: readonly EscrowFeeRequestWire[];
}

/** One escrow's answer in EscrowFees: code 0 (OK) or the status EscrowFee would have answered. */
export interface EscrowFeeOutcomeWire {
  readonly code: number;
  readonly message: string;
  readonly replayed: boolean;
}

export interface TimestampWire {
  readonly seconds: string;
  readonly nanos: number;
}

export interface AccountWire {
  readonly address: Buffer;
  readonly free: string;
  readonly staked: string;
  readonly unbonding: readonly { readonly amount: string; readonly maturesAt: TimestampWire }[];
  readonly active: boolean;
  readonly frozen: boolean;
}

export interface EntryWire {
  readonly sequence: string;
  readonly idempotencyKey: string;
  readonly kind: string;
  readonly postings: readonly { readonly account: string; readonly delta: string }[];
  readonly appliedAt: TimestampWire;
}
