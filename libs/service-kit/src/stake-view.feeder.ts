import { decodingHandler, type EventBus, type Subscription } from '@aegis/bus';
import { type StakeView, TOPICS } from '@aegis/contracts';

/**
 * Keeps a StakeView current from aegis.ledger-events.v1. The view lives in memory, so the group
 * must be this process's own and read from the beginning (every replica needs every stake);
 * pass a group id unique to the process start, e.g. `aegis.verifier.v1.<instance>.stake-view.<n>`.
 */
export function feedStakeView(bus: EventBus, view: StakeView, groupId: string): Promise<Subscription> {
  return bus.subscribe({
    topics: [TOPICS.ledgerEvents],
    groupId,
    fromBeginning: true,
    handler: decodingHandler(TOPICS.ledgerEvents, async (event) => {
      view.apply(event);
    }),
  });
}
