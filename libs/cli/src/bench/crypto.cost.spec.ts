import { describe, expect, it } from 'vitest';
import { measureSecp256k1 } from './crypto.cost';

describe('measureSecp256k1', () => {
  it('times each operation on signatures that verify, as positive milliseconds', () => {
    const costs = measureSecp256k1(3, 4);
    for (const ms of [costs.signMs, costs.verifyKnownSignerMs, costs.recoverMs]) {
      expect(Number.isFinite(ms)).toBe(true);
      expect(ms).toBeGreaterThan(0);
    }
  });
});
