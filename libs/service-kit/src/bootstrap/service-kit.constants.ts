/** Injection tokens the bootstrap provides globally to every service module. */
export const EVENT_BUS = Symbol('aegis.EVENT_BUS');
export const SERVICE_LOGGER = Symbol('aegis.SERVICE_LOGGER');
export const SERVICE_HEALTH = Symbol('aegis.SERVICE_HEALTH');
export const METRICS_REGISTRY = Symbol('aegis.METRICS_REGISTRY');
