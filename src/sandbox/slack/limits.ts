/**
 * Slack's rate limits: each Web API method belongs to a tier with a per-minute allowance (per app
 * per workspace), chat.postMessage has its own "1 per second per channel, short bursts allowed"
 * plus a workspace-wide cap, and incoming webhooks allow 1 per second. Modelled as token buckets
 * whose capacity is the burst; a limited call gets the whole seconds until the next token.
 */
import { BucketMap } from '../faults';
import type { SlackLimits } from './types';

export const DEFAULT_LIMITS: SlackLimits = {
  enabled: true,
  postMessagePerChannelPerSecond: 1,
  postMessageBurst: 10,
  postMessageWorkspacePerMinute: 600,
  tierPerMinute: { 1: 1, 2: 20, 3: 50, 4: 100 },
  webhookPerSecond: 1,
  webhookBurst: 10,
  textOverflow: 'truncate',
};

/** Tiers from each method's reference page (auth.test is "special" and generous: treated as tier 4). */
export const METHOD_TIERS: Record<string, 1 | 2 | 3 | 4> = {
  'auth.test': 4,
  'chat.update': 3,
  'chat.delete': 3,
  'conversations.list': 2,
  'conversations.info': 3,
  'conversations.history': 3,
  'conversations.replies': 3,
};

export type LimitCheck = { ok: true } | { ok: false; retryAfterSeconds: number };

export class SlackRateLimiter {
  private limits: SlackLimits;
  private readonly buckets: BucketMap;

  constructor(limits: Partial<SlackLimits>, now: () => number) {
    this.limits = mergeLimits(DEFAULT_LIMITS, limits);
    this.buckets = new BucketMap(now);
  }

  current(): SlackLimits {
    return { ...this.limits, tierPerMinute: { ...this.limits.tierPerMinute } };
  }

  set(limits: Partial<SlackLimits>): void {
    this.limits = mergeLimits(this.limits, limits);
    this.buckets.clear();
  }

  reset(limits: Partial<SlackLimits>): void {
    this.limits = mergeLimits(DEFAULT_LIMITS, limits);
    this.buckets.clear();
  }

  /** A Web API method call (chat.postMessage is checked per channel separately). */
  method(method: string): LimitCheck {
    if (!this.limits.enabled) return { ok: true };
    if (method === 'chat.postMessage') {
      const perMinute = this.limits.postMessageWorkspacePerMinute;
      return this.buckets.take('workspace:chat.postMessage', perMinute, perMinute / 60);
    }
    const tier = METHOD_TIERS[method] ?? 3;
    const perMinute = this.limits.tierPerMinute[tier];
    return this.buckets.take(`method:${method}`, perMinute, perMinute / 60);
  }

  postToChannel(channelId: string): LimitCheck {
    if (!this.limits.enabled) return { ok: true };
    return this.buckets.take(`channel:${channelId}`, this.limits.postMessageBurst, this.limits.postMessagePerChannelPerSecond);
  }

  webhook(hookId: string): LimitCheck {
    if (!this.limits.enabled) return { ok: true };
    return this.buckets.take(`webhook:${hookId}`, this.limits.webhookBurst, this.limits.webhookPerSecond);
  }
}

function mergeLimits(base: SlackLimits, patch: Partial<SlackLimits>): SlackLimits {
  return { ...base, ...patch, tierPerMinute: { ...base.tierPerMinute, ...(patch.tierPerMinute ?? {}) } };
}
