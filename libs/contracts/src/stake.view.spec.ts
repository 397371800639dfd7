import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { LedgerEventSchema, LedgerOutcome } from './gen/aegis/events/v1/ledger_events_pb';
import { StakeView } from './stake.view';

const NODE = `0x${'ab'.repeat(20)}` as const;
const CLIENT = `0x${'cd'.repeat(20)}`;

function event(sequence: bigint, postings: Array<[string, string]>, outcome = LedgerOutcome.APPLIED) {
  return create(LedgerEventSchema, {
    idempotencyKey: `k${sequence}`,
    outcome,
    entry: { sequence, idempotencyKey: `k${sequence}`, postings: postings.map(([account, delta]) => ({ account, delta })) },
  });
}

describe('StakeView', () => {
  it('folds stake postings once per entry, whatever the redelivery', () => {
    const view = new StakeView(100n);
    expect(
      view.apply(
        event(1n, [
          [`free:${NODE}`, '-150'],
          [`stake:${NODE}`, '150'],
        ]),
      ),
    ).toBe(true);
    expect(
      view.apply(
        event(1n, [
          [`free:${NODE}`, '-150'],
          [`stake:${NODE}`, '150'],
        ]),
      ),
    ).toBe(false);
    expect(view.stakeOf(NODE)).toBe(150n);
    expect(view.isActive(NODE)).toBe(true);
    expect(
      view.apply(
        event(2n, [
          [`stake:${NODE}`, '-60'],
          [`unbonding:${NODE}`, '60'],
        ]),
      ),
    ).toBe(true);
    expect(view.stakeOf(NODE)).toBe(90n);
    expect(view.isActive(NODE)).toBe(false);
  });

  it('ignores refusals', () => {
    const view = new StakeView(0n);
    expect(view.apply(event(4n, [[`stake:${NODE}`, '5']], LedgerOutcome.REFUSED))).toBe(false);
    expect(view.stakeOf(NODE)).toBe(0n);
  });

  it('takes a stake change from its REPLAYED announcement when the APPLIED one was lost, and counts it once', () => {
    // The ledger committed, crashed before publishing APPLIED, and the redelivered command
    // announced REPLAYED with the entry as stored: the view must not miss the stake.
    const lost = new StakeView(0n);
    expect(lost.apply(event(3n, [[`stake:${NODE}`, '5']], LedgerOutcome.REPLAYED))).toBe(true);
    expect(lost.stakeOf(NODE)).toBe(5n);
    // Both announcements arrived (a replay after a publish that did go out): still once.
    const both = new StakeView(0n);
    both.apply(event(3n, [[`stake:${NODE}`, '5']]));
    expect(both.apply(event(3n, [[`stake:${NODE}`, '5']], LedgerOutcome.REPLAYED))).toBe(false);
    expect(both.stakeOf(NODE)).toBe(5n);
  });

  it('does not grow with entries that move no stake (a task fee escrowed and settled)', () => {
    const view = new StakeView(0n);
    for (let i = 10n; i < 1010n; i++) {
      expect(
        view.apply(
          event(i, [
            [`free:${CLIENT}`, '-5'],
            [`escrow:task-${i}`, '5'],
          ]),
        ),
      ).toBe(false);
    }
    expect(view.rememberedEntries).toBe(0);
    view.apply(event(5000n, [[`stake:${NODE}`, '7']]));
    expect(view.rememberedEntries).toBe(1);
  });
});
