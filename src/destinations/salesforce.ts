import { setTimeout as delay } from 'node:timers/promises';
import type { Connection } from 'jsforce';
import type { SalesforceConnection } from '../config/schema';
import { BackflowError, DestinationBudgetExhausted } from '../errors';
import type { Value } from '../sources/source';
import type {
  BatchCost,
  Destination,
  DestinationLimits,
  DestinationRecord,
  KeyMatching,
  PlannedRecord,
  RecordError,
  RecordResult,
  TargetCheckInput,
  TargetIssue,
  WriteContext,
  WriteResult,
} from './destination';
import { deletesNothing, nothingToDelete } from './destination';
import { withApiCalls } from './failedWriteCalls';
import type { WriteOperation } from './modes';
import { WRITE_OPERATIONS, operationsOf } from './modes';
import { openSalesforceConnection } from './salesforceAuth';
import { ApiBudget } from './salesforceBudget';
import { BULK_NULL_TEXT, BulkIngest, BulkJobNotStarted } from './salesforceBulk';
import { toDestinationError } from './salesforceErrors';
import { decideRecordRetry, isContention, RECORD_RETRY_FIRST_WAIT_MS } from './salesforceRecordRetry';
import { QUOTED_SOQL_TYPES, WRITABLE_TYPES, coerceRecord, describeFields, describeKeyPrefix, isNumberType, type FieldMap } from './salesforceFields';
import { nestRelationships, parentOf, relationshipKey, relationshipValue, resolveRelationship, splitRelationship, type Relationship } from './salesforceRelationships';
import { withBackflowTransport } from './salesforceTransport';
import { unservedVersionError } from './salesforceVersions';
import { soqlInChunks, soqlInList, soqlNumber, soqlString } from './soql';
import { pendingCreates, pendingCreatesCheckpoint } from './pendingCreates';
import type { SalesforceTarget } from './targets';

/** sObject Collections take at most 200 records a request. */
export const SALESFORCE_COLLECTION_LIMIT = 200;
/** Records per batch once a run goes through Bulk API 2.0 (one ingest job per verb and batch). */
export const SALESFORCE_BULK_BATCH_SIZE = 10_000;

/**
 * What Salesforce answers for an Id whose record is gone (deleted, or merged into another), or that
 * is no record of this object (MALFORMED_ID: committed while the sync targeted another object): a
 * delete of it leaves the org as the sync wants it; an update by it is resolved again by the key field.
 */
const RECORD_GONE = new Set(['ENTITY_IS_DELETED', 'INVALID_CROSS_REFERENCE_KEY', 'NOT_FOUND', 'MALFORMED_ID']);

/** One result of a collections request as Salesforce sends it (errors carry `statusCode`). */
interface CollectionResult {
  id?: string | null;
  success: boolean;
  created?: boolean;
  errors?: Array<{ statusCode?: string; errorCode?: string; message?: string; fields?: string[] }>;
}

interface Ready {
  record: DestinationRecord;
  fields: Record<string, Value>;
}

/** Which request each record of a batch takes, decided before anything is written. */
interface Plan {
  /** Upsert by external id (externalIdField targets). */
  upsert: Ready[];
  create: Ready[];
  update: Array<Ready & { id: string }>;
  delete: Array<{ record: DestinationRecord; id: string }>;
  done: RecordResult[];
}

export interface SalesforceDestinationOptions {
  /** Directory relative paths in the connection (the JWT private key file) are resolved against. */
  baseDir?: string;
  /** The first wait before records that met a lock are sent again (default 1 s; see salesforceRecordRetry.ts). */
  recordRetryFirstWaitMs?: number;
}

/**
 * Salesforce through jsforce: sObject Collections for small batches, Bulk API 2.0 ingest jobs above the
 * bulk threshold; records matched by an external id field (upsert) or by any field through SOQL
 * look-ups (`matchOn`), values coerced per the object's describe, API usage kept under the reserve.
 */
export class SalesforceDestination implements Destination {
  readonly limits: DestinationLimits = { maxBatchSize: SALESFORCE_COLLECTION_LIMIT, concurrency: 1 };
  readonly operations = WRITE_OPERATIONS;

  /**
   * A collections request, or above the collection limit a Bulk API 2.0 job (create, upload, close, at
   * least one poll, then its three results); insert, update and matchOn first look the keys up by SOQL,
   * one query per 200 keys (records whose Id an earlier run committed skip it: this is the first run's cost).
   */
  costOf(operation: WriteOperation, records: number): BatchCost {
    const looksUp = operation === 'insert' || operation === 'update' || (operation === 'upsert' && this.target.matchOn !== undefined);
    const lookUps = looksUp ? Math.ceil(records / SALESFORCE_COLLECTION_LIMIT) : 0;
    return { requests: (records > SALESFORCE_COLLECTION_LIMIT ? 7 : 1) + lookUps };
  }

