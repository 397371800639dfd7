// A misbehaving node as its own OS process, for the end-to-end test and the chaos suite:
//
//   node bin/cheater.js inference-worker wrong-tokens     (env as for services/inference-worker)
//   node bin/cheater.js verifier lazy-verifier            (env as for services/verifier)
//
// It runs the production factory with a test double in the service's port; the production
// entry points (bin/service.js) have no way to misbehave.
import { runServiceMain } from '@aegis/service-kit';
import { start as startWorker } from '@aegis/services/inference-worker';
import { start as startVerifier } from '@aegis/services/verifier';
import { parseCheatBehavior } from './cheat.behaviors';
import { cheatingProducer } from './cheating.producers';
import { lazyVerdicts } from './lazy.verdicts';

const [role, behaviorArg] = process.argv.slice(2);

runServiceMain(`cheater/${role ?? '?'}`, async () => {
  const behavior = parseCheatBehavior(behaviorArg ?? '', 'behavior (second argument)');
  if (role === 'inference-worker') {
    if (behavior === 'lazy-verifier')
      throw new RangeError('behavior: lazy-verifier is a verifier misbehaviour; run it as `verifier lazy-verifier`');
    return startWorker({ env: process.env, producer: cheatingProducer(behavior) });
  }
  if (role === 'verifier') {
    if (behavior !== 'lazy-verifier')
      throw new RangeError(`behavior: ${behavior} is a worker misbehaviour; run it as \`inference-worker ${behavior}\``);
    return startVerifier({ env: process.env, verdictMaker: lazyVerdicts() });
  }
  throw new RangeError(`role (first argument): must be inference-worker or verifier; got ${JSON.stringify(role ?? '')}`);
});
