/**
 * In-memory record storage: one insertion-ordered table per sObject, lookup indexes on
 * idLookup/external-id fields, and an undo log so an allOrNone request can be rolled back.
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
  /** Ids removed by delete; Salesforce answers ENTITY_IS_DELETED for those, not "not found". */
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

  all(def: SObjectDef): StoredRecord[] {
    return [...this.table(def).values()];
  }

  count(def: SObjectDef): number {
    return this.table(def).size;
  }

  get(def: SObjectDef, id: string): StoredRecord | undefined {
    return this.table(def).get(id);
  }

  isDeleted(id: string): boolean {
    return this.deleted.has(id);
  }

  /** Ids of records whose `field` matches `value` (indexed fields only; others are scanned). */
  findBy(def: SObjectDef, field: FieldDef, value: FieldValue): string[] {
    if (value === null) return [];
    if (field.name === 'Id') {
      const id = String(value);
      return this.table(def).has(id) ? [id] : [];
    }
    const key = lookupKey(field, value);
    const index = this.indexes.get(def.name)?.get(field.name);
    if (index !== undefined) return [...(index.get(key) ?? [])];
    const ids: string[] = [];
    for (const [id, record] of this.table(def)) {
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

  remove(def: SObjectDef, id: string): void {
    const table = this.table(def);
    const before = table.get(id);
    if (before === undefined) return;
    // Map order is insertion order; remember the neighbour-free position by rebuilding on undo.
    const order = this.undoLog === null ? [] : [...table.keys()];
    this.indexRemove(def, id, before);
    table.delete(id);
    this.deleted.set(id, def.name);
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
