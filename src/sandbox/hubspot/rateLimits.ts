/**
 * HubSpot's two request limits for a private app: a rolling 10-second window (100 or 190 requests by
 * tier) and a daily allowance (reset at midnight; HubSpot uses the account's time zone, the sandbox
 * uses UTC). Every authenticated answer carries the X-HubSpot-RateLimit-* headers HubSpot documents:
 * Daily, Daily-Remaining, Interval-Milliseconds, Max, Remaining, and the deprecated (still sent)
 * Secondly, Secondly-Remaining.
 *
 * The CRM search endpoints have their own limit: "rate limited to five requests per second per
 * account", and "Responses from the search API endpoints will not include any of the rate limit
 * headers" (developers.hubspot.com/docs/api/crm/search, /docs/api/usage-details). A search counts
 * against the daily allowance but not the 10-second window, which HubSpot says "excludes the CRM
 * Search API".
 *
 * A request refused with 429 does not consume either budget (our choice: HubSpot does not document
 * it), so a client that waits out the window recovers exactly when the window says it will.
 */

import { z } from 'zod';

import type { RatePolicy } from './errors';
import type { HubspotLimits } from './types';

const count = z.number().int().min(0).nullable().optional();

export const limitsSchema = z
  .object({ tenSecondlyLimit: count, dailyLimit: count, tenSecondlyWindowMs: z.number().positive().optional(), searchSecondlyLimit: count })
  .strict();

/** Validates limits from `setLimits` or the admin endpoint; unknown keys are rejected so typos surface. */
export function parseLimits(value: unknown): HubspotLimits {
  const parsed = limitsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue !== undefined && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new Error(`invalid limits: ${where}${issue?.message ?? 'unknown problem'}`);
  }
  const limits: HubspotLimits = {};
  if (parsed.data.tenSecondlyLimit !== undefined) limits.tenSecondlyLimit = parsed.data.tenSecondlyLimit;
  if (parsed.data.dailyLimit !== undefined) limits.dailyLimit = parsed.data.dailyLimit;
  if (parsed.data.tenSecondlyWindowMs !== undefined) limits.tenSecondlyWindowMs = parsed.data.tenSecondlyWindowMs;
  if (parsed.data.searchSecondlyLimit !== undefined) limits.searchSecondlyLimit = parsed.data.searchSecondlyLimit;
  return limits;
}

/** Free/Starter figures (the strictest tier), so a sync that fits here fits everywhere. */
export const DEFAULT_LIMITS: Required<HubspotLimits> = {
  tenSecondlyLimit: 100,
  dailyLimit: 250_000,
  tenSecondlyWindowMs: 10_000,
  // "The search endpoints are rate limited to five requests per second per account."
  searchSecondlyLimit: 5,
};

/** The search limit's rolling window. */
const SEARCH_WINDOW_MS = 1_000;

