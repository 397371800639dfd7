export interface RecordsPerTask {
  readonly total: number;
  readonly byTopic: Record<string, number>;
}

/**
 * Records appended per task between two readings of the topics' record counts
 * (topicRecordCounts), by topic and in all, to two decimals; topics that gained none are left out.
 */
export function recordsPerTask(before: ReadonlyMap<string, bigint>, after: ReadonlyMap<string, bigint>, tasks: number): RecordsPerTask {
  const per = (n: bigint): number => Math.round((Number(n) / Math.max(1, tasks)) * 100) / 100;
  const byTopic: Record<string, number> = {};
  let total = 0n;
  for (const [topic, end] of after) {
    const appended = end - (before.get(topic) ?? 0n);
    if (appended <= 0n) continue;
    total += appended;
    byTopic[topic] = per(appended);
  }
  return { total: per(total), byTopic };
}
