import { DestinationTransientError } from '../errors';
import type { RangeInterruption } from './rangeInterruption';

/**
 * The transient reasons that are a rate limit: the destination refused the request for how many or
 * how fast backflow sent (HTTP 429 anywhere, Slack's `ratelimited`, Meta's throttling codes,
 * Salesforce's REQUEST_LIMIT_EXCEEDED on concurrent requests), whether or not it named a wait. A
 * record lock (HubSpot's 423), a replace in progress or a 5xx, Retry-After or not, is not one.
 */
const RATE_LIMIT_REASONS: ReadonlySet<string> = new Set(['rate-limit', 'api-limit']);

/**
 * Whether a batch failure is a rate-limit wait (`backflow_rate_limit_waits_total`): by the
 * failure's reason, not by a Retry-After (a 429 without one was not counted, a 503 with one was).
 */
export function isRateLimitWait(failure: DestinationTransientError | RangeInterruption | unknown): boolean {
  if (failure instanceof DestinationTransientError) return RATE_LIMIT_REASONS.has(failure.reason);
  const reason = (failure as Partial<RangeInterruption> | null | undefined)?.reason;
  return typeof reason === 'string' && RATE_LIMIT_REASONS.has(reason);
}
