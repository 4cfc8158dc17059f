import { setTimeout as delay } from 'node:timers/promises';
import type { DestinationLimits } from '../destinations/destination';
import { DestinationTransientError } from '../errors';
import { acquireToken, chargeTokens, slowDown, speedUp, type BucketSpec } from '../state/pacing';
import type { StateDb } from '../state/database';

const BURST = 1;

/** The reason destinations give a DestinationTransientError for a rate-limit answer (429 and kin). */
export const RATE_LIMITED = 'rate-limit';

/**
 * Paces one destination connection's requests across every worker to `requestsPerSecond`, adapting
 * (AIMD): a rate-limit answer halves the rate, each clean answer adds back a twentieth, so a budget
 * shared with other apps is found rather than guessed.
 */
export interface Pacer {
  /** Waits for a request's turn. */
  acquire(): Promise<void>;
  /** Reports how a write went: extra requests it made, or the rate-limit error it got. */
  settle(outcome: { apiCalls: number } | { error: unknown }): Promise<void>;
}

export interface PacerOptions {
  state: StateDb;
  /** The destination connection's name: one bucket per connection. */
  connection: string;
  limits: DestinationLimits;
  /** A clock for the bucket (tests); default: the state store's, one clock for every host of the fleet. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A pacer when the limits name a request rate; null when the destination takes what it gets. */
export function pacerFor(options: PacerOptions): Pacer | null {
  const rate = options.limits.requestsPerSecond;
  if (rate === undefined) return null;
  const sleep = options.sleep ?? delay;
  // A burst of one: a budget counted over a rolling window is never overrun at the window's edge
  // (measured: a burst of two let one request in 200 through as a 429 on the HubSpot sandbox).
  const spec: BucketSpec = { bucket: `destination:${options.connection}`, maxRate: rate, burst: BURST };
  return {
    acquire: () => acquireToken(options.state, spec, options.now, sleep),
    async settle(outcome) {
      if ('error' in outcome) {
        if (outcome.error instanceof DestinationTransientError && outcome.error.reason === RATE_LIMITED) {
          await slowDown(options.state, spec);
        }
        return;
      }
      await chargeTokens(options.state, spec.bucket, outcome.apiCalls - 1);
      await speedUp(options.state, spec);
    },
  };
}
