import { HubspotDailyBudget } from '../../src/destinations/hubspotDaily';
import { DestinationBudgetExhausted } from '../../src/errors';
import { rejectionOf } from '../support/rejection';

const counted = (used: number) => ({ 'x-hubspot-ratelimit-daily': '1000', 'x-hubspot-ratelimit-daily-remaining': String(1000 - used) });

describe('HubspotDailyBudget', () => {
  it('counts requests still on their way against limits.daily', async () => {
    const budget = new HubspotDailyBudget('app-in-flight', 3);
    budget.afterResponse(counted(1));
    const first = await budget.reserve();
    await budget.reserve();
    const refused = await rejectionOf<DestinationBudgetExhausted>(budget.reserve());
    expect(refused).toBeInstanceOf(DestinationBudgetExhausted);
    expect(refused.message).toBe("HubSpot API usage is 1 requests today and 2 more on their way (the app's allowance is 1000); backflow stops at 3 (limits.daily) to leave the rest to other integrations");
    // Answered without headers (a network failure): its place is free again.
    first();
    await expect(budget.reserve()).resolves.toBeInstanceOf(Function);
  });

  it('sends one request at a time until an answer tells the count', async () => {
    let now = 0;
    const budget = new HubspotDailyBudget('app-no-count', 3, () => now);
    const probe = await budget.reserve();
    let second = false;
    const waiting = budget.reserve().then((release) => ((second = true), release));
    await new Promise((resolve) => setImmediate(resolve));
    expect(second).toBe(false);
    budget.afterResponse(counted(2));
    probe();
    const releaseSecond = await waiting;
    expect(second).toBe(true);
    // The count has reached the limit with this one on its way.
    await expect(budget.reserve()).rejects.toBeInstanceOf(DestinationBudgetExhausted);
    // Five minutes on, the count may be from before HubSpot's midnight reset: not trusted to refuse,
    // and again one request at a time until an answer brings a new one.
    now += 5 * 60_000 + 1;
    let third = false;
    const afterReset = budget.reserve().then(() => (third = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(third).toBe(false);
    releaseSecond();
    await afterReset;
    expect(third).toBe(true);
  });

  it('takes no count without limits.daily', async () => {
    const budget = new HubspotDailyBudget('app-unlimited', undefined);
    budget.afterResponse(counted(999));
    await expect(Promise.all([budget.reserve(), budget.reserve()])).resolves.toHaveLength(2);
  });
});
