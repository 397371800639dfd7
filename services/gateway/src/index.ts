// The gateway as a composable unit: the devnet, the specs, `aegis api-keys` and `aegis db migrate` use these.
export { start } from './start';
export { migrate } from './migrate';
export { startGatewayApp, type GatewayAppLaunch } from './gateway.app';
export { gatewayConfigFromEnv, gatewayEnvSchema, type GatewayConfig } from './gateway.config';
export { gatewayDataSource, GATEWAY_MIGRATIONS, GATEWAY_SCHEMA } from './db/gateway.datasource';
export { PgApiKeyStore } from './db/pg-api-key.store';
export { API_KEY_PREFIX, hashApiKey, InMemoryApiKeyStore, newApiKey, type ApiKeyRecord, type ApiKeyStore } from './keys/api-key';
export { KeyCustody } from './keys/key.custody';
export { ServedModels } from './openai/served.models';
export { createApiKey, viewOf, type ApiKeyView, type CreatedApiKey } from './keys/api-key.admin';
export { IngressClient, type TaskUpdate, type WatchedUpdate } from './ingress/ingress.client';
