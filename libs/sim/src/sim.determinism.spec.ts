import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { enableFastKeccak } from '@aegis/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSimulation } from './sim.engine';
import { DETERMINISM_CASES, pinned } from './testing/determinism.cases';

// Pinned by the simulator before its speed-up (pure-JS Keccak, one signature per beacon link):
// a faster simulator must give the same figures for the same seed, to the last base unit.
const golden = JSON.parse(readFileSync(join(__dirname, 'testing', 'determinism.golden.json'), 'utf8')) as Record<string, unknown>[];

describe('simulator determinism (same seed, same output)', () => {
  beforeAll(enableFastKeccak);

  it('pins one result per case', () => {
    expect(golden).toHaveLength(DETERMINISM_CASES.length);
  });

  DETERMINISM_CASES.forEach((c, i) => {
    it(`${c.strategy} at ${c.cheaters} (k ${c.k}, tally ${c.tally}) gives the pinned result`, () => {
      expect(pinned(runSimulation(c))).toEqual(golden[i]);
    });
  });
});
