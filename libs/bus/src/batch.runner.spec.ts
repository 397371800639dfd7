import { describe, expect, it } from 'vitest';
import { BatchRunner } from './batch.runner';

/** A batch function that records its batches and answers when released. */
function gated(fail?: (items: readonly number[]) => boolean) {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const runBatch = async (items: readonly number[]): Promise<string[]> => {
    batches.push([...items]);
    await new Promise<void>((open) => gates.push(open));
    if (fail?.(items)) throw new Error(`batch ${items.join(',')} failed`);
    return items.map((i) => `done ${i}`);
  };
  const releaseAll = async (): Promise<void> => {
    // Open every gate as it appears until nothing is pending.
    for (let spins = 0; spins < 100; spins++) {
      const open = gates.shift();
      if (open) open();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { batches, runBatch, releaseAll };
}

describe('BatchRunner', () => {
  it('runs a lone item at once and batches what arrives while a batch is in flight', async () => {
    const g = gated();
    const sut = new BatchRunner(g.runBatch);
    const first = sut.run(1);
    const later = [sut.run(2), sut.run(3), sut.run(4)];
    await g.releaseAll();
    expect(await first).toBe('done 1');
    expect(await Promise.all(later)).toEqual(['done 2', 'done 3', 'done 4']);
    expect(g.batches).toEqual([[1], [2, 3, 4]]);
  });

  it('runs the items of one runAll as one batch, each caller answered on its own', async () => {
    const g = gated((items) => items.includes(3));
    const sut = new BatchRunner(g.runBatch, 3);
    const answers = sut.runAll([1, 2, 3, 4]).map((p) => p.catch((e: unknown) => (e as Error).message));
    await g.releaseAll();
    expect(await Promise.all(answers)).toEqual(['done 1', 'done 2', 'batch 3 failed', 'done 4']);
    // 1-3 together (capped at 3), failing as a whole, then each alone; 4 in the next batch.
    expect(g.batches).toEqual([[1, 2, 3], [1], [2], [3], [4]]);
    expect(sut.runAll([])).toEqual([]);
  });

  it('caps a batch at maxItems', async () => {
    const g = gated();
    const sut = new BatchRunner(g.runBatch, 2);
    const all = [1, 2, 3, 4, 5].map((i) => sut.run(i));
    await g.releaseAll();
    await Promise.all(all);
    expect(g.batches).toEqual([[1], [2, 3], [4, 5]]);
  });

  it('reruns a failed batch item by item, so only the failing item fails', async () => {
    const g = gated((items) => items.includes(3));
    const sut = new BatchRunner(g.runBatch);
    const first = sut.run(1);
    const rest = [2, 3, 4].map((i) => sut.run(i).catch((e: unknown) => (e as Error).message));
    await g.releaseAll();
    expect(await first).toBe('done 1');
    expect(await Promise.all(rest)).toEqual(['done 2', 'batch 3 failed', 'done 4']);
    expect(g.batches).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
    await sut.idle();
  });

  it('fails a batch whose function answers for the wrong number of items', async () => {
    const sut = new BatchRunner(async (items: readonly number[]) => items.slice(1));
    await expect(sut.run(1)).rejects.toThrow('0 results for 1 items');
    expect(() => new BatchRunner(async () => [], 0)).toThrow('maxItems');
  });

  it('counts maxItems in the sizes sizeOf gives, never splitting an item', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const sut = new BatchRunner(
      async (items: readonly number[]) => {
        batches.push([...items]);
        if (batches.length === 1) await new Promise<void>((open) => (release = open));
        return items;
      },
      5,
      (n) => n,
    );
    const first = sut.run(1);
    const rest = [2, 2, 3, 9, 1].map((n) => sut.run(n));
    release();
    await Promise.all([first, ...rest]);
    // 2 + 2 fit in 5, 3 does not; 3 runs, then 9 alone (larger than the cap), then 1.
    expect(batches).toEqual([[1], [2, 2], [3], [9], [1]]);
  });
});
