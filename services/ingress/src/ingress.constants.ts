export const INGRESS_CONFIG = Symbol('ingress.CONFIG');
export const MODEL_CATALOG = Symbol('ingress.MODEL_CATALOG');
