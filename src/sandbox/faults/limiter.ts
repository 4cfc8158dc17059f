/**
 * Token bucket used by the emulators' rate limits: `capacity` requests at once (the burst), refilled
 * at `perSecond`. Time comes from an injected clock so tests can step it instead of sleeping.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    const elapsed = Math.max(0, t - this.last) / 1000;
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.perSecond);
    this.last = t;
  }

  /** Takes one token; when none is left returns the whole seconds until one is (≥ 1), for Retry-After. */
  take(): { ok: true } | { ok: false; retryAfterSeconds: number } {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    const wait = this.perSecond > 0 ? (1 - this.tokens) / this.perSecond : Number.POSITIVE_INFINITY;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(wait)) };
  }
}

/** Buckets by key (method, channel…), created on first use with the given shape. */
export class BucketMap {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly now: () => number) {}

  take(key: string, capacity: number, perSecond: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(capacity, perSecond, this.now);
      this.buckets.set(key, bucket);
    }
    return bucket.take();
  }

  clear(): void {
    this.buckets.clear();
  }
}
