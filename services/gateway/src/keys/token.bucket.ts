/**
 * Per-key rate limit: a token bucket per API key (capacity `burst`, refilled at `perSecond`),
 * in this replica's memory. Each replica limits on its own, so N replicas allow N times the rate;
 * the Helm chart says so next to the replica count.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key`; returns 0 when allowed, else the seconds until one is available. */
  take(key: string): number {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    const tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: t });
      return 0;
    }
    this.buckets.set(key, { tokens, at: t });
    return (1 - tokens) / this.perSecond;
  }
}
