import { Client } from '@hubspot/api-client';
import type { HubspotConnection } from '../config/schema';
import { BackflowError } from '../errors';
import {
  WriteNotStarted,
  type BatchCost,
  type Destination,
  type DestinationLimits,
  type DestinationRecord,
  type KeyMatching,
  type PlannedRecord,
  type RecordResult,
  type TargetCheckInput,
  type TargetIssue,
  type WriteContext,
  type WriteResult,
  deletesNothing,
  nothingToDelete,
} from './destination';
import { withApiCalls } from './failedWriteCalls';
import { deadlineAgent } from './hubspotAgent';
import { HubspotDailyBudget } from './hubspotDaily';
import { classifyHubspotError, headersOf, toHubspotDestinationError } from './hubspotErrors';
import { appKey, pacerFor, type RollingWindowPacer } from './hubspotPacing';
import {
  mapWriteAnswer,
  matchKey,
  looksLikeDate,
  splitDuplicates,
  toHubspotProperties,
  withDateForms,
  type DatePropertyType,
  type BatchErrorEntry,
  type WrittenObject,
} from './hubspotRecords';
import { budgetOf, HUBSPOT_WINDOW_MS } from './hubspotTiers';
import type { WriteOperation } from './modes';
import { WRITE_OPERATIONS } from './modes';
import { pendingCreates, pendingCreatesCheckpoint } from './pendingCreates';
import type { HubspotTarget } from './targets';

/** Where the client goes without a basePath. */
export const HUBSPOT_API = 'https://api.hubapi.com';

/** HubSpot's batch endpoints take at most 100 inputs a request. */
export const HUBSPOT_BATCH_LIMIT = 100;

/** Names HubSpot accepts for the contacts object type (where `email` identifies a record). */
const CONTACT_TYPE_NAMES = new Set(['contacts', 'contact', '0-1']);

/** Share of the budget the fleet-wide pacer admits; the rest absorbs clock and latency jitter. */
const FLEET_RATE_SHARE = 0.98;

/** Batches in flight per run; the shared pacer, not this, keeps requests within the budget. */
const CONCURRENCY = 16;

/** A property as the Properties API describes it (only what check() reads). */
interface PropertyInfo {
  name: string;
  type: string;
  hasUniqueValue?: boolean | undefined;
  calculated?: boolean | undefined;
  modificationMetadata?: { readOnlyValue: boolean } | undefined;
  options: Array<{ value: string; hidden: boolean }>;
}

/**
 * The date and datetime properties of an object, per account and object, fetched at most once per
 * worker within DATE_TYPES_TTL_MS: every batch opens its own destination, and only batches carrying
 * date text need them (see withDateForms).
 */
const dateTypesCache = new Map<string, { at: number; types: ReadonlyMap<string, DatePropertyType> }>();
const DATE_TYPES_TTL_MS = 10 * 60_000;

/** A mapping onto an enumeration: values outside `options` are rejected record by record at write time. */
export interface EnumerationNote {
  path: string;
  property: string;
  options: string[];
}

/** A client answer with its response headers (the client's `…WithHttpInfo` methods). */
interface Answered<T> {
  headers: unknown;
  data: T;
}

/** A record to update and the HubSpot id it is sent to. */
interface IdWrite {
  record: DestinationRecord;
  id: string;
}

/** Whatever a batch answer holds, 200 or 207. */
interface BatchAnswer {
  results: WrittenObject[];
  errors?: BatchErrorEntry[] | undefined;
}

export class HubspotDestination implements Destination {
  readonly limits: DestinationLimits;
  readonly operations = WRITE_OPERATIONS;
  private readonly emailKeys: boolean;

  /** Emails match in lower case (see the constructor); every other key as written. */
  keyMatching(): Promise<KeyMatching> {
    return Promise.resolve({ ignoreCase: this.emailKeys, asNumbers: false });
  }

  /**
   * Update and insert first read which keys exist — update only those without a stored id, so a batch
   * whose records all have one (known when the dry run read them) is updated by its ids alone.
   */
  costOf(operation: WriteOperation, _records: number, planned?: readonly PlannedRecord[]): BatchCost {
    if (operation === 'update') return { requests: planned !== undefined && planned.every((record) => record.destinationId !== null) ? 1 : 2 };
    return { requests: operation === 'insert' ? 2 : 1 };
  }

