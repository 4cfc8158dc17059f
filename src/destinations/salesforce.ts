import { Connection } from 'jsforce';
import type { SalesforceConnection } from '../config/schema';
import { BackflowError } from '../errors';
import type {
  Destination,
  DestinationField,
  DestinationLimits,
  DestinationRecord,
  RecordResult,
  TargetCheckInput,
  TargetIssue,
  WriteContext,
  WriteResult,
} from './destination';
import type { WriteOperation } from './modes';
import { WRITE_OPERATIONS } from './modes';
import { toDestinationError } from './salesforceErrors';
import { soqlInList } from './soql';
import type { SalesforceTarget } from './targets';

/** sObject Collections take at most 200 records a request. */
export const SALESFORCE_COLLECTION_LIMIT = 200;

/** A delete of a record that is already gone leaves the org as the sync wants it. */
const ALREADY_DELETED = new Set(['ENTITY_IS_DELETED', 'INVALID_CROSS_REFERENCE_KEY', 'NOT_FOUND']);

/** One result of a collections request as Salesforce sends it (errors carry `statusCode`). */
interface CollectionResult {
  id?: string | null;
  success: boolean;
  created?: boolean;
  errors?: Array<{ statusCode?: string; errorCode?: string; message?: string; fields?: string[] }>;
}

type Answer = { kind: 'written'; answer: CollectionResult } | { kind: 'done'; result: RecordResult };

export class SalesforceDestination implements Destination {
  readonly limits: DestinationLimits = { maxBatchSize: SALESFORCE_COLLECTION_LIMIT, concurrency: 1 };
  readonly operations = WRITE_OPERATIONS;
  private readonly connection: Connection;

  /** `config` has its secrets resolved already. */
  constructor(
    config: SalesforceConnection,
    private readonly target: SalesforceTarget,
  ) {
    this.connection = new Connection({
      instanceUrl: config.instanceUrl,
      accessToken: config.accessToken,
      version: config.apiVersion,
    });
  }

  /** The object's fields: the external id field must be one, mapped fields must exist and take writes. */
  async check(sync: TargetCheckInput): Promise<TargetIssue[]> {
    const { object, externalIdField } = this.target;
    const fields = new Map((await this.describe(object)).map((field) => [field.name, field]));
    const issues: TargetIssue[] = [];
    if (!fields.get(externalIdField)?.externalId) {
      issues.push({ path: 'destination.externalIdField', message: `${externalIdField} is not an external id field of ${object}` });
    }
    sync.mappings.forEach((mapping, index) => {
      const field = fields.get(mapping.to);
      const path = `mappings[${index}].to`;
      if (!field) issues.push({ path, message: `${object} has no field ${mapping.to}` });
      else if (!field.createable && !field.updateable) issues.push({ path, message: `${object}.${mapping.to} is read-only` });
    });
    return issues;
  }

  private async describe(object: string): Promise<DestinationField[]> {
    try {
      const description = await this.connection.sobject(object).describe();
      return description.fields.map((field) => ({
        name: field.name,
        type: field.type,
        createable: field.createable,
        updateable: field.updateable,
        externalId: field.externalId,
        ...(field.length ? { length: field.length } : {}),
        ...(field.type === 'picklist' || field.type === 'multipicklist'
          ? { options: (field.picklistValues ?? []).filter((v) => v.active).map((v) => v.value) }
          : {}),
      }));
    } catch (err) {
      throw toDestinationError(err, `describe ${object}`);
    }
  }

  /**
   * Every verb goes through sObject Collections with allOrNone false, so one bad record never holds
   * back the rest; results map back to warehouse keys by position.
   */
  async write(operation: WriteOperation, records: readonly DestinationRecord[], _context?: WriteContext): Promise<WriteResult> {
    const target = this.target;
    if (records.length === 0) return { results: [], apiCalls: 0 };
    if (records.length > SALESFORCE_COLLECTION_LIMIT) {
      throw new BackflowError(
        'DESTINATION_REQUEST_INVALID',
        `a Salesforce collections request takes at most ${SALESFORCE_COLLECTION_LIMIT} records, got ${records.length}`,
      );
    }
    switch (operation) {
      case 'upsert':
        return this.upsert(target, records);
      case 'insert':
        return this.insert(target, records);
      case 'update':
        return this.update(target, records);
      case 'delete':
        return this.delete(target, records);
    }
  }

  private async upsert(target: SalesforceTarget, records: readonly DestinationRecord[]): Promise<WriteResult> {
    const payload = records.map((record) => ({ ...record.fields, [target.externalIdField]: record.key }));
    const answers = await this.call(`upsert ${target.object}`, records.length, () =>
      this.connection.sobject(target.object).upsert(payload, target.externalIdField, { allOrNone: false }),
    );
    return { results: records.map((record, i) => toResult(record, answers[i] as CollectionResult, true)), apiCalls: 1 };
  }

