/**
 * The misbehaviours the devnet, the end-to-end test and the chaos suite can give a node: test
 * doubles plugged into the worker's ResultProducer port and the verifier's VerdictMaker port.
 * The production services know none of them.
 */
export const CHEAT_BEHAVIORS = ['wrong-tokens', 'other-model', 'copy', 'fabricate-probes', 'lazy-verifier'] as const;
export type CheatBehavior = (typeof CHEAT_BEHAVIORS)[number];

/** Worker-side misbehaviours (the rest change verification only). */
export type ResultCheat = Exclude<CheatBehavior, 'lazy-verifier'>;

export function parseCheatBehavior(value: string, field = 'behavior'): CheatBehavior {
  if ((CHEAT_BEHAVIORS as readonly string[]).includes(value)) return value as CheatBehavior;
  throw new RangeError(`${field}: must be one of ${CHEAT_BEHAVIORS.join(', ')}; got ${JSON.stringify(value)}`);
}
