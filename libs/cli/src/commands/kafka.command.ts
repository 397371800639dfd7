import { createKafkaTopics, parseBrokerList } from '@aegis/bus';
import { ALL_TOPICS } from '@aegis/contracts';
import type { Command } from 'commander';
import { kafkaConnectionFromEnv } from '@aegis/service-kit';
import { kafkaBrokersFromEnv, kafkaEnvWithBrokers } from '../cli.env';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';
import { intOption } from './option.parsers';

/** deploy/local/kafka.sh's listener, so `aegis kafka create-topics` works with no flags locally. */
const LOCAL_BROKERS = '127.0.0.1:19092';

interface CreateTopicsOpts {
  brokers?: string;
  partitions: number;
  replicationFactor: number;
  json?: boolean;
}

/** `aegis kafka create-topics`: every topic of @aegis/contracts, idempotently (a Helm hook Job). */
export const registerKafkaCommand: RegisterCommand = (parent: Command) => {
  const kafka = parent.command('kafka').description('Kafka administration');
  kafka
    .command('create-topics')
    .description('create every aegis topic that does not exist yet; existing topics are left as they are')
    .option('--brokers <list>', `host:port[,host:port] (default: env AEGIS_KAFKA_BROKERS, else ${LOCAL_BROKERS})`)
    .option(
      '--partitions <n>',
      'partitions per created topic (same for all: task-keyed topics stay co-partitioned)',
      intOption('--partitions', 1, 10_000),
      6,
    )
    .option('--replication-factor <n>', 'replicas per partition', intOption('--replication-factor', 1, 32), 1)
    .option('--json', 'print the result as one JSON line')
    .action(async (opts: CreateTopicsOpts) => {
      const brokers = opts.brokers !== undefined ? parseBrokerList(opts.brokers, '--brokers') : (kafkaBrokersFromEnv() ?? [LOCAL_BROKERS]);
      const connection = kafkaConnectionFromEnv(kafkaEnvWithBrokers(brokers), 'aegis-cli');
      progress(`creating ${ALL_TOPICS.length} topics on ${connection.brokers.join(',')}`);
      const result = await createKafkaTopics(connection, {
        topics: ALL_TOPICS,
        partitions: opts.partitions,
        replicationFactor: opts.replicationFactor,
      });
      const mismatched = result.existing.filter((t) => t.partitions !== opts.partitions);
      for (const t of mismatched)
        progress(`note: ${t.topic} exists with ${t.partitions} partitions (asked ${opts.partitions}); left unchanged`);
      for (const d of result.configDrift) {
        progress(
          `warning: ${d.topic} has ${d.name}=${d.actual ?? '(unset)'}, expected ${d.expected}; left unchanged (kafka-configs.sh --alter --entity-type topics --entity-name ${d.topic} --add-config ${d.name}=${d.expected})`,
        );
      }
      if (opts.json) printJsonResult(result);
      else
        process.stdout.write(
          `created ${result.created.length} (${result.created.join(', ') || 'none'}); ${result.existing.length} already existed\n`,
        );
    });
};