  /** A mirror delete of a row with no stored Id sends nothing (see prepare): the dry run counts it skipped. */
  sendsNothingFor(operation: WriteOperation, record: PlannedRecord): boolean {
    return deletesNothing(operation, record);
  }
  private readonly connection: Connection;
  private readonly budget: ApiBudget;
  /**
   * The field holding the warehouse key: the external id field, or the matchOn field; as the YAML
   * spells it until write() puts the describe's API name in its place (see resolveKeyField()).
   */
  private keyField: string;
  private readonly bulkThreshold: number;
  private readonly recordRetryFirstWaitMs: number;
  private apiCalls = 0;
  /** The relationships mapped onto, by the key a prepared record carries each under (`Account.External_Id__c`). */
  private readonly relationships = new Map<string, Relationship>();

  /** `config` has its secrets resolved already. */
  constructor(
    private readonly config: SalesforceConnection,
    private readonly target: SalesforceTarget,
    options: SalesforceDestinationOptions = {},
  ) {
    this.connection = withBackflowTransport(openSalesforceConnection(config, options.baseDir ?? process.cwd()), config.timeoutMs);
    this.budget = new ApiBudget(config.instanceUrl, config.maxDailyApiUsage);
    this.keyField = target.externalIdField ?? target.matchOn?.field ?? '';
    this.bulkThreshold = target.bulkThreshold ?? config.bulkThreshold;
    this.recordRetryFirstWaitMs = options.recordRetryFirstWaitMs ?? RECORD_RETRY_FIRST_WAIT_MS;
  }

  /** Above the bulk threshold a run's batches grow to Bulk API size; below, one collections request each. */
  maxBatchSize(_operation: WriteOperation, records: number): number {
    return records > this.bulkThreshold ? SALESFORCE_BULK_BATCH_SIZE : SALESFORCE_COLLECTION_LIMIT;
  }

  /**
   * Describes the object: the key field must suit the matching, and every mapped field must exist, be
   * of a type backflow writes, and take the writes the sync's mode makes (create and/or update).
   */
  async check(sync: TargetCheckInput): Promise<TargetIssue[]> {
    const { object, externalIdField, matchOn } = this.target;
    let fields: FieldMap;
    try {
      fields = await this.fields();
    } catch (err) {
      if (/NOT_FOUND|INVALID_TYPE/.test(err instanceof Error ? err.message : '')) {
        return [{ path: 'destination.object', message: `Salesforce has no object ${object} (or this user cannot see it)` }];
      }
      throw err;
    }
    const verbs = operationsOf(sync.mode);
    const creates = verbs.includes('upsert') || verbs.includes('insert');
    const updates = verbs.includes('upsert') || verbs.includes('update');
    const issues: TargetIssue[] = [];
    if (externalIdField !== undefined && !fields.get(externalIdField.toLowerCase())?.externalId) {
      issues.push({ path: 'destination.externalIdField', message: `${externalIdField} is not an external id field of ${object}` });
    }
    if (matchOn !== undefined) {
      const field = fields.get(matchOn.field.toLowerCase());
      const path = 'destination.matchOn.field';
      if (!field) issues.push({ path, message: `${object} has no field ${matchOn.field}` });
      else if (!field.filterable) issues.push({ path, message: `${object}.${field.name} cannot be filtered on in SOQL, so records cannot be matched by it` });
      else if (!QUOTED_SOQL_TYPES.has(field.type)) {
        issues.push({ path, message: `${object}.${field.name} is a ${field.type} field; matchOn needs a text field (string, email, phone, url, picklist, id…): keys are looked up as text` });
      } else if (creates && !field.createable) issues.push({ path, message: `${object}.${field.name} is not createable, so new records cannot carry the key` });
    }
    // Field names ignore letter case: two spellings of one field would overwrite each other, silently.
    const setBy = new Map<string, string>();
    const keyName = externalIdField ?? matchOn?.field;
    if (keyName !== undefined) setBy.set(keyName.toLowerCase(), externalIdField !== undefined ? 'destination.externalIdField' : 'destination.matchOn.field');
    const parents = new Map<string, FieldMap>();
    for (const mapping of sync.mappings) {
      const parent = parentOf(fields, mapping.to);
      if (parent !== undefined && !parents.has(parent)) parents.set(parent, await this.described(describeFields, parent));
    }
    sync.mappings.forEach((mapping, index) => {
      const path = `mappings[${index}].to`;
      // A relationship (`Account.External_Id__c`) sets its lookup field: that field is checked.
      let name = mapping.to;
      if (splitRelationship(mapping.to) !== undefined) {
        const resolved = resolveRelationship(object, mapping.to, fields, (parent) => parents.get(parent));
        if (!resolved.ok) {
          issues.push({ path, message: resolved.message });
          return;
        }
        name = resolved.relationship.idField;
      }
      const field = fields.get(name.toLowerCase());
      const earlier = setBy.get(name.toLowerCase());
      setBy.set(name.toLowerCase(), path);
      if (field && earlier !== undefined) issues.push({ path, message: `${object}.${field.name} is set by ${earlier} already (Salesforce field names ignore letter case)` });
      else if (!field) issues.push({ path, message: `${object} has no field ${name}` });
      else if (!field.createable && !field.updateable) issues.push({ path, message: `${object}.${field.name} is read-only${field.calculated ? ' (a formula field)' : ''}` });
      else if (creates && !field.createable) issues.push({ path, message: `${object}.${field.name} cannot be set on create (mode ${sync.mode} creates records)` });
      else if (updates && !field.updateable) issues.push({ path, message: `${object}.${field.name} cannot be updated (mode ${sync.mode} updates records)` });
      else if (!WRITABLE_TYPES.has(field.type)) issues.push({ path, message: `${object}.${field.name} is of type ${field.type}, which backflow cannot write` });
    });
    return issues;
  }

