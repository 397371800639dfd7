import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** One accepted task. The spec is kept as its protobuf bytes: exactly what the hash covers. */
@Entity({ name: 'tasks' })
export class TaskRow {
  /** 0x-hex keccak256 of the canonical task encoding. */
  @PrimaryColumn({ name: 'task_hash', type: 'text' })
  taskHash!: string;

  @Column({ name: 'model_id', type: 'text' })
  modelId!: string;

  @Column({ type: 'bytea' })
  spec!: Buffer;

  @Column({ type: 'text' })
  client!: string;

  /** TaskStatus enum value: the latest status seen (by sequence). */
  @Column({ type: 'smallint' })
  status!: number;

  @Column({ name: 'status_sequence', type: 'bigint' })
  statusSequence!: string;

  @Column({ name: 'output_tokens', type: 'int', array: true, default: () => "'{}'" })
  outputTokens!: number[];

  @Column({ type: 'text' })
  fee!: string;

  @Column({ name: 'submitted_at', type: 'timestamptz' })
  submittedAt!: Date;

  @Column({ name: 'last_activity_at', type: 'timestamptz' })
  lastActivityAt!: Date;

  @Column({ type: 'int', default: 0 })
  requeues!: number;
}

/** Every status change of a task, appended once per (task, status, sequence). */
@Entity({ name: 'task_status' })
@Index('task_status_change', ['taskHash', 'status', 'sequence'], { unique: true })
export class TaskStatusRow {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'task_hash', type: 'text' })
  taskHash!: string;

  @Column({ type: 'bigint' })
  sequence!: string;

  @Column({ type: 'smallint' })
  status!: number;

  /** The result tokens the change carried (SUBMITTED: unverified; ACCEPTED: the output); empty otherwise. */
  @Column({ name: 'output_tokens', type: 'int', array: true, default: () => "'{}'" })
  outputTokens!: number[];

  @Column({ type: 'text', nullable: true })
  node!: string | null;

  @Column({ type: 'text', default: '' })
  detail!: string;

  @Column({ name: 'changed_at', type: 'timestamptz' })
  changedAt!: Date;
}

/** Records to publish, written in the transaction that makes them true (transactional outbox). */
@Entity({ name: 'outbox' })
export class OutboxRow {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'text' })
  topic!: string;

  @Column({ type: 'text' })
  key!: string;

  @Column({ type: 'bytea' })
  value!: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;
}

export const INGRESS_ENTITIES = [TaskRow, TaskStatusRow, OutboxRow];
