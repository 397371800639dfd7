/** The six services (docs/design.md §3), as named in services/<name>. */
export const SERVICE_NAMES = ['ingress', 'inference-worker', 'verifier', 'pow-checker', 'tallier', 'ledger'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Kafka client id per service: what the broker's logs and quotas see. */
export const CLIENT_IDS = {
  ingress: 'aegis-ingress',
  'inference-worker': 'aegis-inference-worker',
  verifier: 'aegis-verifier',
  'pow-checker': 'aegis-pow-checker',
  tallier: 'aegis-tallier',
  ledger: 'aegis-ledger',
} as const satisfies Record<ServiceName, string>;

/**
 * Consumer groups shared by all replicas of a service: each record goes to ONE replica. That is
 * what work distribution needs (tasks to inference workers) and what single-writer owners need
 * (tallier, ledger).
 */
export const CONSUMER_GROUPS = {
  /** aegis.tasks.v1: inference workers scale out; a task goes to one worker at a time. */
  inferenceWorker: 'aegis.inference-worker.v1',
  /** aegis.verdicts.v1. */
  powChecker: 'aegis.pow-checker.v1',
  /** aegis.results.v1, aegis.checked-verdicts.v1. */
  tallier: 'aegis.tallier.v1',
  /** aegis.ledger-commands.v1. */
  ledger: 'aegis.ledger.v1',
} as const;

export type SharedConsumerGroup = (typeof CONSUMER_GROUPS)[keyof typeof CONSUMER_GROUPS];

/** Services whose every replica must see every record, so each replica has its own group. */
export type BroadcastService = 'verifier' | 'ingress';

const INSTANCE_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * A per-replica group: verifiers each self-select on every submission and dispute; each ingress
 * replica streams the status changes of the watches it holds. `instanceId` must be stable across
 * restarts of the same replica (e.g. the pod name), or a restart re-reads the topic from the start.
 */
export function instanceConsumerGroup(service: BroadcastService, instanceId: string): string {
  if (!INSTANCE_ID.test(instanceId)) {
    throw new RangeError(`instanceId: must match ${INSTANCE_ID.source}, got ${JSON.stringify(instanceId)}`);
  }
  return `aegis.${service}.v1.${instanceId}`;
}
