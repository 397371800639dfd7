import { Check, Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { numericBigint } from './numeric.transformer';

// The tables as created by the migrations (never synchronized). Read paths use these entities;
// the write path uses hand-written SQL so that locking and round trips are explicit.

const MONEY = { type: 'numeric', precision: 78, scale: 0, transformer: numericBigint } as const;

@Entity({ name: 'accounts' })
@Check('accounts_balance_non_negative', 'balance >= 0')
export class LedgerAccountEntity {
  @PrimaryColumn('text')
  id!: string;

  @Column(MONEY)
  balance!: bigint;
}

/** One row per applied command: the idempotency key, in the same transaction as its entries. */
@Entity({ name: 'commands' })
export class LedgerCommandEntity {
  @PrimaryColumn('text')
  key!: string;

  @Column('text', { name: 'content_hash' })
  contentHash!: string;

  @Column('text')
  kind!: string;

  @Column('timestamptz', { name: 'applied_at' })
  appliedAt!: Date;

  /** When its LedgerEvent was published; NULL until then (the ledger service's relay re-announces overdue ones). */
  @Column('timestamptz', { name: 'announced_at', nullable: true })
  announcedAt!: Date | null;
}

@Entity({ name: 'entries' })
@Check('entries_amount_non_zero', 'amount <> 0')
export class LedgerEntryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Index('entries_command_key_idx')
  @Column('text', { name: 'command_key' })
  commandKey!: string;

  @Index('entries_account_idx')
  @Column('text')
  account!: string;

  /** Signed: debits negative, credits positive. */
  @Column(MONEY)
  amount!: bigint;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}

@Entity({ name: 'unbonding' })
@Check('unbonding_amount_positive', 'amount > 0')
export class LedgerUnbondingEntity {
  /** The request-unstake command's key. */
  @PrimaryColumn('text')
  id!: string;

  @Index('unbonding_address_idx')
  @Column('text')
  address!: string;

  @Column(MONEY)
  amount!: bigint;

  @Column('timestamptz', { name: 'release_at' })
  releaseAt!: Date;
}

@Entity({ name: 'disputes' })
export class LedgerDisputeEntity {
  @PrimaryColumn('text')
  id!: string;

  @Column('text')
  accused!: string;

  @Column('boolean')
  open!: boolean;
}

@Entity({ name: 'dispute_parties' })
export class LedgerDisputePartyEntity {
  @PrimaryColumn('text', { name: 'dispute_id' })
  disputeId!: string;

  @Index('dispute_parties_address_idx')
  @PrimaryColumn('text')
  address!: string;
}

/** Everything ever minted (the right-hand side of the invariant): the sum of 16 shard rows. */
@Entity({ name: 'supply' })
@Check('supply_shard', 'id BETWEEN 0 AND 15')
@Check('supply_non_negative', 'minted >= 0')
export class LedgerSupplyEntity {
  @PrimaryColumn('smallint')
  id!: number;

  @Column(MONEY)
  minted!: bigint;
}

export const LEDGER_ENTITIES = [
  LedgerAccountEntity,
  LedgerCommandEntity,
  LedgerEntryEntity,
  LedgerUnbondingEntity,
  LedgerDisputeEntity,
  LedgerDisputePartyEntity,
  LedgerSupplyEntity,
];
