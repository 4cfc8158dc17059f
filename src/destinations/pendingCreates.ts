/**
 * The keys a batch's create request is about to be sent for, kept in its checkpoint. Insert mode
 * skips a key the destination already has; after a create whose answer was lost (a timeout, a 5xx
 * after the write), the retry's look-up finds the records that request made. Named here, they are
 * this batch's own creations — synced and created, not "already there".
 */
export function pendingCreatesCheckpoint(keys: readonly string[]): string {
  return JSON.stringify({ creating: keys });
}

/** The keys a checkpoint names as sent for creation; none for another (or no) checkpoint. */
export function pendingCreates(checkpoint: string | null): ReadonlySet<string> {
  if (checkpoint === null || !checkpoint.startsWith('{"creating"')) return new Set();
  try {
    const { creating } = JSON.parse(checkpoint) as { creating?: unknown };
    return new Set(Array.isArray(creating) ? creating.filter((key): key is string => typeof key === 'string') : []);
  } catch {
    return new Set();
  }
}
