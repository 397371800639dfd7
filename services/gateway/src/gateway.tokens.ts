/** Nest injection tokens of the gateway's parts (built in start.ts, provided by GatewayModule). */
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
export const SERVED_MODELS = Symbol('SERVED_MODELS');
export const API_KEY_AUTH = Symbol('API_KEY_AUTH');
export const TASK_RUNNER = Symbol('TASK_RUNNER');
