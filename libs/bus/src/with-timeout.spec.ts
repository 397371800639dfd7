import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withTimeout } from './with-timeout';

describe('withTimeout', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('passes a value that comes in time through, and leaves no timer behind', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, 'x')).resolves.toBe(7);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects naming what did not happen and the limit, once the limit has passed', async () => {
    const never = new Promise<void>(() => undefined);
    const waiting = withTimeout(never, 500, 'group g did not join');
    const outcome = waiting.then(
      () => 'resolved',
      (e: unknown) => (e as Error).message,
    );
    await vi.advanceTimersByTimeAsync(499);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toBe('group g did not join within 500 ms');
  });
});