  /** A mirror delete of a row with no stored id archives nothing (see archive): the dry run counts it skipped. */
  sendsNothingFor(operation: WriteOperation, record: PlannedRecord): boolean {
    return deletesNothing(operation, record);
  }
  private readonly client: Client;
  private readonly objects: Client['crm']['objects']['batchApi'];
  private readonly properties: Client['crm']['properties']['coreApi'];
  private readonly pacer: RollingWindowPacer;
  private readonly daily: HubspotDailyBudget;
  /** Names the app and object in dateTypesCache. */
  private readonly cacheKey: string;

  /** `config` has its secrets resolved already; `pacer` defaults to the worker-wide one of this app. */
  constructor(
    config: HubspotConnection,
    private readonly target: HubspotTarget,
    options: { pacer?: RollingWindowPacer } = {},
  ) {
    this.cacheKey = `${appKey(config.basePath ?? HUBSPOT_API, config.accessToken)}|${target.object.toLowerCase()}`;
    // HubSpot stores and matches emails in lower case (see matchKey): `Bob@x.com` and `bob@x.com` are
    // one contact. Sent apart they overwrote each other, and in mirror mode one's removal archived it.
    this.emailKeys = target.externalIdField === 'email';
    // Retries are backflow's (Temporal's) alone: the client's would double them and ignore our pacing.
    this.client = new Client({
      accessToken: config.accessToken,
      numberOfApiCallRetries: 0,
      httpAgent: deadlineAgent(config.basePath ?? HUBSPOT_API, config.timeoutMs),
      ...(config.basePath ? { basePath: config.basePath.replace(/\/+$/, '') } : {}),
    });
    // The client applies its process-wide decorators when an API is first touched: touch them now,
    // while they are the ones this constructor just set (none).
    this.objects = this.client.crm.objects.batchApi;
    this.properties = this.client.crm.properties.coreApi;
    const budget = budgetOf(config.tier, config.limits ?? {});
    // The rate every worker of the fleet keeps to together (engine/pacing.ts): a hair under the
    // window's budget, so no rolling window ever holds more than it allows.
    this.limits = {
      maxBatchSize: HUBSPOT_BATCH_LIMIT,
      concurrency: CONCURRENCY,
      requestsPerSecond: (budget.requestsPer10s / (HUBSPOT_WINDOW_MS / 1000)) * FLEET_RATE_SHARE,
    };
    this.daily = new HubspotDailyBudget(appKey(config.basePath ?? HUBSPOT_API, config.accessToken), config.limits?.daily);
    this.pacer =
      options.pacer ??
      pacerFor(config.basePath ?? HUBSPOT_API, config.accessToken, { max: budget.requestsPer10s, windowMs: HUBSPOT_WINDOW_MS });
  }

  /** The object's properties: the idProperty must be unique, mapped properties must exist and take writes. */
  async check(sync: TargetCheckInput): Promise<TargetIssue[]> {
    return (await this.inspect(sync)).issues;
  }

  /**
   * check() plus the mappings onto enumerations and their options, for `backflow validate` to show
   * (validate sees no rows, so the values themselves are checked by HubSpot per record at write time).
   */
  async inspect(sync: TargetCheckInput): Promise<{ issues: TargetIssue[]; enumerations: EnumerationNote[] }> {
    const { object, externalIdField } = this.target;
    const properties = new Map((await this.describe()).map((p) => [p.name, p]));
    const issues: TargetIssue[] = [];
    const enumerations: EnumerationNote[] = [];
    const idProperty = properties.get(externalIdField);
    const emailOfContacts = externalIdField === 'email' && CONTACT_TYPE_NAMES.has(object.toLowerCase());
    if (!idProperty) {
      issues.push({ path: 'destination.externalIdField', message: `${object} has no property ${externalIdField}` });
    } else if (!idProperty.hasUniqueValue && !emailOfContacts) {
      issues.push({
        path: 'destination.externalIdField',
        message: `${object}.${externalIdField} does not have unique values, so HubSpot cannot upsert by it (use email for contacts, or a property with "unique values")`,
      });
    }
    sync.mappings.forEach((mapping, index) => {
      const property = properties.get(mapping.to);
      const path = `mappings[${index}].to`;
      if (!property) issues.push({ path, message: `${object} has no property ${mapping.to}` });
      else if (property.calculated || property.modificationMetadata?.readOnlyValue) issues.push({ path, message: `${object}.${mapping.to} is read-only` });
      else if (property.type === 'enumeration') {
        enumerations.push({ path, property: mapping.to, options: property.options.filter((o) => !o.hidden).map((o) => o.value) });
      }
    });
    return { issues, enumerations };
  }

