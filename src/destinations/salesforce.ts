import { Connection } from 'jsforce';
import type { SalesforceConnection } from '../config/schema';
import { BackflowError } from '../errors';
import type {
  Destination,
  DestinationField,
  DestinationLimits,
  DestinationRecord,
  RecordResult,
  WriteResult,
} from './destination';
import { toDestinationError } from './salesforceErrors';

/** sObject Collections take at most 200 records a request. */
export const SALESFORCE_COLLECTION_LIMIT = 200;

/** One result of a collections upsert as Salesforce sends it (errors carry `statusCode`). */
interface CollectionResult {
  id?: string | null;
  success: boolean;
  created?: boolean;
  errors?: Array<{ statusCode?: string; errorCode?: string; message?: string; fields?: string[] }>;
}

export class SalesforceDestination implements Destination {
  readonly limits: DestinationLimits = { maxBatchSize: SALESFORCE_COLLECTION_LIMIT, concurrency: 1 };
  private readonly connection: Connection;

  /** `config` has its secrets resolved already. */
  constructor(config: SalesforceConnection) {
    this.connection = new Connection({
      instanceUrl: config.instanceUrl,
      accessToken: config.accessToken,
      version: config.apiVersion,
    });
  }

  async describe(object: string): Promise<DestinationField[]> {
    try {
      const description = await this.connection.sobject(object).describe();
      return description.fields.map((field) => ({
        name: field.name,
        type: field.type,
        createable: field.createable,
        updateable: field.updateable,
        externalId: field.externalId,
        ...(field.length ? { length: field.length } : {}),
      }));
    } catch (err) {
      throw toDestinationError(err, `describe ${object}`);
    }
  }

  /**
   * Upserts by external id with sObject Collections, allOrNone false, so one bad record never
   * holds back the rest. Each result is mapped back to its warehouse key by position.
   */
  async upsert(object: string, externalIdField: string, records: readonly DestinationRecord[]): Promise<WriteResult> {
    if (records.length === 0) return { results: [], apiCalls: 0 };
    if (records.length > SALESFORCE_COLLECTION_LIMIT) {
      throw new BackflowError(
        'DESTINATION_REQUEST_INVALID',
        `a Salesforce collections request takes at most ${SALESFORCE_COLLECTION_LIMIT} records, got ${records.length}`,
      );
    }
    const payload = records.map((record) => ({ ...record.fields, [externalIdField]: record.key }));
    let raw: unknown;
    try {
      raw = await this.connection.sobject(object).upsert(payload, externalIdField, { allOrNone: false });
    } catch (err) {
      throw toDestinationError(err, `upsert ${object}`);
    }
    const answers = (Array.isArray(raw) ? raw : [raw]) as CollectionResult[];
    if (answers.length !== records.length) {
      throw toDestinationError(
        new Error(`answered ${answers.length} results for ${records.length} records`),
        `upsert ${object}`,
      );
    }
    const results = records.map((record, index): RecordResult => {
      const answer = answers[index] as CollectionResult;
      if (answer.success && answer.id) {
        return { key: record.key, status: 'ok', destinationId: answer.id, created: answer.created === true };
      }
      const error = answer.errors?.[0];
      return {
        key: record.key,
        status: 'rejected',
        error: {
          code: error?.statusCode ?? error?.errorCode ?? 'UNKNOWN_ERROR',
          message: (answer.errors ?? []).map((e) => e.message ?? '').join('; ') || 'rejected without a message',
          fields: [...new Set((answer.errors ?? []).flatMap((e) => e.fields ?? []))],
        },
      };
    });
    return { results, apiCalls: 1 };
  }
}
