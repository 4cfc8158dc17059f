/**
 * Graph API throttling per ad account: a fixed window of `maxCallsPerWindow` calls. Every answer
 * carries `x-business-use-case-usage` (usage in percent and, when blocked, the minutes until access
 * returns); calls over the limit get the configured throttling error. Custom audience endpoints count
 * against the `custom_audience` business use case (Marketing API rate limiting), whose error is 80003.
 */
import type { MetaLimits } from './types';

export const DEFAULT_LIMITS: MetaLimits = { maxCallsPerWindow: 1000, windowSeconds: 3600, errorCode: 80003 };

export class CallWindow {
  private limits: MetaLimits;
  private windowStart: number;
  private calls = 0;

  constructor(
    limits: Partial<MetaLimits>,
    private readonly now: () => number,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.windowStart = now();
  }

  current(): MetaLimits {
    return { ...this.limits };
  }

  set(limits: Partial<MetaLimits>): void {
    this.limits = { ...this.limits, ...limits };
    this.restart();
  }

  /** Back to the defaults overlaid with `limits`, in a fresh window. */
  reset(limits: Partial<MetaLimits>): void {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.restart();
  }

  restart(): void {
    this.windowStart = this.now();
    this.calls = 0;
  }

  private roll(): void {
    if (this.now() - this.windowStart >= this.limits.windowSeconds * 1000) this.restart();
  }

  /** Counts one call; false when the window's allowance is used up. */
  take(): boolean {
    this.roll();
    if (this.calls >= this.limits.maxCallsPerWindow) return false;
    this.calls += 1;
    return true;
  }

  /** Whole minutes until the window rolls over (0 when not blocked). */
  minutesToRegain(): number {
    this.roll();
    if (this.calls < this.limits.maxCallsPerWindow) return 0;
    const remainingMs = this.windowStart + this.limits.windowSeconds * 1000 - this.now();
    return Math.max(1, Math.ceil(remainingMs / 60_000));
  }

  /** The `x-business-use-case-usage` header value for an ad account. */
  usageHeader(accountId: string, minutesOverride?: number): string {
    this.roll();
    const percent = Math.min(100, Math.round((this.calls / this.limits.maxCallsPerWindow) * 100));
    const entry = {
      type: 'custom_audience',
      call_count: percent,
      total_cputime: Math.min(percent, 100),
      total_time: Math.min(percent, 100),
      estimated_time_to_regain_access: minutesOverride ?? this.minutesToRegain(),
    };
    return JSON.stringify({ [accountId]: [entry] });
  }
}
