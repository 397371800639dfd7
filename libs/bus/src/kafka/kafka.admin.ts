import { topicConfigOf } from '@aegis/contracts';
import { type Admin, ConfigResourceTypes, Kafka } from 'kafkajs';
import { BusError, BusErrorCode } from '../bus.errors';
import { checkIntegerOption, kafkaClientConfig, type KafkaConnectionOptions } from './kafka.options';

export interface CreateTopicsOptions {
  readonly topics: readonly string[];
  /** Partitions of each created topic; topics keyed alike share it, so they stay co-partitioned. */
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level settings of a topic it creates (default: @aegis/contracts' topicConfigOf). */
  readonly configOf?: (topic: string) => Readonly<Record<string, string>>;
}

export interface ConfigDrift {
  readonly topic: string;
  readonly name: string;
  readonly expected: string;
  /** The broker's value; null when it reports none. */
  readonly actual: string | null;
}

export interface CreateTopicsResult {
  readonly created: string[];
  /** Topics that were there already, with their partition count (left as they are). */
  readonly existing: Array<{ topic: string; partitions: number }>;
  /** Settings of existing topics that differ from what creation gives them (left as they are: an operator alters them). */
  readonly configDrift: ConfigDrift[];
}

/**
 * Creates the topics that do not exist yet, each with its topic-level settings; idempotent.
 * Existing topics are never altered (changing a topic's partition count would move keys to other
 * partitions and break ordering); their settings are read back and any that differ from what
 * creation would set are reported, so an operator can see a topic created before a setting existed.
 */
export async function createKafkaTopics(connection: KafkaConnectionOptions, options: CreateTopicsOptions): Promise<CreateTopicsResult> {
  const { partitions, replicationFactor } = options;
  const configOf = options.configOf ?? topicConfigOf;
  checkIntegerOption(partitions, 'partitions', 1, 10_000);
  checkIntegerOption(replicationFactor, 'replicationFactor', 1, 32);
  return withAdmin(new Kafka(kafkaClientConfig(connection)), async (admin) => {
    const present = new Set(await admin.listTopics());
    const missing = options.topics.filter((t) => !present.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: partitions,
          replicationFactor,
          configEntries: Object.entries(configOf(topic)).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    const already = options.topics.filter((t) => present.has(t));
    const metadata = already.length > 0 ? await admin.fetchTopicMetadata({ topics: already }) : { topics: [] };
    const configured = already.filter((t) => Object.keys(configOf(t)).length > 0);
    const described =
      configured.length > 0
        ? await admin.describeConfigs({
            includeSynonyms: false,
            resources: configured.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: Object.keys(configOf(name)) })),
          })
        : { resources: [] };
    const configDrift: ConfigDrift[] = [];
    for (const topic of configured) {
      const entries = described.resources.find((r) => r.resourceName === topic)?.configEntries ?? [];
      for (const [name, expected] of Object.entries(configOf(topic))) {
        const actual = entries.find((e) => e.configName === name)?.configValue ?? null;
        if (actual !== expected) configDrift.push({ topic, name, expected, actual });
      }
    }
    return {
      created: missing,
      existing: metadata.topics
        .map((t) => ({ topic: t.name, partitions: t.partitions.length }))
        .sort((a, b) => options.topics.indexOf(a.topic) - options.topics.indexOf(b.topic)),
      configDrift,
    };
  });
}

/** Deletes topics (tests only: production topics are never deleted by the project). */
export async function deleteKafkaTopics(connection: KafkaConnectionOptions, topics: readonly string[]): Promise<void> {
  await withAdmin(new Kafka(kafkaClientConfig(connection)), async (admin) => {
    const present = new Set(await admin.listTopics());
    const doomed = topics.filter((t) => present.has(t));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed });
  });
}

/**
 * Records appended to each topic so far: the sum of its partitions' end offsets (high
 * watermarks). Two readings bracket a run to count what it published, topic by topic. A topic
 * that does not exist is an error naming it.
 */
export async function topicRecordCounts(connection: KafkaConnectionOptions, topics: readonly string[]): Promise<Map<string, bigint>> {
  return withAdmin(new Kafka(kafkaClientConfig(connection)), async (admin) => {
    const present = new Set(await admin.listTopics());
    const missing = topics.find((t) => !present.has(t));
    if (missing !== undefined) throw new BusError(BusErrorCode.INVALID_ARGUMENT, 'topics', `topic ${missing} does not exist`);
    const counts = new Map<string, bigint>();
    for (const topic of topics)
      counts.set(
        topic,
        (await partitionEndOffsets(admin, topic)).reduce((sum, end) => sum + end, 0n),
      );
    return counts;
  });
}

/** Runs `fn` on a connected admin client of `kafka`, and disconnects it however `fn` ends. */
export async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** How long partitionEndOffsets waits out a partition that has no leader yet (a topic just created). */
const END_OFFSETS_RETRY_MS = 10_000;

/**
 * Each partition's end offset (high watermark) of an existing topic, indexed by partition. Right
 * after a topic is created (or a broker restarts) its partitions can answer "not the leader" for a
 * moment, a retriable broker error that kafkajs's admin passes on: asked again until a leader
 * answers, for up to END_OFFSETS_RETRY_MS.
 */
export async function partitionEndOffsets(admin: Admin, topic: string): Promise<bigint[]> {
  const deadline = Date.now() + END_OFFSETS_RETRY_MS;
  for (let wait = 50; ; wait = Math.min(wait * 2, 1_000)) {
    try {
      const ends: bigint[] = [];
      for (const o of await admin.fetchTopicOffsets(topic)) ends[o.partition] = BigInt(o.high);
      return ends;
    } catch (err) {
      const retriable = typeof err === 'object' && err !== null && 'retriable' in err && err.retriable === true;
      if (!retriable || Date.now() + wait > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/**
 * Records not yet consumed, summed over every consumer group whose id starts with `groupPrefix`
 * and the partitions it has committed (a soak's drift signal: flat when consumers keep up).
 */
export async function consumerGroupLag(connection: KafkaConnectionOptions, groupPrefix: string): Promise<bigint> {
  return withAdmin(new Kafka(kafkaClientConfig(connection)), async (admin) => {
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(groupPrefix));
    const ends = new Map<string, Map<number, bigint>>();
    let lag = 0n;
    for (const groupId of groups) {
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId })) {
        let end = ends.get(topic);
        if (!end) {
          end = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
          ends.set(topic, end);
        }
        for (const p of partitions) {
          if (p.offset === '-1') continue;
          const behind = (end.get(p.partition) ?? 0n) - BigInt(p.offset);
          if (behind > 0n) lag += behind;
        }
      }
    }
    return lag;
  });
}
