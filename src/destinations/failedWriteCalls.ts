/**
 * The requests a write made before it failed as a whole (a 429, a 5xx, a timeout on its third
 * request). Each was a call of the destination's API budget, so the run counts them, though the
 * batch goes again. Kept beside the error, which may be any Error (a client library's own), not in it.
 */
const spentBy = new WeakMap<object, number>();

/** `error`, noted as thrown after `apiCalls` requests of the write that throws it. */
export function withApiCalls<E>(error: E, apiCalls: number): E {
  if (typeof error === 'object' && error !== null) spentBy.set(error, apiCalls);
  return error;
}

/** The requests the failed write made, as noted by withApiCalls (0 when none was noted). */
export function apiCallsOf(error: unknown): number {
  return typeof error === 'object' && error !== null ? (spentBy.get(error) ?? 0) : 0;
}