  /** `calls`: the write's count, when a write asks (its date types). */
  private async describe(calls: { count: number } = { count: 0 }): Promise<PropertyInfo[]> {
    const answer = await this.request(`read the properties of ${this.target.object}`, calls, () =>
      this.properties.getAllWithHttpInfo(this.target.object),
    );
    return answer.results;
  }

  async write(operation: WriteOperation, records: readonly DestinationRecord[], context?: WriteContext): Promise<WriteResult> {
    if (records.length === 0) return { results: [], apiCalls: 0 };
    if (records.length > HUBSPOT_BATCH_LIMIT) {
      throw new BackflowError('DESTINATION_REQUEST_INVALID', `a HubSpot batch request takes at most ${HUBSPOT_BATCH_LIMIT} inputs, got ${records.length}`);
    }
    const calls = { count: 0, ...(context?.stopRequested ? { stopRequested: context.stopRequested } : {}) };
    try {
      const types = operation === 'delete' ? undefined : await this.dateTypes(records, calls);
      const sent = types ? records.map((record) => ({ ...record, fields: withDateForms(record.fields, types) })) : records;
      const answers = await this.answer(operation, sent, calls, context);
      return { results: records.map((record) => answers.get(record.key) ?? missing(record)), apiCalls: calls.count };
    } catch (err) {
      throw withApiCalls(err, calls.count);
    }
  }

  /** A batch carrying date text describes the object's properties, unless this worker holds them already (see dateTypes). */
  lookupsFor(operation: WriteOperation, records: readonly PlannedRecord[]): readonly string[] {
    return operation !== 'delete' && carriesDates(records) && this.cachedDateTypes() === undefined ? [`describe ${this.target.object}`] : [];
  }

  /** The object's date and datetime properties, when a record carries date text (else none is asked for); the describe counts in `calls`. */
  private async dateTypes(records: readonly DestinationRecord[], calls: { count: number }): Promise<ReadonlyMap<string, DatePropertyType> | undefined> {
    if (!carriesDates(records)) return undefined;
    const cached = this.cachedDateTypes();
    if (cached !== undefined) return cached;
    const types = new Map<string, DatePropertyType>();
    for (const property of await this.describe(calls)) {
      if (property.type === 'date' || property.type === 'datetime') types.set(property.name, property.type);
    }
    dateTypesCache.set(this.cacheKey, { at: Date.now(), types });
    return types;
  }

  private cachedDateTypes(): ReadonlyMap<string, DatePropertyType> | undefined {
    const cached = dateTypesCache.get(this.cacheKey);
    return cached !== undefined && Date.now() - cached.at < DATE_TYPES_TTL_MS ? cached.types : undefined;
  }

  private async answer(operation: WriteOperation, records: readonly DestinationRecord[], calls: { count: number }, context: WriteContext | undefined): Promise<Map<string, RecordResult>> {
    if (operation === 'delete') return this.archive(records, calls);
    // HubSpot refuses a whole batch that names one record twice: send the first, reject the rest.
    const { sendable, duplicates } = splitDuplicates(this.target.externalIdField, records);
    const answers =
      operation === 'upsert'
        ? await this.upsert(sendable, calls)
        : operation === 'update'
          ? await this.update(sendable, calls)
          : await this.insert(sendable, calls, context);
    for (const duplicate of duplicates) answers.set(duplicate.key, duplicate);
    return answers;
  }