export type RateDecision = { ok: true; headers: Record<string, string> } | { ok: false; policy: RatePolicy; headers: Record<string, string> };

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export class RateLimiter {
  private limits: Required<HubspotLimits> = { ...DEFAULT_LIMITS };
  /** Times of the requests counted in the rolling window, oldest first. */
  private window: number[] = [];
  /** Times of the search requests counted in the last second, oldest first. */
  private searchWindow: number[] = [];
  private dailyUsed = 0;
  private day: string;

  constructor(
    private readonly now: () => number,
    /** The sandbox's start limits, over the defaults: what reset() goes back to. */
    private readonly initial: HubspotLimits = {},
  ) {
    this.day = utcDay(now());
    this.limits = { ...DEFAULT_LIMITS, ...parseLimits(initial) };
  }

  /**
   * Changes the limits given, keeping the others (as the Slack and Meta sandboxes do); `null` turns
   * one off. Counters are kept. A key left out is not a default: a test turning the search limit off
   * keeps the 10-second and daily limits it set.
   */
  set(input: HubspotLimits): void {
    this.limits = { ...this.limits, ...parseLimits(input) };
  }

  current(): Required<HubspotLimits> {
    return { ...this.limits };
  }

  /** Back to the start limits, with every counter at zero. */
  reset(): void {
    this.limits = { ...DEFAULT_LIMITS, ...parseLimits(this.initial) };
    this.window = [];
    this.searchWindow = [];
    this.dailyUsed = 0;
    this.day = utcDay(this.now());
  }

  private roll(at: number): void {
    const cutoff = at - this.limits.tenSecondlyWindowMs;
    let drop = 0;
    while (drop < this.window.length && (this.window[drop] ?? 0) <= cutoff) drop += 1;
    if (drop > 0) this.window = this.window.slice(drop);
    const searchCutoff = at - SEARCH_WINDOW_MS;
    this.searchWindow = this.searchWindow.filter((t) => t > searchCutoff);
    const today = utcDay(at);
    if (today !== this.day) {
      this.day = today;
      this.dailyUsed = 0;
    }
  }

  private headers(at: number): Record<string, string> {
    const headers: Record<string, string> = {};
    const { tenSecondlyLimit, dailyLimit, tenSecondlyWindowMs } = this.limits;
    if (dailyLimit !== null) {
      headers['X-HubSpot-RateLimit-Daily'] = String(dailyLimit);
      headers['X-HubSpot-RateLimit-Daily-Remaining'] = String(Math.max(0, dailyLimit - this.dailyUsed));
    }
    if (tenSecondlyLimit !== null) {
      headers['X-HubSpot-RateLimit-Interval-Milliseconds'] = String(tenSecondlyWindowMs);
      headers['X-HubSpot-RateLimit-Max'] = String(tenSecondlyLimit);
      headers['X-HubSpot-RateLimit-Remaining'] = String(Math.max(0, tenSecondlyLimit - this.window.length));
      // Deprecated per-second pair: the window's allowance spread over its seconds.
      const perSecond = Math.max(1, Math.floor(tenSecondlyLimit / Math.max(1, tenSecondlyWindowMs / 1000)));
      const lastSecond = this.window.filter((t) => t > at - 1000).length;
      headers['X-HubSpot-RateLimit-Secondly'] = String(perSecond);
      headers['X-HubSpot-RateLimit-Secondly-Remaining'] = String(Math.max(0, perSecond - lastSecond));
    }
    return headers;
  }

  /** Counts one request if both budgets allow it; otherwise says which policy refused it. */
  take(): RateDecision {
    const at = this.now();
    this.roll(at);
    const { tenSecondlyLimit, dailyLimit } = this.limits;
    if (dailyLimit !== null && this.dailyUsed >= dailyLimit) return { ok: false, policy: 'DAILY', headers: this.headers(at) };
    if (tenSecondlyLimit !== null && this.window.length >= tenSecondlyLimit) {
      return { ok: false, policy: 'TEN_SECONDLY_ROLLING', headers: this.headers(at) };
    }
    this.window.push(at);
    this.dailyUsed += 1;
    return { ok: true, headers: this.headers(at) };
  }

  /** Counts one search request if the daily and search budgets allow it; no headers either way. */
  takeSearch(): RateDecision {
    const at = this.now();
    this.roll(at);
    const { searchSecondlyLimit, dailyLimit } = this.limits;
    if (dailyLimit !== null && this.dailyUsed >= dailyLimit) return { ok: false, policy: 'DAILY', headers: {} };
    if (searchSecondlyLimit !== null && this.searchWindow.length >= searchSecondlyLimit) return { ok: false, policy: 'SECONDLY', headers: {} };
    this.searchWindow.push(at);
    this.dailyUsed += 1;
    return { ok: true, headers: {} };
  }

  /** Headers describing the budgets without counting a request (for injected faults). */
  peek(): Record<string, string> {
    const at = this.now();
    this.roll(at);
    return this.headers(at);
  }
}
