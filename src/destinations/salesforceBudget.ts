import type { Connection } from 'jsforce';
import { DestinationBudgetExhausted } from '../errors';

interface Usage {
  used: number;
  limit: number;
  /** When it was read (ms since epoch). */
  at: number;
}

/**
 * The org's daily API usage as the last response's `Sforce-Limit-Info: api-usage=N/M` told it, per
 * org (keyed by instance URL), shared by every destination instance in this worker: each batch opens
 * a destination of its own, and the budget must carry over from one batch to the next.
 */
const lastUsage = new Map<string, Usage>();

/**
 * Runs that have read usage from a response of each org in this worker. Until it has, a run's
 * request goes out even past the reserve, to read usage afresh (the allocation may have been raised
 * since); once it has, every request is held to the freshest reading, whichever run (or sync) made it.
 */
const runsSeen = new Map<string, Set<string>>();
/** Runs remembered per org; the oldest are forgotten first (a forgotten run is long over). */
const RUNS_REMEMBERED = 1_000;

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

  /** The run requests are made for (undefined outside a run: a `validate`). */
  run: string | undefined;

  /**
   * Throws DestinationBudgetExhausted when one more request would bring usage past the reserve, by
   * the last fresh reading of any run to this org, unless this run has read none yet.
   */
  beforeRequest(): void {
    const first = runsSeen.get(this.org)?.has(this.run ?? '') !== true;
    const usage = lastUsage.get(this.org);
    if (usage === undefined || usage.limit <= 0 || this.now() - usage.at > STALE_AFTER_MS) return;
    const ceiling = Math.floor(usage.limit * this.maxShare);
    if (usage.used + 1 > ceiling && !first) {
      throw new DestinationBudgetExhausted(
        `Salesforce API usage is ${usage.used}/${usage.limit} today; backflow stops at ${ceiling} ` +
          `(maxDailyApiUsage ${this.maxShare}) to leave the rest of the org's allocation to others`,
      );
    }
  }

  /** The connection's reading last recorded: a call that sent no request (a cached describe) leaves it. */
  private lastRead: unknown;

  /**
   * Reads what jsforce parsed from the last response's Sforce-Limit-Info header (a new object each
   * response): only once, so an old reading never overwrites a newer one another run recorded since.
   */
  afterResponse(connection: Connection): void {
    const info = connection.limitInfo;
    if (info === this.lastRead) return;
    this.lastRead = info;
    const usage = info?.apiUsage;
    if (usage !== undefined) this.record(usage.used, usage.limit);
  }

  record(used: number, limit: number): void {
    lastUsage.set(this.org, { used, limit, at: this.now() });
    const seen = runsSeen.get(this.org) ?? new Set<string>();
    runsSeen.set(this.org, seen);
    seen.delete(this.run ?? '');
    seen.add(this.run ?? '');
    if (seen.size > RUNS_REMEMBERED) seen.delete(seen.values().next().value as string);
  }
}
