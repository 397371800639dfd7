import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_MODEL_ID } from '@aegis/model';
import { DEFAULT_DEVNET_OPTIONS, Devnet } from './devnet';

describe('the embedded devnet (one process, in-process bus, embedded Postgres)', () => {
  let devnet: Devnet;

  beforeAll(async () => {
    devnet = await Devnet.start({
      ...DEFAULT_DEVNET_OPTIONS,
      // The offline toy: the real model's own end-to-end test is devnet.real-model.int.spec.ts.
      model: TINY_MODEL_ID,
      task: { maxNewTokens: 12, topK: 8, temperatureMilli: 800 },
      nodes: 4,
      cheaters: 1,
      behavior: 'wrong-tokens',
      ingressPort: 0,
      ledgerPort: 0,
      windowSeconds: 2,
      stateDir: mkdtempSync(join(tmpdir(), 'aegis-devnet-test-')),
      logLevel: 'silent',
      progress: () => undefined,
    });
  });
  afterAll(async () => {
    await devnet?.stop();
  });

  it('accepts honest results, liquidates the cheater, slashes no honest node, keeps the ledger invariant', async () => {
    const cheater = devnet.nodes.find((n) => n.behavior !== 'honest');
    const hashes = new Set<string>();
    const started = Date.now();
    // Tasks reach the cheater's worker only through its share of partitions: submit in rounds
    // until it has been caught (the chance it sees none of 8 tasks is (2/3)^8 per round).
    for (let round = 0; round < 4 && devnet.monitor.counts().liquidated.length === 0; round++) {
      for (let i = 0; i < 8; i++) hashes.add(await devnet.submit(`round ${round} task ${i}`, 8));
      const settled = await devnet.waitSettled(hashes, Date.now() + 90_000);
      expect({ settled, counts: devnet.monitor.counts(hashes), deadLetters: devnet.monitor.deadLetterReasons() }).toMatchObject({
        settled: true,
      });
    }
    const summary = await devnet.summary(hashes, (Date.now() - started) / 1000, true);
    expect(summary.completed).toBe(hashes.size);
    expect(summary.accepted).toBeGreaterThan(0);
    expect(summary.accepted + summary.rejected).toBe(hashes.size);
    expect(summary.liquidated).toEqual([{ address: cheater?.key.address, behavior: 'wrong-tokens' }]);
    expect(summary.honestSlashed).toBe(0);
    expect(summary.ledgerInvariant).toBe(true);
  });
});
