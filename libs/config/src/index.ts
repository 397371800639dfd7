export { ConfigError, loadConfig } from './config.loader';
export { withFileVariables } from './file-variables';
export { commonEnvSchema, env } from './config.schemas';
export { cliEnvSchema, kafkaEnvSchema, type KafkaEnv } from './service-env.schemas';
