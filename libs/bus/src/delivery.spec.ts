import { DeadLetterReason } from '@aegis/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PoisonMessageError } from './bus.errors';
import { SILENT_LOGGER } from './bus.port';
import { backoffDelayMs, deliver, resolveRetryPolicy } from './delivery';

const record = { topic: 't', partition: 0, offset: 0n, key: 'k', value: new Uint8Array(), headers: {}, timestamp: 0 };

describe('retry policy', () => {
  it('backs off exponentially, never past the cap, never decreasing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 1, max: 200 }),
        (initial, extra, attempt) => {
          const policy = resolveRetryPolicy({ initialDelayMs: initial, maxDelayMs: initial + extra });
          const d = backoffDelayMs(policy, attempt);
          expect(d).toBeLessThanOrEqual(initial + extra);
          expect(backoffDelayMs(policy, attempt + 1)).toBeGreaterThanOrEqual(d);
          expect(backoffDelayMs(policy, 1)).toBe(initial);
        },
      ),
    );
  });

  it('refuses nonsense, naming the field', () => {
    expect(() => resolveRetryPolicy({ maxAttempts: 0 })).toThrow(/retry.maxAttempts/);
    expect(() => resolveRetryPolicy({ maxAttempts: 1.5 })).toThrow(/retry.maxAttempts/);
    expect(() => resolveRetryPolicy({ initialDelayMs: -1 })).toThrow(/retry.initialDelayMs/);
    expect(() => resolveRetryPolicy({ initialDelayMs: 10, maxDelayMs: 5 })).toThrow(/retry.maxDelayMs/);
    expect(resolveRetryPolicy({ maxAttempts: undefined }).maxAttempts).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('deliver', () => {
  const ctx = (signal = new AbortController().signal) => ({
    groupId: 'g',
    policy: resolveRetryPolicy({ initialDelayMs: 0, maxDelayMs: 0, maxAttempts: 4 }),
    signal,
    logger: SILENT_LOGGER,
  });

  it('dead-letters a poison record on the first attempt, without retrying', async () => {
    let calls = 0;
    const outcome = await deliver(
      record,
      async () => {
        calls++;
        throw new PoisonMessageError('undecodable', 'aegis.tasks.v1', 'bad wire type');
      },
      ctx(),
    );
    expect(calls).toBe(1);
    expect(outcome).toEqual({ kind: 'dead-letter', reason: DeadLetterReason.UNDECODABLE, detail: 'aegis.tasks.v1: bad wire type' });
  });

  it('gives up after maxAttempts with RETRIES_EXHAUSTED, passing the attempt number each time', async () => {
    const seen: number[] = [];
    const outcome = await deliver(
      record,
      async (r) => {
        seen.push(r.attempt);
        throw new Error('db down');
      },
      ctx(),
    );
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(outcome).toMatchObject({ kind: 'dead-letter', reason: DeadLetterReason.RETRIES_EXHAUSTED });
  });

  it('abandons between attempts once stopped, but lets a running attempt finish', async () => {
    const abort = new AbortController();
    let calls = 0;
    const outcome = await deliver(
      record,
      async () => {
        calls++;
        abort.abort();
        throw new Error('fails while stopping');
      },
      ctx(abort.signal),
    );
    expect(calls).toBe(1);
    expect(outcome).toEqual({ kind: 'abandoned' });
  });
});
