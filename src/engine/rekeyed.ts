import type { SyncDestination } from '../config/schema';
import type { StateDb } from '../state/database';

/**
 * The field a destination finds a sync's records by: its `externalIdField`, or Salesforce's
 * `matchOn.field`. Undefined for destinations that key records otherwise (Slack, Meta, webhooks).
 */
export function keyFieldOf(destination: SyncDestination): string | undefined {
  const external = destination['externalIdField'];
  if (typeof external === 'string') return external;
  const matchOn = destination['matchOn'];
  const field = typeof matchOn === 'object' && matchOn !== null ? (matchOn as Record<string, unknown>)['field'] : undefined;
  return typeof field === 'string' ? field : undefined;
}

/**
 * Whether a destination id committed while the sync wrote `then` names a record that `now` must
 * write by that id rather than find by its external id field: the same connection and object, a
 * different key field. The records written before hold their keys in the old field and nothing (or
 * anything) in the new one, so an upsert by the new field would create a second record for each.
 * Field and object names compare ignoring case, as Salesforce and HubSpot take them.
 */
export function keyFieldChanged(now: SyncDestination, then: SyncDestination): boolean {
  const nowField = now['externalIdField'];
  const thenField = keyFieldOf(then);
  if (typeof nowField !== 'string' || thenField === undefined) return false;
  if (now.connection !== then.connection) return false;
  if (String(now['object']).toLowerCase() !== String(then['object']).toLowerCase()) return false;
  return nowField.toLowerCase() !== thenField.toLowerCase();
}

/**
 * The object a destination id committed while the sync wrote `then` was written for, when `now` writes
 * another object of the same connection (compared ignoring case); undefined when it is the same one.
 */
export function objectChangedFrom(now: SyncDestination, then: SyncDestination): string | undefined {
  const nowObject = now['object'];
  const thenObject = then['object'];
  if (typeof nowObject !== 'string' || typeof thenObject !== 'string') return undefined;
  if (now.connection !== then.connection) return undefined;
  return nowObject.toLowerCase() === thenObject.toLowerCase() ? undefined : thenObject;
}

/** A staged record with the run that committed its destination id, if any. */
export interface WrittenRecord {
  key: string;
  destinationId: string | null;
  /** The run whose commit holds the record's snapshot (and so its destination id). */
  writtenBy: string | null;
}

/**
 * Tells which records of a batch were written under another key field (keyFieldChanged) or for another
 * object (objectChangedFrom), by the stored spec of the run that committed each one's destination id.
 * Specs are read once per run and kept for the batches after; runs are never deleted, so every writer
 * is found.
 */
export class RekeyedRecords {
  private readonly writers = new Map<string, SyncDestination | null>();

  constructor(private readonly state: StateDb) {}

  async of(now: SyncDestination, records: readonly WrittenRecord[]): Promise<ReadonlySet<string>> {
    if (keyFieldOf(now) === undefined) return new Set();
    const rekeyed = new Set<string>();
    for (const { record, then } of await this.writtenBy(records)) {
      if (keyFieldChanged(now, then)) rekeyed.add(record.key);
    }
    return rekeyed;
  }

  /** The object each record's destination id was written for, for the records written for another object than `now`'s. */
  async idObjects(now: SyncDestination, records: readonly WrittenRecord[]): Promise<ReadonlyMap<string, string>> {
    if (typeof now['object'] !== 'string') return new Map();
    const objects = new Map<string, string>();
    for (const { record, then } of await this.writtenBy(records)) {
      const object = objectChangedFrom(now, then);
      if (object !== undefined) objects.set(record.key, object);
    }
    return objects;
  }

  /** The records holding a destination id, each with the destination block of the run that wrote it. */
  private async writtenBy(records: readonly WrittenRecord[]): Promise<Array<{ record: WrittenRecord; then: SyncDestination }>> {
    const withIds = records.filter((record) => record.destinationId !== null && record.writtenBy !== null);
    const unread = [...new Set(withIds.map((record) => record.writtenBy as string))].filter((runId) => !this.writers.has(runId));
    if (unread.length > 0) {
      const rows = await this.state.selectFrom('runs').select(['run_id', 'spec_json']).where('run_id', 'in', unread).execute();
      for (const runId of unread) this.writers.set(runId, null);
      for (const row of rows) this.writers.set(row.run_id, (JSON.parse(row.spec_json) as { destination: SyncDestination }).destination);
    }
    return withIds.flatMap((record) => {
      const then = this.writers.get(record.writtenBy as string);
      return then ? [{ record, then }] : [];
    });
  }
}
