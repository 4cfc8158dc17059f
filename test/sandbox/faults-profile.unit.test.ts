import { parseFaultProfile, pickFault } from '../../src/sandbox/faults/profile';
import { TokenBucket } from '../../src/sandbox/faults/limiter';

describe('pickFault', () => {
  it('picks nothing from an empty profile, without drawing a random number', () => {
    const random = jest.fn(() => 0);
    expect(pickFault({}, random)).toBeUndefined();
    expect(random).not.toHaveBeenCalled();
  });

  it('lays shares out in a fixed order on [0, 1)', () => {
    // Binary-exact shares so the boundaries are exact too.
    const profile = { rateLimited: 0.125, serverError: 0.25, connectionReset: 0.375 };
    expect(pickFault(profile, () => 0)).toBe('rateLimited');
    expect(pickFault(profile, () => 0.124)).toBe('rateLimited');
    expect(pickFault(profile, () => 0.125)).toBe('serverError');
    expect(pickFault(profile, () => 0.374)).toBe('serverError');
    expect(pickFault(profile, () => 0.375)).toBe('connectionReset');
    expect(pickFault(profile, () => 0.749)).toBe('connectionReset');
    expect(pickFault(profile, () => 0.75)).toBeUndefined();
  });

  it('always fires a share of 1', () => {
    for (const roll of [0, 0.5, 0.999999]) expect(pickFault({ applyThenFail: 1 }, () => roll)).toBe('applyThenFail');
  });

  it('matches the configured shares over many draws', () => {
    let seed = 42;
    // Deterministic LCG so the counts are stable.
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i += 1) {
      const kind = pickFault({ timeout: 0.25, tokenExpired: 0.05 }, random) ?? 'none';
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    expect(counts.get('timeout')).toBeGreaterThan(2300);
    expect(counts.get('timeout')).toBeLessThan(2700);
    expect(counts.get('tokenExpired')).toBeGreaterThan(380);
    expect(counts.get('tokenExpired')).toBeLessThan(620);
  });
});

describe('parseFaultProfile', () => {
  it('accepts shares and a Retry-After', () => {
    expect(parseFaultProfile({ unavailable: 0.5, retryAfterSeconds: 3 })).toEqual({ unavailable: 0.5, retryAfterSeconds: 3 });
  });

  it('rejects unknown keys, shares outside [0, 1] and totals above 1', () => {
    expect(() => parseFaultProfile({ rateLimit: 0.5 })).toThrow(/invalid fault profile/);
    expect(() => parseFaultProfile({ serverError: 1.5 })).toThrow(/serverError/);
    expect(() => parseFaultProfile({ serverError: 0.6, timeout: 0.6 })).toThrow(/at most 1/);
    expect(() => parseFaultProfile('all')).toThrow(/invalid fault profile/);
  });
});

describe('TokenBucket', () => {
  it('allows a burst of `capacity`, then refills at the rate and reports the wait in whole seconds', () => {
    let now = 1_000_000;
    const bucket = new TokenBucket(3, 1, () => now);
    expect([bucket.take(), bucket.take(), bucket.take()].every((r) => r.ok)).toBe(true);
    expect(bucket.take()).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 1000;
    expect(bucket.take().ok).toBe(true);
    expect(bucket.take().ok).toBe(false);
  });

  it('rounds a slow refill up to the next whole second', () => {
    let now = 0;
    const bucket = new TokenBucket(1, 1 / 60, () => now);
    expect(bucket.take().ok).toBe(true);
    expect(bucket.take()).toEqual({ ok: false, retryAfterSeconds: 60 });
    now += 30_000;
    expect(bucket.take()).toEqual({ ok: false, retryAfterSeconds: 30 });
  });
});