  /**
   * Upserts by idProperty, except records written under another idProperty (DestinationRecord.rekeyed):
   * those are updated by their stored ids, the key set in the new idProperty; one whose record is
   * gone since is upserted like the rest.
   */
  private async upsert(records: readonly DestinationRecord[], calls: { count: number }): Promise<Map<string, RecordResult>> {
    const byId = records.flatMap((record) => (record.rekeyed && record.destinationId !== null ? [{ record, id: record.destinationId }] : []));
    const answers = new Map<string, RecordResult>();
    const gone = await this.updateByIds(byId, answers, calls);
    const byKey = [...records.filter((record) => !(record.rekeyed && record.destinationId !== null)), ...gone.map(({ record }) => record)];
    for (const [key, result] of await this.upsertByKey(byKey, calls)) answers.set(key, result);
    return answers;
  }

  /**
   * Batch upsert by idProperty. Every input carries its warehouse key as objectWriteTraceId, which
   * makes HubSpot answer per record (207) instead of failing the batch for one bad record, and lets
   * the unordered answer be mapped back to keys.
   */
  private async upsertByKey(records: readonly DestinationRecord[], calls: { count: number }): Promise<Map<string, RecordResult>> {
    if (records.length === 0) return new Map();
    const { object, externalIdField: idProperty } = this.target;
    const answer: BatchAnswer = await this.request(`upsert ${object}`, calls, () =>
      this.objects.upsertWithHttpInfo(object, {
        inputs: records.map((record) => ({
          idProperty,
          id: record.key,
          properties: toHubspotProperties(record.fields),
          objectWriteTraceId: record.key,
        })),
      }),
    );
    return mapWriteAnswer({ idProperty, sent: records, results: answer.results, errors: answer.errors ?? [], created: (r) => r._new === true });
  }

  /**
   * Updates only records that exist: by the stored HubSpot id, else by reading the idProperty first.
   * A stored id whose record is gone since (archived, maybe re-created under a new id) is read again
   * by idProperty, all such records of the batch in one read, and updated by the id found, which is
   * what gets committed; one no longer found is skipped like any unknown key.
   */
  private async update(records: readonly DestinationRecord[], calls: { count: number }): Promise<Map<string, RecordResult>> {
    const { object, externalIdField: idProperty } = this.target;
    const unknown = records.filter((record) => storedIdOf(record) === null).map((record) => record.key);
    const existing = unknown.length > 0 ? await this.lookUp(unknown, calls) : new Map<string, string>();
    const answers = new Map<string, RecordResult>();
    const noSuchKey = (key: string, goneId?: string): RecordResult => ({
      key,
      status: 'skipped',
      reason: `update mode: no ${object} has ${idProperty} = ${key}${goneId === undefined ? '' : ` (${object} ${goneId}, synced earlier, no longer exists)`}`,
    });
    const writes: IdWrite[] = [];
    for (const record of records) {
      const id = storedIdOf(record) ?? existing.get(matchKey(idProperty, record.key));
      if (id === undefined) answers.set(record.key, noSuchKey(record.key));
      else writes.push({ record, id });
    }
    const gone = await this.updateByIds(writes, answers, calls);
    if (gone.length === 0) return answers;
    const found = await this.lookUp(gone.map(({ record }) => record.key), calls);
    const again: IdWrite[] = [];
    for (const { record, id: goneId } of gone) {
      const id = found.get(matchKey(idProperty, record.key));
      if (id === undefined || id === goneId) answers.set(record.key, noSuchKey(record.key, goneId));
      else again.push({ record, id });
    }
    // Gone again between the read and this update: skipped, and looked for again next run.
    for (const { record, id } of await this.updateByIds(again, answers, calls)) answers.set(record.key, noSuchKey(record.key, id));
    return answers;
  }

