/** The HubSpot sandbox's rolling 10-second window, daily allowance and search limit, on a stepped clock. */
import { parseLimits, RateLimiter } from '../../src/sandbox/hubspot/rateLimits';

function clock(start = Date.parse('2026-03-01T12:00:00.000Z')) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('RateLimiter', () => {
  it('allows tenSecondlyLimit requests per rolling window, counting from each request', () => {
    const c = clock();
    const limiter = new RateLimiter(c.now, { tenSecondlyLimit: 2, dailyLimit: null });
    expect(limiter.take().ok).toBe(true);
    c.advance(6000);
    expect(limiter.take().ok).toBe(true);
    expect(limiter.take()).toMatchObject({ ok: false, policy: 'TEN_SECONDLY_ROLLING' });
    // 10 s after the first request one slot frees, not both: the window rolls.
    c.advance(4000);
    expect(limiter.take().ok).toBe(true);
    expect(limiter.take().ok).toBe(false);
  });

  it('does not charge refused requests to either budget', () => {
    const c = clock();
    const limiter = new RateLimiter(c.now, { tenSecondlyLimit: 1, dailyLimit: 3 });
    expect(limiter.take().ok).toBe(true);
    for (let i = 0; i < 5; i += 1) expect(limiter.take().ok).toBe(false);
    c.advance(10_000);
    const next = limiter.take();
    expect(next.ok).toBe(true);
    expect(next.headers['X-HubSpot-RateLimit-Daily-Remaining']).toBe('1');
  });

  it('refuses with DAILY once the day is spent and starts over at UTC midnight', () => {
    const c = clock(Date.parse('2026-03-01T23:59:00.000Z'));
    const limiter = new RateLimiter(c.now, { tenSecondlyLimit: null, dailyLimit: 2 });
    limiter.take();
    limiter.take();
    expect(limiter.take()).toMatchObject({ ok: false, policy: 'DAILY', headers: { 'X-HubSpot-RateLimit-Daily-Remaining': '0' } });
    c.advance(60_000);
    expect(limiter.take()).toMatchObject({ ok: true, headers: { 'X-HubSpot-RateLimit-Daily-Remaining': '1' } });
  });

  it('reports the documented headers, omitting a disabled limit', () => {
    const c = clock();
    const limiter = new RateLimiter(c.now, { tenSecondlyLimit: 100, dailyLimit: 250_000 });
    expect(limiter.take().headers).toEqual({
      'X-HubSpot-RateLimit-Daily': '250000',
      'X-HubSpot-RateLimit-Daily-Remaining': '249999',
      'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
      'X-HubSpot-RateLimit-Max': '100',
      'X-HubSpot-RateLimit-Remaining': '99',
      'X-HubSpot-RateLimit-Secondly': '10',
      'X-HubSpot-RateLimit-Secondly-Remaining': '9',
    });
    limiter.set({ tenSecondlyLimit: null, dailyLimit: 5 });
    expect(Object.keys(limiter.peek())).toEqual(['X-HubSpot-RateLimit-Daily', 'X-HubSpot-RateLimit-Daily-Remaining']);
  });

  it('allows five searches per rolling second, outside the 10-second window but on the daily count, without headers', () => {
    const c = clock();
    const limiter = new RateLimiter(c.now, { tenSecondlyLimit: 1, dailyLimit: 7 });
    for (let i = 0; i < 5; i += 1) expect(limiter.takeSearch()).toEqual({ ok: true, headers: {} });
    expect(limiter.takeSearch()).toEqual({ ok: false, policy: 'SECONDLY', headers: {} });
    // The 10-second window is untouched; the day has 6 of 7 used.
    expect(limiter.take()).toMatchObject({ ok: true, headers: { 'X-HubSpot-RateLimit-Remaining': '0', 'X-HubSpot-RateLimit-Daily-Remaining': '1' } });
    c.advance(1000);
    expect(limiter.takeSearch().ok).toBe(true);
    expect(limiter.takeSearch()).toMatchObject({ ok: false, policy: 'DAILY' });
  });

  it('defaults to the Free/Starter limits and validates new ones', () => {
    expect(new RateLimiter(clock().now).current()).toEqual({ tenSecondlyLimit: 100, dailyLimit: 250_000, tenSecondlyWindowMs: 10_000, searchSecondlyLimit: 5 });
    expect(() => parseLimits({ searchSecondlyLimit: 1.5 })).toThrow(/searchSecondlyLimit/);
    expect(() => parseLimits({ tenSecondlyLimit: -1 })).toThrow(/tenSecondlyLimit/);
    expect(() => parseLimits({ tenSecondlyWindowMs: 0 })).toThrow(/tenSecondlyWindowMs/);
    expect(() => parseLimits({ daily: 5 })).toThrow(/invalid limits/);
  });
});
