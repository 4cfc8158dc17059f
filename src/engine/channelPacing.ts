import { hash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { CHANNEL_MESSAGES_PER_SECOND, type ChannelPacer } from '../destinations/slackPacing';
import type { StateDb } from '../state/database';
import { acquireToken } from '../state/pacing';

/**
 * Paces each Slack channel (or incoming webhook) through a token bucket in the state store, so every
 * worker posting to it keeps to one message a second together, not one each. A burst of one: the
 * channel's own burst allowance is left to whoever else posts there.
 */
export class StoreChannelPacer implements ChannelPacer {
  constructor(
    private readonly state: StateDb,
    /** A clock for the buckets (tests); default: the state store's (see state/pacing.ts). */
    private readonly now?: () => number,
    private readonly sleep: (ms: number) => Promise<void> = delay,
  ) {}

  wait(channel: string): Promise<void> {
    // Hashed: a webhook's URL is its secret, and bucket names are stored in the clear.
    const bucket = `channel:${hash('sha256', channel, 'base64url')}`;
    return acquireToken(this.state, { bucket, maxRate: CHANNEL_MESSAGES_PER_SECOND, burst: 1 }, this.now, this.sleep);
  }
}