  /** Every request: budget first, then the call, then what Sforce-Limit-Info said about usage. */
  private readonly call = async <T>(what: string, request: () => PromiseLike<T>): Promise<T> => {
    this.budget.beforeRequest();
    this.apiCalls += 1;
    try {
      return await request();
    } catch (err) {
      throw toDestinationError(err, what);
    } finally {
      this.budget.afterResponse(this.connection);
    }
  };

  /** The object's describe, fetched at most once per worker and object within its cache time. */
  private fields(): Promise<FieldMap> {
    return this.described(describeFields);
  }

  /** The Id prefix of the object's records, from the same cached describe as fields(). */
  private keyPrefix(): Promise<string | null> {
    return this.described(describeKeyPrefix);
  }

  /**
   * External ids and SOQL text matches ignore case, except on a field made "Unique, case sensitive"
   * (the describe's `caseSensitive`): there `ab-1` and `AB-1` are two records' keys. A Number external
   * id compares keys as numbers. Offline, without the describe, the usual case: case ignored, text keys.
   */
  async keyMatching(asked: { runId: string; offline: boolean }): Promise<KeyMatching> {
    if (asked.offline) return { ignoreCase: true, asNumbers: false };
    // The describe is the run's request, under its API budget as its batches' are.
    this.budget.run = asked.runId;
    return { ignoreCase: !(await this.keyCaseSensitive()), asNumbers: this.target.externalIdField !== undefined && (await this.keyIsNumber()) };
  }

  /** Whether the key field is a Number one (an external id may be): SOQL compares it to unquoted numbers. */
  private async keyIsNumber(): Promise<boolean> {
    const field = (await this.fields()).get(this.keyField.toLowerCase());
    return field !== undefined && isNumberType(field.type);
  }

  /**
   * Why a key cannot be looked up by the key field, if it cannot: text that is no number, on a Number
   * field, would fail the whole batch's query (INVALID_FIELD), so only its record is rejected.
   */
  private async unsearchableKey(): Promise<(key: string) => RecordError | undefined> {
    if (!(await this.keyIsNumber())) return () => undefined;
    const { object } = this.target;
    const field = this.keyField;
    return (key) =>
      soqlNumber(key) !== undefined
        ? undefined
        : { code: 'INVALID_FIELD_VALUE', message: `${field}: '${key}' is not a number (${object}.${field} is a Number field), so no record can have it as its key`, fields: [field] };
  }

  /** Whether the key field is a unique case-sensitive one (see keyMatching). */
  private async keyCaseSensitive(): Promise<boolean> {
    return (await this.fields()).get(this.keyField.toLowerCase())?.caseSensitive === true;
  }

  private async described<T>(read: (connection: Connection, object: string, version: string) => Promise<T>, object = this.target.object): Promise<T> {
    this.budget.beforeRequest();
    try {
      return await read(this.connection, object, this.config.apiVersion);
    } catch (err) {
      // The first request of a check or a run: a version the org does not serve fails every request
      // NOT_FOUND, which would otherwise read as an object that does not exist.
      const version = { connectionName: this.target.connection, apiVersion: this.config.apiVersion };
      throw (await unservedVersionError(this.connection, err, version)) ?? toDestinationError(err, `describe ${object}`);
    } finally {
      this.budget.afterResponse(this.connection);
    }
  }

