/**
 * In-memory record storage: one insertion-ordered table per sObject, lookup indexes on
 * idLookup/external-id fields, and an undo log so an allOrNone request can be rolled back.
 * A delete is soft, as in Salesforce: the record stays (IsDeleted = true, in the recycle bin) for
 * queryAll only; every other read and every match (upsert, unique check, lookup) skips it.
 */

import { isTextual, type FieldDef, type OrgSchema, type SObjectDef } from './schema';

export type FieldValue = string | number | boolean | null;
export type StoredRecord = Record<string, FieldValue>;

/** External-id style matching: text keys are case-insensitive, as in Salesforce upserts. */
export function lookupKey(field: FieldDef, value: FieldValue): string {
  if (value === null) return '';
  if (isTextual(field.type) && field.caseSensitive !== true) return String(value).toLowerCase();
  return String(value);
}

export class RecordStore {
  private readonly tables = new Map<string, Map<string, StoredRecord>>();
  /** sObject → field → lookup key → record ids. */
  private readonly indexes = new Map<string, Map<string, Map<string, Set<string>>>>();
  /** Ids removed by delete (soft or hard); Salesforce answers ENTITY_IS_DELETED for those, not "not found". */
  private readonly deleted = new Map<string, string>();
  private undoLog: Array<() => void> | null = null;

  constructor(private readonly schema: OrgSchema) {
    this.reset();
  }

  reset(): void {
    this.tables.clear();
    this.indexes.clear();
    this.deleted.clear();
    this.undoLog = null;
    for (const def of this.schema.sobjects) {
      this.tables.set(def.name, new Map());
      const fieldIndexes = new Map<string, Map<string, Set<string>>>();
      for (const field of def.fields) {
        if (field.idLookup === true || field.externalId === true || field.unique === true) {
          if (field.name !== 'Id') fieldIndexes.set(field.name, new Map());
        }
      }
      this.indexes.set(def.name, fieldIndexes);
    }
  }

  private table(def: SObjectDef): Map<string, StoredRecord> {
    const table = this.tables.get(def.name);
    if (table === undefined) throw new Error(`no table for ${def.name}`);
    return table;
  }

  /** Live records, in insertion order (what the Query resource sees). */
  all(def: SObjectDef): StoredRecord[] {
    return [...this.table(def)].flatMap(([id, record]) => (this.deleted.has(id) ? [] : [record]));
  }

  /** Live and soft-deleted records, in insertion order (what the QueryAll resource sees). */
  allWithDeleted(def: SObjectDef): StoredRecord[] {
    return [...this.table(def).values()];
  }

  count(def: SObjectDef): number {
    return this.all(def).length;
  }

  /** A live record; deleted ones are gone for every resource but QueryAll. */
  get(def: SObjectDef, id: string): StoredRecord | undefined {
    return this.deleted.has(id) ? undefined : this.table(def).get(id);
  }

  isDeleted(id: string): boolean {
    return this.deleted.has(id);
  }

  /** Ids of records whose `field` matches `value` (indexed fields only; others are scanned). */
  findBy(def: SObjectDef, field: FieldDef, value: FieldValue): string[] {
    if (value === null) return [];
    if (field.name === 'Id') {
      const id = String(value);
      return this.get(def, id) !== undefined ? [id] : [];
    }
    const key = lookupKey(field, value);
    // Indexes hold live records only: a deleted record no longer claims its external id.
    const index = this.indexes.get(def.name)?.get(field.name);
    if (index !== undefined) return [...(index.get(key) ?? [])];
    const ids: string[] = [];
    for (const [id, record] of this.table(def)) {
      if (this.deleted.has(id)) continue;
      const current = record[field.name];
      if (current !== undefined && current !== null && lookupKey(field, current) === key) ids.push(id);
    }
    return ids;
  }

  /** Each lookup index of the record's object with the record's key in it (null values are not indexed). */
  private *indexEntries(def: SObjectDef, record: StoredRecord): Generator<[Map<string, Set<string>>, string]> {
    for (const [fieldName, index] of this.indexes.get(def.name) ?? []) {
      const value = record[fieldName];
      const field = this.schema.field(def, fieldName);
      if (value === undefined || value === null || field === undefined) continue;
      yield [index, lookupKey(field, value)];
    }
  }

  private indexAdd(def: SObjectDef, id: string, record: StoredRecord): void {
    for (const [index, key] of this.indexEntries(def, record)) {
      const ids = index.get(key) ?? new Set<string>();
      index.set(key, ids.add(id));
    }
  }

  private indexRemove(def: SObjectDef, id: string, record: StoredRecord): void {
    for (const [index, key] of this.indexEntries(def, record)) {
      const ids = index.get(key);
      ids?.delete(id);
      if (ids !== undefined && ids.size === 0) index.delete(key);
    }
  }


  insert(def: SObjectDef, record: StoredRecord): void {
    const id = record['Id'];
    if (typeof id !== 'string') throw new Error('record without Id');
    const table = this.table(def);
    table.set(id, record);
    this.indexAdd(def, id, record);
    this.undoLog?.push(() => {
      this.indexRemove(def, id, record);
      table.delete(id);
    });
  }

  update(def: SObjectDef, id: string, changes: StoredRecord): void {
    const table = this.table(def);
    const before = table.get(id);
    if (before === undefined) throw new Error(`update of missing ${def.name} ${id}`);
    // Replace rather than mutate so undo and copies handed out earlier stay intact.
    const after: StoredRecord = { ...before, ...changes };
    this.indexRemove(def, id, before);
    table.set(id, after);
    this.indexAdd(def, id, after);
    this.undoLog?.push(() => {
      this.indexRemove(def, id, after);
      table.set(id, before);
      this.indexAdd(def, id, before);
    });
  }

  /**
   * Deletes a live record. Soft (the default, like the REST and SOAP delete): it stays in the
   * recycle bin with IsDeleted = true and `changes` (the stamps) applied, visible to QueryAll only.
   * Hard (Bulk API 2.0 `hardDelete`): it bypasses the recycle bin and is gone from QueryAll too
   * (Salesforce may still list purged records there for "typically 24 hours"; the sandbox does not).
   */
  remove(def: SObjectDef, id: string, changes: StoredRecord = {}, hard = false): void {
    const table = this.table(def);
    const before = this.get(def, id);
    if (before === undefined) return;
    this.indexRemove(def, id, before);
    this.deleted.set(id, def.name);
    if (!hard) {
      // Map.set on an existing key keeps its place: queryAll still lists the record where it was.
      table.set(id, { ...before, ...changes, IsDeleted: true });
      this.undoLog?.push(() => {
        this.deleted.delete(id);
        table.set(id, before);
        this.indexAdd(def, id, before);
      });
      return;
    }
    // Map order is insertion order; remember the neighbour-free position by rebuilding on undo.
    const order = this.undoLog === null ? [] : [...table.keys()];
    table.delete(id);
    this.undoLog?.push(() => {
      this.deleted.delete(id);
      const entries = order.map((key): [string, StoredRecord] => [key, key === id ? before : (table.get(key) ?? before)]);
      table.clear();
      for (const [key, value] of entries) table.set(key, value);
      this.indexAdd(def, id, before);
    });
  }

  /** Starts recording undo steps; pair with commit() or rollback(). */
  begin(): void {
    this.undoLog = [];
  }

  commit(): void {
    this.undoLog = null;
  }

  rollback(): void {
    const log = this.undoLog ?? [];
    this.undoLog = null;
    for (let i = log.length - 1; i >= 0; i -= 1) log[i]?.();
  }
}
