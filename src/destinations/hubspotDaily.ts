import { DestinationBudgetExhausted } from '../errors';

interface DailyReading {
  used: number;
  limit: number;
  /** When it was read (ms since epoch). */
  at: number;
}

/**
 * The app's requests today as HubSpot's last answer told it (`X-HubSpot-RateLimit-Daily` and
 * `-Daily-Remaining`), per app (see appKey), shared by every destination instance of this worker:
 * each batch opens a destination of its own, and the count must carry over from one to the next.
 */
const lastReading = new Map<string, DailyReading>();

/** An older reading may be from before HubSpot's midnight reset: not trusted to block a request. */
const STALE_AFTER_MS = 5 * 60_000;

/**
 * A connection's `limits: { daily }`: backflow stops sending (the run ends `partial`, the rest goes
 * with a later run) before the app's requests today would pass it, leaving the rest of the portal's
 * allowance to other integrations. Without that setting HubSpot's own daily 429 is the limit.
 */
export class HubspotDailyBudget {
  constructor(
    private readonly app: string,
    /** Requests a day backflow may bring the app's usage to; undefined: no limit of its own. */
    private readonly allowed: number | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  beforeRequest(): void {
    const reading = lastReading.get(this.app);
    if (this.allowed === undefined || reading === undefined || this.now() - reading.at > STALE_AFTER_MS) return;
    if (reading.used + 1 > this.allowed) {
      throw new DestinationBudgetExhausted(
        `HubSpot API usage is ${reading.used} requests today (the app's allowance is ${reading.limit}); ` +
          `backflow stops at ${this.allowed} (limits.daily) to leave the rest to other integrations`,
      );
    }
  }

  /** Records the daily figures of an answer's headers (lower-cased names), when it carries them. */
  afterResponse(headers: Record<string, string>): void {
    const limit = Number(headers['x-hubspot-ratelimit-daily']);
    const remaining = Number(headers['x-hubspot-ratelimit-daily-remaining']);
    if (!Number.isFinite(limit) || !Number.isFinite(remaining) || headers['x-hubspot-ratelimit-daily'] === undefined) return;
    lastReading.set(this.app, { used: Math.max(0, limit - remaining), limit, at: this.now() });
  }
}
