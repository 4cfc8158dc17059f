/**
 * In-memory CRM records per object type, with the unique-value indexes HubSpot keeps for `email`
 * and `hasUniqueValue` properties (what batch upsert / read / update by `idProperty` look up), and
 * the archived records HubSpot keeps (restorable for 90 days), seen only by reads with `archived=true`.
 */

import type { ObjectTypeDef } from './schema';
import type { HubspotRecord } from './types';

interface TypeStore {
  byId: Map<string, HubspotRecord>;
  /** Archived records by id, in archiving order. */
  archived: Map<string, HubspotRecord>;
  /** property → value key → record id */
  unique: Map<string, Map<string, string>>;
}

/** Values are matched the way HubSpot matches them: email addresses case-insensitively. */
export function uniqueKey(property: string, value: string): string {
  return property === 'email' ? value.toLowerCase() : value;
}

export class RecordStore {
  private readonly types = new Map<string, TypeStore>();
  private nextId: number;

  constructor(private readonly firstId = 10001) {
    this.nextId = firstId;
  }

  private of(def: ObjectTypeDef): TypeStore {
    let store = this.types.get(def.objectTypeId);
    if (store === undefined) {
      store = { byId: new Map(), archived: new Map(), unique: new Map([...def.idProperties].map((p) => [p, new Map()])) };
      this.types.set(def.objectTypeId, store);
    }
    // A unique property created since (POST /crm/v3/properties): no record holds a value of it yet.
    for (const property of def.idProperties) if (!store.unique.has(property)) store.unique.set(property, new Map());
    return store;
  }

  /** HubSpot record ids are numeric strings, unique across the account. */
  allocateId(): string {
    const id = String(this.nextId);
    this.nextId += 1;
    return id;
  }

  get(def: ObjectTypeDef, id: string): HubspotRecord | undefined {
    return this.of(def).byId.get(id);
  }

  /**
   * The record whose unique property `property` holds `value`; with `archived`, the archived one
   * (archived records hold no unique value, so the most recently archived holder of it).
   */
  findBy(def: ObjectTypeDef, property: string, value: string, archived = false): HubspotRecord | undefined {
    const store = this.of(def);
    if (archived) {
      if (property === 'hs_object_id') return store.archived.get(value);
      const key = uniqueKey(property, value);
      const holders = [...store.archived.values()].filter((r) => {
        const held = r.properties[property];
        return held !== undefined && held !== null && uniqueKey(property, held) === key;
      });
      return holders[holders.length - 1];
    }
    if (property === 'hs_object_id') return this.get(def, value);
    const id = store.unique.get(property)?.get(uniqueKey(property, value));
    return id === undefined ? undefined : store.byId.get(id);
  }

  /** The id of another record already holding one of `values`' unique values, if any. */
  conflict(def: ObjectTypeDef, values: Record<string, string>, selfId: string | undefined): { property: string; id: string } | undefined {
    const store = this.of(def);
    for (const [property, index] of store.unique) {
      const value = values[property];
      if (value === undefined || value === '') continue;
      const id = index.get(uniqueKey(property, value));
      if (id !== undefined && id !== selfId) return { property, id };
    }
    return undefined;
  }

  /** Inserts or replaces a record, keeping the unique indexes in step. */
  put(def: ObjectTypeDef, record: HubspotRecord): void {
    const store = this.of(def);
    const previous = store.byId.get(record.id);
    for (const [property, index] of store.unique) {
      const before = previous?.properties[property];
      if (before !== undefined && before !== null && before !== '') index.delete(uniqueKey(property, before));
      const after = record.properties[property];
      if (after !== undefined && after !== null && after !== '') index.set(uniqueKey(property, after), record.id);
    }
    store.byId.set(record.id, record);
  }

  /**
   * Moves a live record to the archived ones at `at`; archived records no longer hold their unique
   * values. Archiving leaves updatedAt as it was, as HubSpot does.
   */
  archive(def: ObjectTypeDef, id: string, at: string): boolean {
    const store = this.of(def);
    const record = store.byId.get(id);
    if (record === undefined) return false;
    for (const [property, index] of store.unique) {
      const value = record.properties[property];
      if (value !== undefined && value !== null && value !== '') index.delete(uniqueKey(property, value));
    }
    store.byId.delete(id);
    store.archived.set(id, { ...record, archived: true, archivedAt: at });
    return true;
  }

  /** Live records, or with `archived` the archived ones, in creation order (ids ascend). */
  all(def: ObjectTypeDef, archived = false): HubspotRecord[] {
    const store = this.of(def);
    return [...(archived ? store.archived : store.byId).values()].sort((a, b) => Number(a.id) - Number(b.id));
  }

  reset(): void {
    this.types.clear();
    this.nextId = this.firstId;
  }
}
