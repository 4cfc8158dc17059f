import { setTimeout as delay } from 'node:timers/promises';

/**
 * Slack allows about one message per second per channel (short bursts aside), and as much per
 * incoming webhook. backflow paces its own writes to that, so a batch is spread out instead of
 * bouncing off 429s; a 429 that still comes (other apps post to the channel too) is waited out
 * through Temporal's retry.
 */
export interface ChannelPacer {
  /** Resolves when the next write to `channel` may go. */
  wait(channel: string): Promise<void>;
}

/** Messages per second per channel (and per incoming webhook). */
export const CHANNEL_MESSAGES_PER_SECOND = 1;

/**
 * Paces within this process only: for a destination opened without a state store. Workers pace
 * through the store instead (engine/channelPacing.ts), so a fleet keeps to the channel's limit.
 */
export class LocalChannelPacer implements ChannelPacer {
  private readonly nextAt = new Map<string, number>();

  constructor(
    private readonly intervalMs = 1_000 / CHANNEL_MESSAGES_PER_SECOND,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = delay,
  ) {}

  /** Reserves its slot first, so concurrent callers queue up. */
  async wait(channel: string): Promise<void> {
    const now = this.now();
    const at = Math.max(now, this.nextAt.get(channel) ?? 0);
    this.nextAt.set(channel, at + this.intervalMs);
    if (at > now) await this.sleep(at - now);
  }
}

/** The process's pacer, shared by every destination opened without a store-backed one. */
export const sharedChannelPacer = new LocalChannelPacer();
