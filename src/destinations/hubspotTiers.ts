/**
 * HubSpot's request limits per private app, by the account's subscription tier (HubSpot's API usage
 * guidelines and developer changelog): a rolling 10-second burst limit and a daily allowance.
 * A connection names its tier; `limits` overrides either figure (e.g. to leave room for other apps).
 */
export const HUBSPOT_TIERS = ['free', 'starter', 'professional', 'enterprise', 'api-limit-increase'] as const;
export type HubspotTier = (typeof HUBSPOT_TIERS)[number];

export interface HubspotBudget {
  /** Requests per rolling 10-second window. */
  requestsPer10s: number;
  /** Requests per day. */
  daily: number;
}

export const HUBSPOT_TIER_BUDGETS: Readonly<Record<HubspotTier, HubspotBudget>> = {
  free: { requestsPer10s: 100, daily: 250_000 },
  starter: { requestsPer10s: 100, daily: 250_000 },
  professional: { requestsPer10s: 190, daily: 650_000 },
  enterprise: { requestsPer10s: 190, daily: 1_000_000 },
  // The API Limit Increase pack: 250 per 10 s, a million a day on top of the standard allowance.
  'api-limit-increase': { requestsPer10s: 250, daily: 1_250_000 },
};

/** HubSpot's burst window. */
export const HUBSPOT_WINDOW_MS = 10_000;

export function budgetOf(tier: HubspotTier, overrides: { requestsPer10s?: number | undefined; daily?: number | undefined } = {}): HubspotBudget {
  const base = HUBSPOT_TIER_BUDGETS[tier];
  return { requestsPer10s: overrides.requestsPer10s ?? base.requestsPer10s, daily: overrides.daily ?? base.daily };
}
