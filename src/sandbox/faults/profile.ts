/**
 * The fault profile every destination emulator (Slack, Meta, webhook) accepts: what share of
 * API requests fails, and how. Pure data + validation; the emulators render each kind in their
 * vendor's own shape (status, headers, body).
 */
import { z } from 'zod';

/** Kinds in the fixed order their shares are laid out on [0, 1), so a given random value always picks the same kind. */
export const FAULT_KINDS = [
  'rateLimited',
  'serverError',
  'unavailable',
  'timeout',
  'connectionReset',
  'tokenExpired',
  'applyThenFail',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

const share = z.number().min(0).max(1);

export const faultProfileSchema = z
  .object({
    /** Answered as the vendor's rate-limit error (429 or its equivalent, with its headers). */
    rateLimited: share.optional(),
    /** HTTP 500. */
    serverError: share.optional(),
    /** HTTP 503. */
    unavailable: share.optional(),
    /** Never answered: the connection is held open until the client gives up (or the sandbox closes). */
    timeout: share.optional(),
    /** The socket is destroyed without an answer (ECONNRESET / "socket hang up" on the client). */
    connectionReset: share.optional(),
    /** The vendor's expired / invalid token error. */
    tokenExpired: share.optional(),
    /** A write is applied to the store, then answered 500: the client cannot tell it landed. */
    applyThenFail: share.optional(),
    /** Retry-After (seconds) sent with an injected rate-limit fault; default 1. */
    retryAfterSeconds: z.number().int().min(0).optional(),
  })
  .strict()
  .refine((p) => FAULT_KINDS.reduce((sum, kind) => sum + (p[kind] ?? 0), 0) <= 1 + 1e-9, {
    message: 'fault shares must add up to at most 1',
  });

export type FaultProfile = z.infer<typeof faultProfileSchema>;

/** Validates a profile from an admin request or `setFaults`; unknown keys are rejected so typos surface. */
export function parseFaultProfile(value: unknown): FaultProfile {
  const parsed = faultProfileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue !== undefined && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new Error(`invalid fault profile: ${where}${issue?.message ?? 'unknown problem'}`);
  }
  return parsed.data;
}

/**
 * Picks the fault (if any) for one request: `random()` in [0, 1) falls into one kind's share, laid
 * out in FAULT_KINDS order, or past them all (no fault). A share of 1 therefore always fires.
 */
export function pickFault(profile: FaultProfile, random: () => number): FaultKind | undefined {
  const total = FAULT_KINDS.reduce((sum, kind) => sum + (profile[kind] ?? 0), 0);
  if (total <= 0) return undefined;
  const roll = random();
  let upTo = 0;
  for (const kind of FAULT_KINDS) {
    const s = profile[kind] ?? 0;
    if (s <= 0) continue;
    upTo += s;
    if (roll < upTo) return kind;
  }
  return undefined;
}
