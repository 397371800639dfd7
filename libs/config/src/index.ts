export { ConfigError, loadConfig } from './config.loader';
export { commonEnvSchema, env } from './config.schemas';
export { kafkaEnvSchema, type KafkaEnv } from './service-env.schemas';
export { flagsAsEnv } from './cli-flags';
