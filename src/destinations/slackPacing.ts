/**
 * Slack allows about one message per second per channel (short bursts aside). backflow paces its own
 * writes to that in-process, so a batch is spread out instead of bouncing off 429s; a 429 that still
 * comes (other apps post to the channel too) is waited out through Temporal's retry.
 */
export class ChannelPacer {
  private readonly nextAt = new Map<string, number>();

  constructor(
    private readonly intervalMs = 1_000,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Resolves when the next write to `channel` may go; reserves its slot first, so concurrent callers queue up. */
  async wait(channel: string): Promise<void> {
    const now = this.now();
    const at = Math.max(now, this.nextAt.get(channel) ?? 0);
    this.nextAt.set(channel, at + this.intervalMs);
    if (at > now) await this.sleep(at - now);
  }
}

/** One pacer per worker process: every sync posting to the same workspace channel shares it. */
export const sharedChannelPacer = new ChannelPacer();