  /**
   * The relationship each mapping onto `Relationship.Field` sets (salesforceRelationships.ts), by the
   * name the payload carries it under, with the parent's describe; a `to` that names none is an error
   * of the sync's file, reported as such (validate reports it too).
   */
  private async relationshipsOf(names: Iterable<string>): Promise<Map<string, { relationship: Relationship; parentFields: FieldMap }>> {
    const found = new Map<string, { relationship: Relationship; parentFields: FieldMap }>();
    const dotted = [...new Set(names)].filter((name) => splitRelationship(name) !== undefined);
    if (dotted.length === 0) return found;
    const fields = await this.fields();
    const parents = new Map<string, FieldMap>();
    for (const name of dotted) {
      const parent = parentOf(fields, name);
      if (parent !== undefined && !parents.has(parent)) parents.set(parent, await this.described(describeFields, parent));
      const resolved = resolveRelationship(this.target.object, name, fields, (object) => parents.get(object));
      if (!resolved.ok) throw new BackflowError('CONFIG_INVALID', `mapping to ${name}: ${resolved.message}`);
      const lookup = fields.get(resolved.relationship.idField.toLowerCase());
      if (lookup && !lookup.createable && !lookup.updateable) throw new BackflowError('CONFIG_INVALID', `mapping to ${name}: ${this.target.object}.${lookup.name} is read-only`);
      found.set(name, { relationship: resolved.relationship, parentFields: parents.get(resolved.relationship.parent) ?? new Map() });
    }
    return found;
  }

  async write(operation: WriteOperation, records: readonly DestinationRecord[], context: WriteContext): Promise<WriteResult> {
    this.apiCalls = 0;
    try {
      return await this.writeBatch(operation, records, context);
    } catch (err) {
      throw withApiCalls(err, this.apiCalls);
    }
  }

  private async writeBatch(operation: WriteOperation, records: readonly DestinationRecord[], context: WriteContext): Promise<WriteResult> {
    this.budget.run = context.runId;
    if (records.length === 0) return { results: [], apiCalls: 0 };
    if (operation !== 'delete') await this.resolveKeyField();
    const done = new Map<string, RecordResult>();
    const bulk = records.length > SALESFORCE_COLLECTION_LIMIT ? new BulkIngest(this.connection, this.config.apiVersion, context, this.call) : null;
    const keyById = new Map(records.flatMap((r) => (r.destinationId ? [[r.destinationId, r.key] as const] : [])));
    if (bulk !== null && context.checkpoint !== null) {
      for (const [key, result] of await bulk.resume(this.keyField, keyById)) {
        // Last answered with a lock: the earlier attempt's re-send of it may have died with it (its job
        // aborted above), so it goes again with this attempt's first request.
        if (result.status === 'rejected' && isContention(result.error)) continue;
        done.set(key, result);
      }
    }
    // Bulk jobs resume by their ids (above); a collections create names its keys before it is sent.
    const ownCreates = bulk === null ? pendingCreates(context.checkpoint) : new Set<string>();
    // Every plan sent, in order: a record sent again goes by the request it took last.
    const sent: Plan[] = [];
    const send = async (plan: Plan): Promise<void> => {
      sent.push(plan);
      for (const result of plan.done) done.set(result.key, result);
      if (bulk === null && plan.create.length > 0) {
        // With the keys named before (an earlier attempt's, or this one's first try of records sent again).
        const creating = new Set([...pendingCreates(context.checkpoint), ...plan.create.map((r) => r.record.key)]);
        await context.saveCheckpoint(pendingCreatesCheckpoint([...creating]));
      }
      // Answers go into `done` as each request returns: a later request's refusal leaves them there.
      if (bulk !== null) await this.viaBulk(bulk, plan, keyById, done);
      else await this.viaCollections(plan, done);
    };
    const pending = records.filter((record) => !done.has(record.key));
    await send(await this.plan(operation, await this.prepare(operation, pending, done), ownCreates));
    // Records sent by a stored Id whose record is gone since (deleted or merged away, here or in an
    // earlier attempt of this batch): resolved again by the key field, all of them with one look-up.
    const byStoredId = this.sendsStoredIds(operation);
    const gone = records.filter((record) => record.destinationId && (byStoredId || record.rekeyed) && isGone(done.get(record.key)));
    if (gone.length > 0) await send(await this.replan(operation, await this.prepare(operation, gone, done)));
    await this.resendContended(sent, done, send, context, bulk === null);
    const results = records.map(
      (record): RecordResult =>
        done.get(record.key) ?? {
          key: record.key,
          status: 'rejected',
          error: { code: 'NO_RESULT', message: 'Salesforce returned no result for this record; it is sent again next run', fields: [] },
        },
    );
    return { results, apiCalls: this.apiCalls };
  }

