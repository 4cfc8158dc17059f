import type { Connection } from 'jsforce';
import { DestinationBudgetExhausted } from '../errors';

interface Usage {
  used: number;
  limit: number;
  /** The run that read it: a new run's first request reads usage afresh (an allocation may have grown). */
  run: string | undefined;
  /** When it was read (ms since epoch). */
  at: number;
}

/**
 * The org's daily API usage as the last response's `Sforce-Limit-Info: api-usage=N/M` told it, per
 * org (keyed by instance URL), shared by every destination instance in this worker: each batch opens
 * a destination of its own, and the budget must carry over from one batch to the next.
 */
const lastUsage = new Map<string, Usage>();

/** Older readings are not trusted to block a request: the allocation is a rolling 24 hours. */
const STALE_AFTER_MS = 5 * 60_000;

/**
 * Keeps backflow's API usage below a share of the org's daily allocation (`maxDailyApiUsage`,
 * default 0.8), leaving the rest to the org's other integrations and users.
 */
export class ApiBudget {
  constructor(
    private readonly org: string,
    private readonly maxShare: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The run requests are made for; readings of other runs don't block. */
  run: string | undefined;

  /** Throws DestinationBudgetExhausted when one more request would bring usage past the reserve. */
  beforeRequest(): void {
    const usage = lastUsage.get(this.org);
    if (usage === undefined || usage.limit <= 0 || this.now() - usage.at > STALE_AFTER_MS) return;
    if (usage.run !== this.run) return;
    const ceiling = Math.floor(usage.limit * this.maxShare);
    if (usage.used + 1 > ceiling) {
      throw new DestinationBudgetExhausted(
        `Salesforce API usage is ${usage.used}/${usage.limit} today; backflow stops at ${ceiling} ` +
          `(maxDailyApiUsage ${this.maxShare}) to leave the rest of the org's allocation to others`,
      );
    }
  }

  /** Reads what jsforce parsed from the last response's Sforce-Limit-Info header. */
  afterResponse(connection: Connection): void {
    const usage = connection.limitInfo?.apiUsage;
    if (usage !== undefined) this.record(usage.used, usage.limit);
  }

  record(used: number, limit: number): void {
    lastUsage.set(this.org, { used, limit, at: this.now(), run: this.run });
  }
}
