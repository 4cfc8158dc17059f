/**
 * Sync modes as data: which write verb each kind of change takes. Every destination implements the
 * verbs; this one table applies the modes for all of them.
 */
export const WRITE_OPERATIONS = ['upsert', 'update', 'insert', 'delete'] as const;
export type WriteOperation = (typeof WRITE_OPERATIONS)[number];

export const SYNC_MODES = ['upsert', 'update', 'insert', 'mirror'] as const;
export type SyncMode = (typeof SYNC_MODES)[number];

/** A change of the diff that a mode can act on. */
export type ActionableChange = 'added' | 'changed' | 'removed';

/** null: the change is not sent in this mode. */
export type ModePlan = Readonly<Record<ActionableChange, WriteOperation | null>>;

export const MODE_PLANS: Readonly<Record<SyncMode, ModePlan>> = {
  /** Create or update; rows leaving the model are left alone. */
  upsert: { added: 'upsert', changed: 'upsert', removed: null },
  /** Only records that already exist in the destination; new keys are skipped with a reason. */
  update: { added: 'update', changed: 'update', removed: null },
  /** Only new records; a changed row is never written back over. */
  insert: { added: 'insert', changed: null, removed: null },
  /** Upsert, plus delete what backflow synced whose key left the model. */
  mirror: { added: 'upsert', changed: 'upsert', removed: 'delete' },
};

/** The verbs a mode needs from its destination. */
export function operationsOf(mode: SyncMode): WriteOperation[] {
  return [...new Set(Object.values(MODE_PLANS[mode]).filter((op): op is WriteOperation => op !== null))];
}

/**
 * Whether a record the destination skipped counts as handled: insert mode skips records that exist
 * already and never will touch them, so their fingerprint is committed; an update-mode skip (no such
 * record yet) stays uncommitted and is looked for again next run.
 */
export function commitsSkipped(operation: WriteOperation): boolean {
  return operation === 'insert';
}
