import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { HUBSPOT_WINDOW_MS } from './hubspotTiers';

/**
 * Client-side pacing to HubSpot's rolling 10-second limit, shared by every batch of every run in the
 * worker process that uses the same app (base path + token): at most `max` requests in any window.
 *
 * A request holds a slot from the moment it is sent; when its answer arrives the slot is stamped with
 * that time and frees one window later. HubSpot counts a request when it arrives, which is never after
 * its answer, so a slot freed this way is free on HubSpot's side too, whatever the latency.
 *
 * The answer's X-HubSpot-RateLimit-* headers refine the picture: `-Max` / `-Interval-Milliseconds`
 * lower the budget when the account allows less than the connection declares, and a `-Remaining`
 * below what this process accounts for means other apps share the budget: the difference is taken
 * as spent now. A 429 stops every sender for one window.
 */
export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: PacerClock = {
  now: () => Date.now(),
  sleep: (ms) => delay(ms),
};

export interface WindowBudget {
  max: number;
  windowMs: number;
}

/** A sent request's slot: `done` when its answer (or failure) came back. */
export interface PacerTicket {
  done(headers?: Record<string, string>): void;
}

/** Slack kept past each window: clocks and timer resolution differ a little. */
export function safetyMarginMs(windowMs: number): number {
  return Math.min(50, Math.ceil(windowMs * 0.005));
}

export class RollingWindowPacer {
  private declared: WindowBudget;
  /** From the answers' headers, when they named a budget. */
  private announced: WindowBudget | undefined;
  /** Answer times of the requests in the window, oldest first. */
  private stamps: number[] = [];
  private inFlight = 0;
  private blockedUntil = 0;
  private released: Array<() => void> = [];
  /** Requests this pacer let through, and 429s it was told about (for benches and tests). */
  readonly stats = { sent: 0, limited: 0, waitedMs: 0 };

  constructor(
    budget: WindowBudget,
    private readonly clock: PacerClock = systemClock,
  ) {
    this.declared = budget;
  }

  /** The budget in force: the declared one, lowered by what HubSpot's headers announce. */
  budget(): WindowBudget {
    const announced = this.announced;
    if (announced === undefined) return this.declared;
    return { max: Math.min(this.declared.max, announced.max), windowMs: announced.windowMs };
  }

  /** The connection's declared budget (it may change between runs when backflow.yaml is edited). */
  declare(budget: WindowBudget): void {
    this.declared = budget;
  }

  private prune(now: number): void {
    const { windowMs } = this.budget();
    const freeAt = (stamp: number) => stamp + windowMs + safetyMarginMs(windowMs);
    let drop = 0;
    while (drop < this.stamps.length && freeAt(this.stamps[drop] ?? 0) <= now) drop += 1;
    if (drop > 0) this.stamps.splice(0, drop);
  }

  /** Milliseconds until a slot frees, 0 when one is free now, null when only an answer can free one. */
  private waitFor(now: number): number | null {
    if (now < this.blockedUntil) return this.blockedUntil - now;
    this.prune(now);
    const { max, windowMs } = this.budget();
    if (this.inFlight + this.stamps.length < max) return 0;
    const oldest = this.stamps[0];
    if (oldest === undefined) return null;
    return oldest + windowMs + safetyMarginMs(windowMs) - now;
  }

  /** Waits until a request may be sent within the budget, and takes a slot for it. */
  async acquire(): Promise<PacerTicket> {
    const started = this.clock.now();
    for (;;) {
      const now = this.clock.now();
      const wait = this.waitFor(now);
      if (wait === 0) break;
      if (wait === null) await new Promise<void>((resolve) => this.released.push(resolve));
      else await this.clock.sleep(wait);
    }
    this.inFlight += 1;
    this.stats.sent += 1;
    this.stats.waitedMs += this.clock.now() - started;
    // What this process had in the window when sending: HubSpot cannot have counted more of ours.
    const sent = { occupied: this.inFlight + this.stamps.length, seq: this.stats.sent };
    let settled = false;
    return {
      done: (headers) => {
        if (settled) return;
        settled = true;
        this.inFlight -= 1;
        const now = this.clock.now();
        this.stamps.push(now);
        if (headers !== undefined) this.observe(headers, now, sent.occupied + (this.stats.sent - sent.seq));
        const waiting = this.released;
        this.released = [];
        for (const wake of waiting) wake();
      },
    };
  }

  /** HubSpot refused a request with its 10-second limit: nobody sends until the window has passed. */
  limited(waitMs: number): void {
    this.stats.limited += 1;
    this.blockedUntil = Math.max(this.blockedUntil, this.clock.now() + waitMs);
  }

  /**
   * `ours`: the most requests of this process HubSpot can have counted when it answered (those in
   * the window at sending, plus any sent since). More counted than that were someone else's.
   */
  private observe(headers: Record<string, string>, now: number, ours: number): void {
    const max = Number(headers['x-hubspot-ratelimit-max']);
    const interval = Number(headers['x-hubspot-ratelimit-interval-milliseconds']);
    if (!Number.isInteger(max) || max <= 0) return;
    this.announced = { max, windowMs: Number.isFinite(interval) && interval > 0 ? interval : HUBSPOT_WINDOW_MS };
    const remaining = Number(headers['x-hubspot-ratelimit-remaining']);
    if (headers['x-hubspot-ratelimit-remaining'] === undefined || !Number.isInteger(remaining)) return;
    const others = max - remaining - ours;
    // Someone else spent part of the window: count it as spent now (it frees one window later).
    for (let i = 0; i < others; i += 1) this.stamps.push(now);
  }
}

const pacers = new Map<string, RollingWindowPacer>();

/**
 * Names one HubSpot app within this worker: base path + token, the token hashed (never kept). The
 * base path as the client uses it (no trailing slash): `https://api.hubapi.com/` and the default are
 * one app, one rolling window, not two that each let through a window's worth.
 */
export function appKey(basePath: string, accessToken: string): string {
  return `${basePath.replace(/\/+$/, '')}#${createHash('sha256').update(accessToken).digest('hex').slice(0, 16)}`;
}

/** The worker-wide pacer of one HubSpot app (see appKey). */
export function pacerFor(basePath: string, accessToken: string, budget: WindowBudget): RollingWindowPacer {
  const key = appKey(basePath, accessToken);
  const existing = pacers.get(key);
  if (existing) {
    existing.declare(budget);
    return existing;
  }
  const pacer = new RollingWindowPacer(budget);
  pacers.set(key, pacer);
  return pacer;
}
