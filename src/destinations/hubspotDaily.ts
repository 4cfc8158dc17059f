import { DestinationBudgetExhausted } from '../errors';

interface DailyReading {
  used: number;
  limit: number;
  /** When it was read (ms since epoch). */
  at: number;
}

/** What this worker knows of one app's requests today. */
interface AppUsage {
  /** HubSpot's last count (`X-HubSpot-RateLimit-Daily` and `-Daily-Remaining`), when one came. */
  reading?: DailyReading;
  /** Requests sent and not yet answered: no reading counts them yet. */
  inFlight: number;
  /** Requests waiting for an answer to tell them the count (see reserve). */
  waiting: Array<() => void>;
}

/**
 * Per app (see appKey), shared by every destination instance of this worker: each batch opens a
 * destination of its own, and the count must carry over from one to the next.
 */
const usageByApp = new Map<string, AppUsage>();

/** An older reading may be from before HubSpot's midnight reset: not trusted to block a request. */
const STALE_AFTER_MS = 5 * 60_000;

function usageOf(app: string): AppUsage {
  let usage = usageByApp.get(app);
  if (!usage) usageByApp.set(app, (usage = { inFlight: 0, waiting: [] }));
  return usage;
}

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

  /**
   * Takes a place for one request within the allowance, or throws DestinationBudgetExhausted; the
   * returned function gives it back once the request is answered (afterResponse first) or failed.
   * Requests in flight count against it: the batches sending at once each passed a check against
   * the same last count, and together went past the limit. With no fresh count, one request goes
   * at a time until an answer brings one.
   */
  async reserve(): Promise<() => void> {
    if (this.allowed === undefined) return () => {};
    const usage = usageOf(this.app);
    for (;;) {
      const reading = usage.reading !== undefined && this.now() - usage.reading.at <= STALE_AFTER_MS ? usage.reading : undefined;
      if (reading === undefined && usage.inFlight > 0) {
        await new Promise<void>((resolve) => usage.waiting.push(resolve));
        continue;
      }
      if (reading !== undefined && reading.used + usage.inFlight + 1 > this.allowed) {
        const sending = usage.inFlight > 0 ? ` and ${usage.inFlight} more on their way` : '';
        throw new DestinationBudgetExhausted(
          `HubSpot API usage is ${reading.used} requests today${sending} (the app's allowance is ${reading.limit}); ` +
            `backflow stops at ${this.allowed} (limits.daily) to leave the rest to other integrations`,
        );
      }
      usage.inFlight += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        usage.inFlight -= 1;
        for (const wake of usage.waiting.splice(0)) wake();
      };
    }
  }

  /** Records the daily figures of an answer's headers (lower-cased names), when it carries them. */
  afterResponse(headers: Record<string, string>): void {
    const limit = Number(headers['x-hubspot-ratelimit-daily']);
    const remaining = Number(headers['x-hubspot-ratelimit-daily-remaining']);
    if (!Number.isFinite(limit) || !Number.isFinite(remaining) || headers['x-hubspot-ratelimit-daily'] === undefined) return;
    usageOf(this.app).reading = { used: Math.max(0, limit - remaining), limit, at: this.now() };
  }
}
