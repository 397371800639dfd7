import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SendCoalescer } from './send.coalescer';

/** A flush whose requests complete only when the test says so. */
function controlledFlush(fail: (items: readonly number[]) => boolean = () => false) {
  const requests: { items: number[]; done: () => void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const flush = (items: readonly number[]): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let settled = false;
      requests.push({
        items: [...items],
        done: () => {
          if (settled) return;
          settled = true;
          inFlight--;
          if (fail(items)) reject(new Error(`failed ${items.join(',')}`));
          else resolve();
        },
      });
    });
  return { flush, requests, maxInFlight: () => maxInFlight };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('SendCoalescer', () => {
  it('sends at once when idle and merges what arrives during a request into the next one', async () => {
    const f = controlledFlush();
    const sut = new SendCoalescer(f.flush);
    const a = sut.send([1]);
    await tick();
    expect(f.requests.map((r) => r.items)).toEqual([[1]]);
    const b = sut.send([2, 3]);
    const c = sut.send([4]);
    await tick();
    expect(f.requests).toHaveLength(1);
    f.requests[0]?.done();
    await a;
    await tick();
    expect(f.requests.map((r) => r.items)).toEqual([[1], [2, 3, 4]]);
    let bDone = false;
    void b.then(() => (bDone = true));
    await tick();
    expect(bDone).toBe(false);
    f.requests[1]?.done();
    await Promise.all([b, c]);
  });

  it('keeps one request in flight and FIFO order for any interleaving of sends and completions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.boolean()), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 8 }),
        async (steps, maxItems) => {
          const f = controlledFlush();
          const sut = new SendCoalescer(f.flush, maxItems);
          let next = 0;
          const sends: Promise<void>[] = [];
          let completed = 0;
          for (const [size, complete] of steps) {
            sends.push(sut.send(Array.from({ length: size }, () => next++)));
            await tick();
            if (complete && f.requests[completed]) f.requests[completed++]?.done();
            await tick();
          }
          while (completed < f.requests.length || f.requests.length === 0) {
            f.requests[completed++]?.done();
            await tick();
          }
          await Promise.all(sends);
          expect(f.maxInFlight()).toBe(1);
          expect(f.requests.flatMap((r) => r.items)).toEqual(Array.from({ length: next }, (_, i) => i));
          // A merged request exceeds maxItems only when a single caller's list does.
          for (const r of f.requests) expect(r.items.length <= maxItems || steps.some(([s]) => s === r.items.length)).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('fails only the caller whose records fail when a merged request fails', async () => {
    const f = controlledFlush((items) => items.includes(13));
    const sut = new SendCoalescer(f.flush);
    const first = sut.send([1]);
    const good = sut.send([2]);
    const bad = sut.send([13]);
    const alsoGood = sut.send([3]);
    const settle = async () => {
      for (let i = 0; i < 20; i++) {
        for (const r of f.requests) r.done();
        await tick();
      }
    };
    const outcomes = Promise.allSettled([first, good, bad, alsoGood]);
    await settle();
    const [a, b, c, d] = await outcomes;
    expect([a?.status, b?.status, c?.status, d?.status]).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(c?.status === 'rejected' ? String(c.reason) : '').toContain('failed 13');
    expect(f.requests.map((r) => r.items)).toEqual([[1], [2, 13, 3], [2], [13], [3]]);
  });

  it('idle() resolves only after every send so far was answered', async () => {
    const f = controlledFlush();
    const sut = new SendCoalescer(f.flush);
    await sut.idle();
    const sends = [sut.send([1]), sut.send([2])];
    let idle = false;
    const waiting = sut.idle().then(() => (idle = true));
    await tick();
    f.requests[0]?.done();
    await tick();
    expect(idle).toBe(false);
    f.requests[1]?.done();
    await waiting;
    await Promise.all(sends);
    expect(f.requests.map((r) => r.items)).toEqual([[1], [2]]);
  });

  it('refuses a non-positive batch bound', () => {
    expect(() => new SendCoalescer(async () => undefined, 0)).toThrow('maxItems');
  });
});