  /** One batch update by HubSpot id; answers go into `answers`, except the writes whose id HubSpot no longer has (returned). */
  private async updateByIds(writes: readonly IdWrite[], answers: Map<string, RecordResult>, calls: { count: number }): Promise<IdWrite[]> {
    if (writes.length === 0) return [];
    const { object, externalIdField: idProperty } = this.target;
    const answer: BatchAnswer = await this.request(`update ${object}`, calls, () =>
      this.objects.updateWithHttpInfo(object, {
        inputs: writes.map(({ record, id }) => ({
          id,
          properties: toHubspotProperties(record.rekeyed ? { ...record.fields, [idProperty]: record.key } : record.fields),
          objectWriteTraceId: record.key,
        })),
      }),
    );
    // Ids HubSpot has no record for come back together in OBJECT_NOT_FOUND entries (a 207).
    const goneIds = new Set((answer.errors ?? []).filter((e) => e.category === 'OBJECT_NOT_FOUND').flatMap((e) => e.context?.['ids'] ?? []));
    const gone = writes.filter(({ id }) => goneIds.has(id));
    const written = writes.filter(({ id }) => !goneIds.has(id));
    const keyById = new Map(written.map(({ record, id }) => [id, record.key]));
    const mapped = mapWriteAnswer({
      idProperty,
      sent: written.map(({ record }) => record),
      // Update answers name records by id; the trace id (or the id) leads back to the key.
      results: answer.results.map((r) => ({ ...r, objectWriteTraceId: r.objectWriteTraceId ?? keyById.get(r.id) })),
      errors: (answer.errors ?? []).filter((e) => e.category !== 'OBJECT_NOT_FOUND'),
      created: () => false,
    });
    for (const [key, result] of mapped) answers.set(key, result);
    return gone;
  }

  /** Creates only keys HubSpot doesn't hold yet: one batch read by idProperty, then one batch create. */
  private async insert(records: readonly DestinationRecord[], calls: { count: number }, context: WriteContext | undefined): Promise<Map<string, RecordResult>> {
    const { object, externalIdField: idProperty } = this.target;
    const existing = await this.lookUp(records.map((record) => record.key), calls);
    const answers = new Map<string, RecordResult>();
    const fresh: DestinationRecord[] = [];
    // Found because an earlier attempt's create went through unanswered: this batch created it.
    const ownCreates = pendingCreates(context?.checkpoint ?? null);
    for (const record of records) {
      const found = existing.get(matchKey(idProperty, record.key));
      if (found === undefined) fresh.push(record);
      else if (ownCreates.has(record.key)) answers.set(record.key, { key: record.key, status: 'ok', destinationId: found, created: true });
      else answers.set(record.key, { key: record.key, status: 'skipped', reason: `insert mode: ${object} ${found} already has ${idProperty} = ${record.key}`, destinationId: found });
    }
    if (fresh.length === 0) return answers;
    await context?.saveCheckpoint(pendingCreatesCheckpoint(fresh.map((record) => record.key)));
    const answer: BatchAnswer = await this.request(`create ${object}`, calls, () =>
      this.objects.createWithHttpInfo(object, {
        inputs: fresh.map((record) => ({
          properties: { ...toHubspotProperties(record.fields), [idProperty]: record.key },
          objectWriteTraceId: record.key,
          associations: [],
        })),
      }),
    );
    const mapped = mapWriteAnswer({ idProperty, sent: fresh, results: answer.results, errors: answer.errors ?? [], created: () => true });
    for (const [key, result] of mapped) answers.set(key, result);
    return answers;
  }

  /**
   * Archives by the ids backflow stored when it synced these keys; an id already gone still answers 204.
   * An id stored for another object (the sync's object edited since) is archived only when the record
   * of this object with that id holds the key (the same object under another name, `contacts` / `0-1`).
   */
  private async archive(records: readonly DestinationRecord[], calls: { count: number }): Promise<Map<string, RecordResult>> {
    const { object } = this.target;
    const answers = new Map<string, RecordResult>();
    const foreign = records.filter((record) => record.destinationId && record.idObject !== undefined);
    const held = await this.holdingTheirKeys(foreign, calls);
    const archived: DestinationRecord[] = [];
    for (const record of records) {
      const id = record.destinationId;
      // Without a stored id backflow never created it, so there is nothing of ours to archive.
      if (!id) answers.set(record.key, nothingToDelete(record.key));
      else if (record.idObject !== undefined && !held.has(record.key)) {
        answers.set(record.key, {
          key: record.key,
          status: 'skipped',
          reason: `its stored id ${id} names a ${record.idObject} record (the sync wrote ${record.idObject} then, ${object} now): not archived`,
        });
      } else archived.push(record);
    }
    const ids = [...new Set(archived.map((record) => record.destinationId as string))];
    if (ids.length > 0) {
      await this.request(`archive ${object}`, calls, () => this.objects.archiveWithHttpInfo(object, { inputs: ids.map((id) => ({ id })) }));
    }
    for (const record of archived) answers.set(record.key, { key: record.key, status: 'ok', destinationId: record.destinationId as string, created: false });
    return answers;
  }

