import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ANNOUNCE_GRACE_MS, ANNOUNCE_INTERVAL_MS, AnnouncementRelay } from './announcement.relay';
import type { LedgerService } from './ledger.service';

const NOW = new Date('2026-11-25T12:00:00Z');

describe('AnnouncementRelay', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('announces what was applied more than the grace period ago, one pass at a time, and stops after the pass in hand', async () => {
    const passes: { before: Date; finish: () => void }[] = [];
    const ledger = {
      announceOverdue: (before: Date) => new Promise<number>((resolve) => passes.push({ before, finish: () => resolve(1) })),
    } as unknown as LedgerService;
    const relay = new AnnouncementRelay(ledger, () => NOW, pino({ level: 'silent' }));
    relay.onApplicationBootstrap();
    expect(passes).toHaveLength(0);

    await vi.advanceTimersByTimeAsync(ANNOUNCE_INTERVAL_MS);
    expect(passes).toHaveLength(1);
    expect(passes[0]?.before.getTime()).toBe(NOW.getTime() - ANNOUNCE_GRACE_MS);

    // A slow pass: the next ticks do not start another one beside it.
    await vi.advanceTimersByTimeAsync(3 * ANNOUNCE_INTERVAL_MS);
    expect(passes).toHaveLength(1);

    let stopped = false;
    const stopping = relay.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false); // waits for the pass in hand
    passes[0]?.finish();
    await stopping;
    expect(stopped).toBe(true);

    await vi.advanceTimersByTimeAsync(5 * ANNOUNCE_INTERVAL_MS);
    expect(passes).toHaveLength(1); // no pass after stop
  });

  it('keeps going after a failed pass', async () => {
    let calls = 0;
    const ledger = {
      announceOverdue: async () => {
        calls++;
        if (calls === 1) throw new Error('database down');
        return 0;
      },
    } as unknown as LedgerService;
    const relay = new AnnouncementRelay(ledger, () => NOW, pino({ level: 'silent' }));
    relay.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(2 * ANNOUNCE_INTERVAL_MS);
    expect(calls).toBe(2);
    await relay.stop();
  });
});
