import { DeadLetterReason } from '@aegis/contracts';
import { PoisonMessageError } from './bus.errors';
import type { BusLogger, BusRecord, RecordHandler, RetryPolicy } from './bus.port';

export interface ResolvedRetryPolicy {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: ResolvedRetryPolicy = { maxAttempts: Number.POSITIVE_INFINITY, initialDelayMs: 100, maxDelayMs: 10_000 };

export function resolveRetryPolicy(policy: RetryPolicy | undefined): ResolvedRetryPolicy {
  const resolved = { ...DEFAULT_RETRY, ...stripUndefined(policy ?? {}) };
  const { maxAttempts, initialDelayMs, maxDelayMs } = resolved;
  if (!(maxAttempts === Number.POSITIVE_INFINITY || (Number.isInteger(maxAttempts) && maxAttempts >= 1))) {
    throw new RangeError(`retry.maxAttempts: must be an integer >= 1 or Infinity, got ${maxAttempts}`);
  }
  if (!Number.isFinite(initialDelayMs) || initialDelayMs < 0)
    throw new RangeError(`retry.initialDelayMs: must be >= 0, got ${initialDelayMs}`);
  if (!Number.isFinite(maxDelayMs) || maxDelayMs < initialDelayMs) {
    throw new RangeError(`retry.maxDelayMs: must be >= initialDelayMs, got ${maxDelayMs}`);
  }
  return resolved;
}

function stripUndefined(policy: RetryPolicy): Partial<ResolvedRetryPolicy> {
  return Object.fromEntries(Object.entries(policy).filter(([, v]) => v !== undefined)) as Partial<ResolvedRetryPolicy>;
}

/** Backoff before attempt `attempt + 1`: initial * 2^(attempt-1), capped. */
export function backoffDelayMs(policy: ResolvedRetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt - 1, 30));
}

export type DeliveryOutcome =
  | { readonly kind: 'handled' }
  | { readonly kind: 'dead-letter'; readonly reason: DeadLetterReason; readonly detail: string }
  /** Stop was requested between attempts: leave the record uncommitted for the next consumer. */
  | { readonly kind: 'abandoned' };

export interface DeliveryContext {
  readonly groupId: string;
  readonly policy: ResolvedRetryPolicy;
  /** Aborted when the consumer stops: ends a pending backoff, never a running handler. */
  readonly signal: AbortSignal;
  readonly logger: BusLogger;
  /** Keeps a broker session alive while a record is retried (Kafka). */
  readonly heartbeat?: () => Promise<void>;
}

/** Runs `handler` on one record until it succeeds, is poison, exhausts its retries, or is stopped. */
export async function deliver(record: Omit<BusRecord, 'attempt'>, handler: RecordHandler, ctx: DeliveryContext): Promise<DeliveryOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      await handler({ ...record, attempt });
      return { kind: 'handled' };
    } catch (err) {
      if (err instanceof PoisonMessageError) {
        return { kind: 'dead-letter', reason: err.deadLetterReason, detail: err.message };
      }
      const detail = err instanceof Error ? err.message : String(err);
      const where = { groupId: ctx.groupId, topic: record.topic, partition: record.partition, offset: record.offset.toString(), attempt };
      if (attempt >= ctx.policy.maxAttempts) {
        ctx.logger.error({ ...where, err: detail }, 'handler failed; retries exhausted, dead-lettering');
        return { kind: 'dead-letter', reason: DeadLetterReason.RETRIES_EXHAUSTED, detail: `after ${attempt} attempts: ${detail}` };
      }
      ctx.logger.warn({ ...where, err: detail }, 'handler failed; will retry');
      if (ctx.signal.aborted) return { kind: 'abandoned' };
      await abortableDelay(backoffDelayMs(ctx.policy, attempt), ctx.signal);
      if (ctx.signal.aborted) return { kind: 'abandoned' };
      await ctx.heartbeat?.();
    }
  }
}

export interface KeyOrderedDelivery {
  /** How many records from the start are done: the group's position may move past these. */
  readonly done: number;
  /** The first error `settle` threw, if any (its record and the rest of its key were not done). */
  readonly failure?: unknown;
}

/**
 * Delivers consecutive records of one partition in key order (SubscribeOptions.ordering 'key'):
 * the records of one key one after another in offset order, each through deliver, the keys'
 * chains concurrently. `settle` runs for every record deliver did not abandon (the adapter's
 * dead-lettering) before it counts as done. Resolves once every chain has ended; a chain ends
 * early at a record that was abandoned or whose settle failed, and its later records are left
 * undone, never run, so that a key's records are never handled out of order.
 */
export async function deliverByKey<R extends Omit<BusRecord, 'attempt'>>(
  records: readonly R[],
  handler: RecordHandler,
  ctx: DeliveryContext,
  settle: (record: R, outcome: Exclude<DeliveryOutcome, { kind: 'abandoned' }>) => Promise<void>,
): Promise<KeyOrderedDelivery> {
  const done = records.map(() => false);
  const chains = new Map<string, number[]>();
  records.forEach((record, i) => {
    const chain = chains.get(record.key);
    if (chain) chain.push(i);
    else chains.set(record.key, [i]);
  });
  let failure: { error: unknown } | undefined;
  await Promise.all(
    [...chains.values()].map(async (chain) => {
      for (const i of chain) {
        const record = records[i] as R;
        const outcome = await deliver(record, handler, ctx);
        if (outcome.kind === 'abandoned') return;
        try {
          await settle(record, outcome);
        } catch (error) {
          failure ??= { error };
          return;
        }
        done[i] = true;
      }
    }),
  );
  const firstUndone = done.indexOf(false);
  return { done: firstUndone === -1 ? records.length : firstUndone, ...(failure ? { failure: failure.error } : {}) };
}

/** Resolves after `ms`, or at once when `signal` aborts. Never rejects. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