  /** Keys of the records whose stored id names a record of this object holding that key, with one batch read by id. */
  private async holdingTheirKeys(records: readonly DestinationRecord[], calls: { count: number }): Promise<Set<string>> {
    if (records.length === 0) return new Set();
    const { object, externalIdField: idProperty } = this.target;
    const ids = [...new Set(records.map((record) => record.destinationId as string))];
    const answer: BatchAnswer = await this.request(`read ${object} by id`, calls, () =>
      this.objects.readWithHttpInfo(object, { inputs: ids.map((id) => ({ id })), properties: [idProperty], propertiesWithHistory: [] }),
    );
    // Ids this object has no record for come back in a 207's OBJECT_NOT_FOUND entry: held by none.
    const keyById = new Map<string, string>();
    for (const result of answer.results) {
      const value = result.properties?.[idProperty];
      if (typeof value === 'string') keyById.set(result.id, matchKey(idProperty, value));
    }
    return new Set(records.filter((record) => keyById.get(record.destinationId as string) === matchKey(idProperty, record.key)).map((record) => record.key));
  }

  /** HubSpot ids of the records holding these idProperty values (by match key), with one batch read. */
  private async lookUp(keys: readonly string[], calls: { count: number }): Promise<Map<string, string>> {
    const { object, externalIdField: idProperty } = this.target;
    const answer: BatchAnswer = await this.request(`read ${object} by ${idProperty}`, calls, () =>
      this.objects.readWithHttpInfo(object, {
        idProperty,
        inputs: keys.map((id) => ({ id })),
        properties: [idProperty],
        propertiesWithHistory: [],
      }),
    );
    // Keys not found come back in a 207's OBJECT_NOT_FOUND entry: simply not in the map.
    const existing = new Map<string, string>();
    for (const result of answer.results) {
      const value = result.properties?.[idProperty];
      if (typeof value === 'string') existing.set(matchKey(idProperty, value), result.id);
    }
    return existing;
  }

  /**
   * One paced request: waits for a slot within the app's budget, tells the pacer what HubSpot's
   * rate-limit headers said, and turns a failure into the engine's typed error (a 10-second 429 also
   * holds back every other sender of this app for one window).
   */
  private async request<T>(what: string, calls: { count: number; stopRequested?: () => boolean }, send: () => Promise<Answered<T>>): Promise<T> {
    const released = await this.daily.reserve();
    const ticket = await this.pacer.acquire();
    // Cancelled while it waited for the app's budget, before this batch's first request: nothing goes.
    if (calls.count === 0 && calls.stopRequested?.()) {
      ticket.done();
      released();
      throw new WriteNotStarted();
    }
    calls.count += 1;
    // What the answer's rate-limit headers say goes to the pacer and the daily budget, error or not.
    const heard = (headers: Record<string, string>) => {
      ticket.done(headers);
      this.daily.afterResponse(headers);
      released();
    };
    try {
      const answer = await send();
      heard(headersOf(answer.headers));
      return answer.data;
    } catch (err) {
      heard(headersOf(typeof err === 'object' && err !== null ? (err as { headers?: unknown }).headers : undefined));
      const classification = classifyHubspotError(err);
      if (classification.reason === 'rate-limit' && classification.waitMs !== undefined) this.pacer.limited(classification.waitMs);
      throw toHubspotDestinationError(err, what);
    }
  }
}

/**
 * The HubSpot id stored for a record, unless it was stored for another object: HubSpot ids are per
 * object type, so a contact's id may name some company backflow never wrote.
 */
function storedIdOf(record: DestinationRecord): string | null {
  return record.idObject === undefined ? record.destinationId : null;
}

function carriesDates(records: ReadonlyArray<Pick<DestinationRecord, 'fields'>>): boolean {
  return records.some((record) => Object.values(record.fields).some(looksLikeDate));
}

function missing(record: DestinationRecord): RecordResult {
  return { key: record.key, status: 'rejected', error: { code: 'NO_RESULT', message: 'no answer was recorded for this record', fields: [] } };
}
