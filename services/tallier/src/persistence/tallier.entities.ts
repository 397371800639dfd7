import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** Schema `tallier`, owned by this service alone; changed only by the migrations beside this file. */
export const TALLIER_SCHEMA = 'tallier';

const bigintAsNumber = { to: (v: number): string => String(v), from: (v: string): number => Number(v) };

@Entity({ schema: TALLIER_SCHEMA, name: 'submissions' })
export class SubmissionEntity {
  /** 0x hex result digest; the dispute id when disputed. */
  @PrimaryColumn({ name: 'submission_id', type: 'varchar', length: 66 })
  submissionId!: string;

  @Index({ unique: true })
  @Column({ name: 'task_hash', type: 'varchar', length: 66 })
  taskHash!: string;

  @Column({ type: 'varchar', length: 42 })
  submitter!: string;

  @Column({ type: 'varchar', length: 32 })
  phase!: string;

  /** The tally rule the submission was opened under (`stake` | `spec`), as in its state. */
  @Column({ type: 'varchar', length: 8 })
  tally!: string;

  @Column({ name: 'closes_at', type: 'bigint', transformer: bigintAsNumber })
  closesAt!: number;

  /** The consensus SubmissionState (state.codec.ts). */
  @Column({ type: 'jsonb' })
  state!: object;

  /** The Result message as received. */
  @Column({ type: 'bytea' })
  result!: Buffer;

  /** The beacon link issued for this submission (BeaconLink JSON). */
  @Column({ type: 'jsonb' })
  beacon!: object;

  @Column({ name: 'status_seq', type: 'integer' })
  statusSeq!: number;

  @Column({ name: 'last_status', type: 'smallint' })
  lastStatus!: number;
}

@Entity({ schema: TALLIER_SCHEMA, name: 'verdicts' })
export class VerdictEntity {
  @PrimaryColumn({ name: 'submission_id', type: 'varchar', length: 66 })
  submissionId!: string;

  @PrimaryColumn({ type: 'varchar', length: 42 })
  verifier!: string;

  @Column({ type: 'varchar', length: 8 })
  kind!: string;

  /** CheckOutcome of the PoW checker. */
  @Column({ type: 'smallint' })
  outcome!: number;

  @Column({ type: 'boolean' })
  audited!: boolean;

  @Column({ name: 'received_at', type: 'bigint', transformer: bigintAsNumber })
  receivedAt!: number;

  @Column({ type: 'bytea' })
  verdict!: Buffer;
}

@Entity({ schema: TALLIER_SCHEMA, name: 'disputes' })
export class DisputeEntity {
  @PrimaryColumn({ name: 'dispute_id', type: 'varchar', length: 66 })
  disputeId!: string;

  @Column({ type: 'varchar', length: 42 })
  accused!: string;

  @Column({ name: 'opened_at', type: 'bigint', transformer: bigintAsNumber })
  openedAt!: number;

  @Column({ name: 'resolved_at', type: 'bigint', nullable: true })
  resolvedAt!: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  outcome!: string | null;
}

@Entity({ schema: TALLIER_SCHEMA, name: 'beacons' })
export class BeaconEntity {
  @PrimaryColumn({ name: 'index', type: 'bigint', transformer: bigintAsNumber })
  index!: number;

  @Column({ type: 'varchar', length: 66 })
  prev!: string;

  // Not unique: an empty committee is redrawn with further links for the same digest.
  @Index()
  @Column({ name: 'submission_digest', type: 'varchar', length: 66 })
  submissionDigest!: string;

  @Column({ type: 'varchar', length: 66 })
  beacon!: string;

  @Column({ type: 'varchar', length: 42 })
  signer!: string;

  /** The link's own signature; NULL when a later link of its run seals it (SealedBeacons1732900000000). */
  @Column({ type: 'varchar', length: 132, nullable: true })
  signature!: string | null;
}

@Entity({ schema: TALLIER_SCHEMA, name: 'outbox' })
export class OutboxEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'varchar', length: 249 })
  topic!: string;

  @Column({ type: 'varchar', length: 200 })
  key!: string;

  @Column({ type: 'bytea' })
  value!: Buffer;

  @Column({ type: 'jsonb', nullable: true })
  headers!: Record<string, string> | null;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;
}

/** Correctly signed results the tallier did not count (e.g. the submitter was no longer active); the task was re-offered. */
@Entity({ schema: TALLIER_SCHEMA, name: 'refused_results' })
export class RefusedResultEntity {
  @PrimaryColumn({ name: 'result_digest', type: 'varchar', length: 66 })
  resultDigest!: string;

  @Index()
  @Column({ name: 'task_hash', type: 'varchar', length: 66 })
  taskHash!: string;

  @Column({ type: 'varchar', length: 42 })
  submitter!: string;

  @Column({ type: 'varchar', length: 32 })
  reason!: string;

  @Column({ type: 'bytea' })
  result!: Buffer;

  @Column({ name: 'refused_at', type: 'bigint', transformer: bigintAsNumber })
  refusedAt!: number;
}

export const TALLIER_ENTITIES = [SubmissionEntity, VerdictEntity, DisputeEntity, BeaconEntity, OutboxEntity, RefusedResultEntity];