  /** Creates only keys the org doesn't hold yet: one SOQL look-up, then one collections create. */
  private async insert(target: SalesforceTarget, records: readonly DestinationRecord[]): Promise<WriteResult> {
    const { existing, apiCalls } = await this.lookUp(target, records.map((r) => r.key));
    const fresh = records.filter((record) => !existing.has(record.key));
    const answers = fresh.length
      ? await this.call(`create ${target.object}`, fresh.length, () =>
          this.connection
            .sobject(target.object)
            .create(fresh.map((record) => ({ ...record.fields, [target.externalIdField]: record.key })), { allOrNone: false }),
        )
      : [];
    const byKey = new Map(fresh.map((record, i) => [record.key, answers[i] as CollectionResult]));
    const results = records.map((record): RecordResult => {
      const found = existing.get(record.key);
      if (found !== undefined) {
        return { key: record.key, status: 'skipped', reason: `insert mode: ${target.object} ${found} already has ${target.externalIdField} = ${record.key}`, destinationId: found };
      }
      return toResult(record, byKey.get(record.key) as CollectionResult, true, { created: true });
    });
    return { results, apiCalls: apiCalls + (fresh.length ? 1 : 0) };
  }

  /** Updates only records that exist: by the stored Id, else by looking the external id up. */
  private async update(target: SalesforceTarget, records: readonly DestinationRecord[]): Promise<WriteResult> {
    const unknown = records.filter((record) => record.destinationId === null).map((record) => record.key);
    const { existing, apiCalls } = unknown.length ? await this.lookUp(target, unknown) : { existing: new Map<string, string>(), apiCalls: 0 };
    const answersByKey = new Map<string, Answer>();
    const writes: Array<{ record: DestinationRecord; id: string }> = [];
    for (const record of records) {
      const id = record.destinationId ?? existing.get(record.key);
      if (id === undefined) {
        answersByKey.set(record.key, {
          kind: 'done',
          result: { key: record.key, status: 'skipped', reason: `update mode: no ${target.object} has ${target.externalIdField} = ${record.key}` },
        });
      } else writes.push({ record, id });
    }
    const answers = writes.length
      ? await this.call(`update ${target.object}`, writes.length, () =>
          this.connection.sobject(target.object).update(writes.map(({ record, id }) => ({ ...record.fields, Id: id })), { allOrNone: false }),
        )
      : [];
    writes.forEach(({ record }, i) => answersByKey.set(record.key, { kind: 'written', answer: answers[i] as CollectionResult }));
    const results = records.map((record): RecordResult => {
      const answer = answersByKey.get(record.key) as Answer;
      return answer.kind === 'done' ? answer.result : toResult(record, answer.answer, false, { created: false });
    });
    return { results, apiCalls: apiCalls + (writes.length ? 1 : 0) };
  }

  /** Deletes by the Ids backflow stored when it synced these keys; nothing else in the org is touched. */
  private async delete(target: SalesforceTarget, records: readonly DestinationRecord[]): Promise<WriteResult> {
    const withIds = records.filter((record) => record.destinationId !== null);
    const answers = withIds.length
      ? await this.call(`delete ${target.object}`, withIds.length, () =>
          this.connection.sobject(target.object).destroy(withIds.map((record) => record.destinationId as string), { allOrNone: false }),
        )
      : [];
    const byKey = new Map(withIds.map((record, i) => [record.key, answers[i] as CollectionResult]));
    const results = records.map((record): RecordResult => {
      const answer = byKey.get(record.key);
      // Without a stored Id backflow never created it, so there is nothing of ours to delete.
      if (!answer) return { key: record.key, status: 'ok', destinationId: '', created: false };
      const code = answer.errors?.[0]?.statusCode ?? answer.errors?.[0]?.errorCode;
      if (!answer.success && code !== undefined && ALREADY_DELETED.has(code)) {
        return { key: record.key, status: 'ok', destinationId: record.destinationId ?? '', created: false };
      }
      return toResult(record, { ...answer, id: answer.id ?? record.destinationId }, false, { created: false });
    });
    return { results, apiCalls: withIds.length ? 1 : 0 };
  }

  /** Salesforce Ids of the records holding these external ids, by SOQL in chunks that fit a query. */
  private async lookUp(target: SalesforceTarget, keys: readonly string[]): Promise<{ existing: Map<string, string>; apiCalls: number }> {
    const existing = new Map<string, string>();
    let apiCalls = 0;
    const field = target.externalIdField;
    try {
      let page = await this.connection.query<Record<string, unknown>>(
        `SELECT Id, ${field} FROM ${target.object} WHERE ${field} IN ${soqlInList(keys)}`,
      );
      apiCalls++;
      for (;;) {
        for (const row of page.records) {
          const value = row[field];
          if (typeof value === 'string' && typeof row.Id === 'string') existing.set(value, row.Id);
        }
        if (page.done || !page.nextRecordsUrl) break;
        page = await this.connection.queryMore<Record<string, unknown>>(page.nextRecordsUrl);
        apiCalls++;
      }
    } catch (err) {
      throw toDestinationError(err, `look up ${target.object} by ${field}`);
    }
    return { existing, apiCalls };
  }

  private async call(what: string, expected: number, request: () => Promise<unknown>): Promise<CollectionResult[]> {
    let raw: unknown;
    try {
      raw = await request();
    } catch (err) {
      throw toDestinationError(err, what);
    }
    const answers = (Array.isArray(raw) ? raw : [raw]) as CollectionResult[];
    if (answers.length !== expected) {
      throw toDestinationError(new Error(`answered ${answers.length} results for ${expected} records`), what);
    }
    return answers;
  }
}

function toResult(
  record: DestinationRecord,
  answer: CollectionResult,
  createdFromAnswer: boolean,
  fixed: { created?: boolean } = {},
): RecordResult {
  if (answer.success && answer.id) {
    const created = fixed.created ?? (createdFromAnswer && answer.created === true);
    return { key: record.key, status: 'ok', destinationId: answer.id, created };
  }
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