  /**
   * Records that met a lock (salesforceRecordRetry.ts) sent again, only they, each by the request it took
   * last, after a growing wait, until they pass or their tries are spent; what they answered last
   * stands. A cancelled run sends none again; nor does a refusal of the API budget before anything
   * more could be written (a collections request, a Bulk job not yet closed: BulkJobNotStarted), the
   * answers already in `done` kept. A Bulk job the budget stops once closed fails the batch as any
   * bulk request does: it may still run.
   */
  private async resendContended(
    sent: readonly Plan[],
    done: ReadonlyMap<string, RecordResult>,
    send: (plan: Plan) => Promise<void>,
    context: WriteContext,
    viaCollections: boolean,
  ): Promise<void> {
    for (let retriesDone = 0; ; retriesDone += 1) {
      const cancelled = context.cancelled?.() ?? false;
      const again = new Set<string>();
      let waitMs = 0;
      for (const result of done.values()) {
        if (result.status !== 'rejected') continue;
        const decision = decideRecordRetry({ error: result.error, retriesDone, cancelled, firstWaitMs: this.recordRetryFirstWaitMs });
        if (!decision.retry) continue;
        again.add(result.key);
        waitMs = Math.max(waitMs, decision.waitMs);
      }
      // Records an earlier attempt's bulk job answered (collected by resume) took no request of this one.
      const plan = lastRequestOf(sent, again);
      if (plan.upsert.length + plan.create.length + plan.update.length + plan.delete.length === 0) return;
      await delay(waitMs);
      if (context.cancelled?.() === true) return;
      try {
        await send(plan);
      } catch (err) {
        if (err instanceof DestinationBudgetExhausted && (viaCollections || err instanceof BulkJobNotStarted)) return;
        throw err;
      }
    }
  }

  /**
   * The key field by the API name the describe gives it: Salesforce takes field names in any case, but
   * answers SOQL rows keyed by that name, and a Bulk API header must spell it so; a YAML `email` for
   * `Email` would otherwise match nothing.
   */
  private async resolveKeyField(): Promise<void> {
    if (this.keyField === '') return;
    const field = (await this.fields()).get(this.keyField.toLowerCase());
    if (field !== undefined) this.keyField = field.name;
  }

  /** Records with their values coerced per the describe; a value that cannot be is rejected into `done`. */
  private async prepare(operation: WriteOperation, records: readonly DestinationRecord[], done: Map<string, RecordResult>): Promise<Ready[]> {
    if (operation === 'delete') return records.map((record) => ({ record, fields: {} }));
    if (records.length === 0) return [];
    const fields = await this.fields();
    // Only a dotted name can be a relationship (`Account.External_Id__c`).
    const names = new Set<string>();
    for (const record of records) for (const name in record.fields) if (name.includes('.')) names.add(name);
    const relationships = await this.relationshipsOf(names);
    for (const { relationship } of relationships.values()) this.relationships.set(relationshipKey(relationship), relationship);
    const ready: Ready[] = [];
    for (const record of records) {
      const prepared = relationships.size === 0 ? coerceRecord(fields, record.fields) : coerceWithRelationships(fields, record.fields, relationships);
      if (prepared.ok) ready.push({ record, fields: prepared.fields });
      else done.set(record.key, { key: record.key, status: 'rejected', error: prepared.error });
    }
    return ready;
  }

  /** Whether the verb writes by an Id committed earlier (update mode, and upsert matched by SOQL). */
  private sendsStoredIds(operation: WriteOperation): boolean {
    return operation === 'update' || (operation === 'upsert' && this.target.matchOn !== undefined);
  }

  /** A prepared record as sObject Collections take it: relationship values nested (see nestRelationships). */
  private body(fields: Record<string, Value>): Record<string, unknown> {
    return nestRelationships(fields, this.relationships);
  }

  private withKey(ready: Ready): Record<string, Value> {
    return { ...ready.fields, [this.keyField]: ready.record.key };
  }

