// Misbehaving nodes as test doubles: the devnet, the end-to-end test and the chaos suite plug them
// into the worker's and the verifier's ports. No production service imports this.
export { CHEAT_BEHAVIORS, parseCheatBehavior, type CheatBehavior, type ResultCheat } from './cheat.behaviors';
export { cheatingProducer } from './cheating.producers';
export { lazyVerdicts } from './lazy.verdicts';
export { otherModelRuntime, OTHER_MODEL_NOISE } from './other-model.runtime';
export { alterTokens, claimAsOwn, fabricateProbes } from './result.tampering';
