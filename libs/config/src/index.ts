export { ConfigError, loadConfig } from './config.loader';
export { commonEnvSchema, env } from './config.schemas';
export { cliEnvSchema, kafkaEnvSchema, type KafkaEnv } from './service-env.schemas';