  /** Decides each record's request; look-ups by the key field where the verb or the matching needs them. */
  private async plan(operation: WriteOperation, ready: readonly Ready[], ownCreates: ReadonlySet<string>): Promise<Plan> {
    const plan: Plan = { upsert: [], create: [], update: [], delete: [], done: [] };
    const { object } = this.target;
    const field = this.keyField;
    if (operation === 'delete') {
      const keyPrefix = ready.some((r) => r.record.destinationId) ? await this.keyPrefix() : null;
      for (const { record } of ready) {
        const id = record.destinationId;
        // Without a stored Id backflow never created it, so there is nothing of ours to delete.
        if (!id) plan.done.push(nothingToDelete(record.key));
        // An Id committed while the sync wrote another object: Salesforce deletes by Id whatever the
        // object, so mirror mode would delete that object's record.
        else if (keyPrefix !== null && !id.startsWith(keyPrefix)) {
          plan.done.push({ key: record.key, status: 'skipped', reason: `its stored Id ${id} is not a ${object} (the sync's object changed since it was written): not deleted` });
        } else plan.delete.push({ record, id });
      }
      return plan;
    }
    if (operation === 'upsert' && this.target.matchOn === undefined) {
      for (const r of ready) {
        // Written under another external id field: its record is found by the Id (see DestinationRecord.rekeyed).
        if (r.record.rekeyed && r.record.destinationId) plan.update.push({ ...r, id: r.record.destinationId });
        else plan.upsert.push(r);
      }
      return plan;
    }
    // A Salesforce Id committed by an earlier run is used as is (no look-up; one found gone is looked
    // up by replan()), except by insert, which must know whether the record still exists.
    const known = operation === 'insert' ? [] : ready.filter((r) => r.record.destinationId);
    const unknown = operation === 'insert' ? [...ready] : ready.filter((r) => !r.record.destinationId);
    for (const r of known) plan.update.push({ ...r, id: r.record.destinationId as string });
    const idsOf = await this.lookUp(unknown.map((r) => r.record.key));
    const unsearchable = await this.unsearchableKey();
    for (const r of unknown) {
      const key = r.record.key;
      const ids = idsOf(key);
      const refused = unsearchable(key);
      if (refused !== undefined) plan.done.push({ key, status: 'rejected', error: refused });
      else if (operation !== 'insert') this.place(operation, r, ids, plan);
      else if (ids.length === 0) plan.create.push(r);
      // Found because an earlier attempt's create went through unanswered: this batch created it.
      else if (ids.length === 1 && ownCreates.has(key)) plan.done.push({ key, status: 'ok', destinationId: ids[0] as string, created: true });
      else {
        plan.done.push({
          key,
          status: 'skipped',
          reason: `insert mode: ${object} ${ids.join(', ')} already has ${field} = ${key}`,
          ...(ids.length === 1 ? { destinationId: ids[0] as string } : {}),
        });
      }
    }
    return plan;
  }

  /**
   * Records whose stored Id turned out gone, placed again by what the key field finds now: the one
   * match (its new Id is what gets committed), a create (upsert), or a skip (update). A match on the
   * same Id means the record is there and the rejection was about something else: it stands.
   */
  private async replan(operation: WriteOperation, ready: readonly Ready[]): Promise<Plan> {
    const plan: Plan = { upsert: [], create: [], update: [], delete: [], done: [] };
    const idsOf = await this.lookUp(ready.map((r) => r.record.key));
    const unsearchable = await this.unsearchableKey();
    for (const r of ready) {
      const ids = idsOf(r.record.key);
      if (ids.length === 1 && ids[0] === r.record.destinationId) continue;
      const refused = unsearchable(r.record.key);
      if (refused !== undefined) plan.done.push({ key: r.record.key, status: 'rejected', error: refused });
      else this.place(operation, r, ids, plan, r.record.destinationId);
    }
    return plan;
  }

  /** Where an upsert or update goes once the key field's look-up has answered `ids`. */
  private place(operation: WriteOperation, r: Ready, ids: readonly string[], plan: Plan, goneId: string | null = null): void {
    const { object } = this.target;
    const field = this.keyField;
    const key = r.record.key;
    if (ids.length > 1) plan.done.push({ key, status: 'rejected', error: ambiguous(object, field, key, ids) });
    else if (ids.length === 1) plan.update.push({ ...r, id: ids[0] as string });
    else if (operation === 'upsert') plan.create.push(r);
    else {
      const gone = goneId === null ? '' : ` (${object} ${goneId}, synced earlier, no longer exists)`;
      plan.done.push({ key, status: 'skipped', reason: `update mode: no ${object} has ${field} = ${key}${gone}` });
    }
  }

