import { pacerFor, RollingWindowPacer, safetyMarginMs, type PacerClock } from '../../src/destinations/hubspotPacing';

/** A clock that only moves when told; sleepers wake in time order as it passes their deadline. */
class StepClock implements PacerClock {
  at = 0;
  private sleepers: Array<{ until: number; wake: () => void }> = [];
  now(): number {
    return this.at;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.sleepers.push({ until: this.at + ms, wake: resolve }));
  }
  /** Moves to `to`, waking every sleeper due on the way (and letting woken code run). */
  async advanceTo(to: number): Promise<void> {
    for (;;) {
      await flush();
      const next = this.sleepers.filter((s) => s.until <= to).sort((a, b) => a.until - b.until)[0];
      if (!next) break;
      this.at = Math.max(this.at, next.until);
      this.sleepers = this.sleepers.filter((s) => s !== next);
      next.wake();
    }
    this.at = to;
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

/** Starts `n` acquisitions; records when each got its slot. */
function acquireMany(pacer: RollingWindowPacer, clock: StepClock, n: number) {
  const grantedAt: number[] = [];
  const tickets = Array.from({ length: n }, () =>
    pacer.acquire().then((ticket) => {
      grantedAt.push(clock.now());
      return ticket;
    }),
  );
  return { grantedAt, tickets };
}

const MARGIN = safetyMarginMs(10_000);

describe('the worker-wide pacer of a HubSpot app', () => {
  it('is one for a base path written with or without its trailing slash (two would each let a window through)', () => {
    const budget = { max: 100, windowMs: 10_000 };
    expect(pacerFor('https://api.hubapi.com/', 'pat-na1-one', budget)).toBe(pacerFor('https://api.hubapi.com', 'pat-na1-one', budget));
    expect(pacerFor('https://api.hubapi.com', 'pat-na1-two', budget)).not.toBe(pacerFor('https://api.hubapi.com', 'pat-na1-one', budget));
  });
});

describe('RollingWindowPacer', () => {
  it('lets `max` requests through at once, then frees each slot one window after its answer', async () => {
    const clock = new StepClock();
    const pacer = new RollingWindowPacer({ max: 3, windowMs: 10_000 }, clock);
    const { grantedAt, tickets } = acquireMany(pacer, clock, 5);
    await clock.advanceTo(0);
    expect(grantedAt).toEqual([0, 0, 0]);
    // Answers come back at 100, 200, 300 ms: the slots free at answer + window (+ margin).
    for (const [i, ticket] of tickets.slice(0, 3).entries()) {
      await clock.advanceTo(100 * (i + 1));
      (await ticket).done();
    }
    await clock.advanceTo(10_000 + 100 + MARGIN - 1);
    expect(grantedAt).toHaveLength(3);
    await clock.advanceTo(10_000 + 100 + MARGIN);
    expect(grantedAt).toEqual([0, 0, 0, 10_100 + MARGIN]);
    await clock.advanceTo(10_000 + 200 + MARGIN);
    expect(grantedAt).toEqual([0, 0, 0, 10_100 + MARGIN, 10_200 + MARGIN]);
  });

  it('never exceeds the budget in any window, and keeps up with it over time', async () => {
    const clock = new StepClock();
    const pacer = new RollingWindowPacer({ max: 10, windowMs: 1_000 }, clock);
    const { grantedAt, tickets } = acquireMany(pacer, clock, 100);
    // Every request is answered 20 ms after it was let through.
    for (let t = 0; t <= 12_000; t += 5) {
      await clock.advanceTo(t);
      for (const [i, at] of grantedAt.entries()) {
        if (at + 20 === t) (await tickets[i])?.done();
      }
    }
    expect(grantedAt).toHaveLength(100);
    for (const at of grantedAt) expect(grantedAt.filter((other) => other > at - 1_000 && other <= at).length).toBeLessThanOrEqual(10);
    // 100 requests at 10 per second: done within 10 windows plus the answer times and margins.
    expect(grantedAt[99]).toBeLessThanOrEqual(9 * (1_000 + 20 + safetyMarginMs(1_000)));
  });

  it('takes the budget HubSpot announces when it is below the declared one', async () => {
    const clock = new StepClock();
    const pacer = new RollingWindowPacer({ max: 100, windowMs: 10_000 }, clock);
    const first = await pacer.acquire();
    first.done({ 'x-hubspot-ratelimit-max': '2', 'x-hubspot-ratelimit-interval-milliseconds': '2000', 'x-hubspot-ratelimit-remaining': '1' });
    expect(pacer.budget()).toEqual({ max: 2, windowMs: 2_000 });
    const { grantedAt } = acquireMany(pacer, clock, 2);
    await clock.advanceTo(0);
    expect(grantedAt).toEqual([0]);
    await clock.advanceTo(2_000 + safetyMarginMs(2_000));
    expect(grantedAt).toEqual([0, 2_000 + safetyMarginMs(2_000)]);
  });

  it('counts what other apps spent (Remaining below its own use) as spent now', async () => {
    const clock = new StepClock();
    const pacer = new RollingWindowPacer({ max: 5, windowMs: 10_000 }, clock);
    const ticket = await pacer.acquire();
    // HubSpot counted 4 of 5: this request plus 3 from elsewhere.
    ticket.done({ 'x-hubspot-ratelimit-max': '5', 'x-hubspot-ratelimit-interval-milliseconds': '10000', 'x-hubspot-ratelimit-remaining': '1' });
    const { grantedAt } = acquireMany(pacer, clock, 2);
    await clock.advanceTo(0);
    expect(grantedAt).toEqual([0]);
    await clock.advanceTo(10_000 + MARGIN);
    expect(grantedAt).toHaveLength(2);
  });

  it('does not mistake its own requests, answered out of order, for someone else’s', async () => {
    const clock = new StepClock();
    const pacer = new RollingWindowPacer({ max: 5, windowMs: 10_000 }, clock);
    const a = await pacer.acquire();
    const b = await pacer.acquire();
    // b arrived first and was answered with 4 remaining; a's answer then says 3 remaining.
    b.done({ 'x-hubspot-ratelimit-max': '5', 'x-hubspot-ratelimit-remaining': '4' });
    a.done({ 'x-hubspot-ratelimit-max': '5', 'x-hubspot-ratelimit-remaining': '3' });
    const { grantedAt } = acquireMany(pacer, clock, 3);
    await clock.advanceTo(0);
    expect(grantedAt).toEqual([0, 0, 0]);
  });

  it('holds every sender for the window after a 429', async () => {
    const clock = new StepClock();
    const pacer = new RollingWindowPacer({ max: 100, windowMs: 10_000 }, clock);
    pacer.limited(10_000);
    const { grantedAt } = acquireMany(pacer, clock, 2);
    await clock.advanceTo(9_999);
    expect(grantedAt).toEqual([]);
    await clock.advanceTo(10_000);
    expect(grantedAt).toEqual([10_000, 10_000]);
    expect(pacer.stats).toMatchObject({ sent: 2, limited: 1 });
  });
});
