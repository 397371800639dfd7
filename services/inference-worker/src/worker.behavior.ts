/** How a worker process behaves: honest, or one misbehaviour for demos and tests (AEGIS_BEHAVIOR). */
export const BEHAVIORS = ['honest', 'wrong-tokens', 'other-model', 'copy', 'fabricate-probes', 'lazy-verifier'] as const;
export type Behavior = (typeof BEHAVIORS)[number];

export function parseBehavior(value: string, field = 'AEGIS_BEHAVIOR'): Behavior {
  if ((BEHAVIORS as readonly string[]).includes(value)) return value as Behavior;
  throw new RangeError(`${field}: must be one of ${BEHAVIORS.join(', ')}; got ${JSON.stringify(value)}`);
}