  /**
   * Ids of the records whose key field holds each key, as SOQL compares: ignoring case, but in the
   * exact case on a unique case-sensitive field.
   */
  private async lookUp(keys: readonly string[]): Promise<(key: string) => readonly string[]> {
    const numeric = await this.keyIsNumber();
    // A number field is compared by value: `042` finds the record whose field holds 42.
    const folded = numeric
      ? (key: string) => soqlNumber(key) ?? key
      : (await this.keyCaseSensitive())
        ? (key: string) => key
        : (key: string) => key.toLowerCase();
    const literal = numeric ? (key: string) => soqlNumber(key) as string : soqlString;
    const matches = new Map<string, string[]>();
    const { object } = this.target;
    const field = this.keyField;
    // A key that is no number matches nothing on a number field (plan() rejects its record).
    const searchable = numeric ? keys.filter((key) => soqlNumber(key) !== undefined) : keys;
    for (const chunk of soqlInChunks(searchable, undefined, undefined, literal)) {
      let page = await this.call(`look up ${object} by ${field}`, () =>
        this.connection.query<Record<string, unknown>>(`SELECT Id, ${field} FROM ${object} WHERE ${field} IN ${soqlInList(chunk, literal)}`),
      );
      for (;;) {
        for (const row of page.records) {
          const value = row[field];
          if ((typeof value === 'string' || typeof value === 'number') && typeof row.Id === 'string') {
            const key = folded(String(value));
            matches.set(key, [...(matches.get(key) ?? []), row.Id]);
          }
        }
        const next = page.nextRecordsUrl;
        if (page.done || !next) break;
        page = await this.call(`look up ${object} by ${field}`, () => this.connection.queryMore<Record<string, unknown>>(next));
      }
    }
    return (key) => matches.get(folded(key)) ?? [];
  }

  /**
   * sObject Collections, allOrNone false so one bad record never holds back the rest; results by
   * position, put in `results` as each request is answered (kept when a later one is refused).
   */
  private async viaCollections(plan: Plan, results: Map<string, RecordResult>): Promise<void> {
    const { object } = this.target;
    const sobject = this.connection.sobject(object);
    for (const chunk of chunks(plan.upsert)) {
      const answers = await this.collection(`upsert ${object}`, chunk.length, () =>
        sobject.upsert(chunk.map((r) => this.body(this.withKey(r))) as Record<string, Value>[], this.keyField, { allOrNone: false }),
      );
      chunk.forEach((r, i) => results.set(r.record.key, toResult(r.record, answers[i] as CollectionResult, (a) => a.created === true)));
    }
    for (const chunk of chunks(plan.create)) {
      const answers = await this.collection(`create ${object}`, chunk.length, () =>
        sobject.create(chunk.map((r) => this.body(this.withKey(r))) as Record<string, Value>[], { allOrNone: false }),
      );
      chunk.forEach((r, i) => results.set(r.record.key, toResult(r.record, answers[i] as CollectionResult, () => true)));
    }
    for (const chunk of chunks(plan.update)) {
      const answers = await this.collection(`update ${object}`, chunk.length, () =>
        sobject.update(chunk.map((r) => ({ ...this.body(r.record.rekeyed ? this.withKey(r) : r.fields), Id: r.id })) as Array<Record<string, Value> & { Id: string }>, { allOrNone: false }),
      );
      chunk.forEach((r, i) => results.set(r.record.key, toResult(r.record, { ...(answers[i] as CollectionResult), id: (answers[i] as CollectionResult).id ?? r.id }, () => false)));
    }
    for (const chunk of chunks(plan.delete)) {
      const answers = await this.collection(`delete ${object}`, chunk.length, () =>
        sobject.destroy(chunk.map((r) => r.id), { allOrNone: false }),
      );
      chunk.forEach(({ record, id }, i) => {
        const answer = answers[i] as CollectionResult;
        const code = answer.errors?.[0]?.statusCode ?? answer.errors?.[0]?.errorCode;
        if (!answer.success && code !== undefined && RECORD_GONE.has(code)) {
          results.set(record.key, { key: record.key, status: 'ok', destinationId: id, created: false });
        } else results.set(record.key, toResult(record, { ...answer, id: answer.id ?? id }, () => false));
      });
    }
  }

  /**
   * One ingest job per kind of request; rows carry the key column so results map back to keys. A
   * record carrying the text `#N/A` goes through collections instead: Bulk CSV reads that text as
   * null ("To set a field value to null, use a field value of #N/A") and has no way to escape it.
   */
  private async viaBulk(bulk: BulkIngest, plan: Plan, keyById: ReadonlyMap<string, string>, results: Map<string, RecordResult>): Promise<void> {
    const literal = (r: Ready) => r.record.key === BULK_NULL_TEXT || Object.values(r.fields).some((value) => value === BULK_NULL_TEXT);
    const aside: Plan = { upsert: plan.upsert.filter(literal), create: plan.create.filter(literal), update: plan.update.filter(literal), delete: [], done: [] };
    if (aside.upsert.length + aside.create.length + aside.update.length > 0) await this.viaCollections(aside, results);
    const { object } = this.target;
    const keyColumn = this.keyField;
    const row = (r: Ready, extra: Record<string, Value> = {}) => ({ key: r.record.key, cells: { ...extra, ...this.withKey(r) } });
    const upsert = plan.upsert.filter((r) => !literal(r));
    const create = plan.create.filter((r) => !literal(r));
    const update = plan.update.filter((r) => !literal(r));
    const jobs = [
      upsert.length ? () => bulk.run({ operation: 'upsert', object, externalIdFieldName: keyColumn, keyColumn, rows: upsert.map((r) => row(r)) }, results) : null,
      create.length ? () => bulk.run({ operation: 'insert', object, keyColumn, rows: create.map((r) => row(r)) }, results) : null,
      update.length ? () => bulk.run({ operation: 'update', object, keyColumn, rows: update.map((r) => row(r, { Id: r.id })) }, results) : null,
      plan.delete.length
        ? () => bulk.run({ operation: 'delete', object, keyColumn: null, keyById, rows: plan.delete.map((r) => ({ key: r.record.key, cells: { Id: r.id } })) }, results)
        : null,
    ];
    // One job at a time, started only when the one before has finished: each job's id must be in the
    // checkpoint before the next starts.
    for (const job of jobs) {
      if (job !== null) await job();
    }
  }

  private async collection(what: string, expected: number, request: () => PromiseLike<unknown>): Promise<CollectionResult[]> {
    const raw = await this.call(what, request);
    const answers = (Array.isArray(raw) ? raw : [raw]) as CollectionResult[];
    if (answers.length !== expected) {
      throw toDestinationError(new Error(`answered ${answers.length} results for ${expected} records`), what);
    }
    return answers;
  }
}

/** The request each of `keys` took in the last plan that sent it, as one plan to send again. */
function lastRequestOf(sent: readonly Plan[], keys: ReadonlySet<string>): Plan {
  const plan: Plan = { upsert: [], create: [], update: [], delete: [], done: [] };
  const left = new Set(keys);
  const take = <T extends { record: DestinationRecord }>(from: readonly T[], into: T[]) => {
    for (const entry of from) if (left.delete(entry.record.key)) into.push(entry);
  };
  for (const earlier of [...sent].reverse()) {
    take(earlier.upsert, plan.upsert);
    take(earlier.create, plan.create);
    take(earlier.update, plan.update);
    take(earlier.delete, plan.delete);
  }
  return plan;
}

function isGone(result: RecordResult | undefined): boolean {
  return result?.status === 'rejected' && RECORD_GONE.has(result.error.code);
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += SALESFORCE_COLLECTION_LIMIT) out.push(items.slice(i, i + SALESFORCE_COLLECTION_LIMIT));
  return out;
}

function ambiguous(object: string, field: string, key: string, ids: readonly string[]): RecordError {
  return {
    code: 'AMBIGUOUS_MATCH',
    message: `${ids.length} ${object} records have ${field} = ${key} (${ids.join(', ')}); backflow writes to none of them`,
    fields: [field],
  };
}

function toResult(record: DestinationRecord, answer: CollectionResult, created: (answer: CollectionResult) => boolean): RecordResult {
  if (answer.success && answer.id) return { key: record.key, status: 'ok', destinationId: answer.id, created: created(answer) };
  const errors = answer.errors ?? [];
  const first = errors[0];
  return {
    key: record.key,
    status: 'rejected',
    error: {
      code: first?.statusCode ?? first?.errorCode ?? 'UNKNOWN_ERROR',
      message: errors.map((e) => e.message ?? '').join('; ') || 'rejected without a message',
      fields: [...new Set(errors.flatMap((e) => e.fields ?? []))],
    },
  };
}

/** A record's values coerced, its relationship mappings carried as their parents' keys (see relationshipValue). */
function coerceWithRelationships(
  fields: FieldMap,
  payload: Record<string, Value>,
  relationships: ReadonlyMap<string, { relationship: Relationship; parentFields: FieldMap }>,
): { ok: true; fields: Record<string, Value> } | { ok: false; error: RecordError } {
  const plain: Record<string, Value> = {};
  const linked: Record<string, Value> = {};
  for (const [name, value] of Object.entries(payload)) {
    const link = relationships.get(name);
    if (link === undefined) {
      plain[name] = value;
      continue;
    }
    const set = relationshipValue(link.relationship, link.parentFields, value);
    if (!set.ok) return set;
    Object.assign(linked, set.fields);
  }
  const coerced = coerceRecord(fields, plain);
  return coerced.ok ? { ok: true, fields: { ...coerced.fields, ...linked } } : coerced;
}
