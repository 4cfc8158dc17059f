import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { z } from 'zod';
import type { MetaAudienceConnection } from '../config/schema';
import { BackflowError, DestinationBatchRejected, DestinationTransientError } from '../errors';
import type { Destination, DestinationLimits, DestinationRecord, PlannedRecord, RecordError, RecordResult, TargetCheckInput, TargetIssue, WriteContext, WriteResult } from './destination';
import { nothingToDelete } from './destination';
import { withApiCalls } from './failedWriteCalls';
import type { WriteOperation } from './modes';
import { toMetaError } from './metaErrors';
import { hashRow, hasMainIdentifier, isMetaKey, MAIN_KEYS, META_KEYS, memberId, parseMemberId, payloadData, schemaOf, unusableIdentifiers, type HashedRow, type MetaKey } from './metaHashing';
import { isProcessingKey, PROCESSING_KEYS, processingCells, type ProcessingCell, type ProcessingKey } from './metaProcessingOptions';
import type { MetaAudienceTarget } from './metaTarget';

/** Meta takes at most 10,000 rows per users request (adds and removals alike). */
export const META_MAX_ROWS = 10_000;
/** The destination id of a row synced with no member: no main identifier left (MAIN_KEYS), its old member (if any) removed. */
export const NO_MEMBER = memberId({});
export const DEFAULT_GRAPH_URL = 'https://graph.facebook.com';
/** The SDK sets no timeout of its own; a request hanging longer is retried. */
const REQUEST_TIMEOUT_MS = 60_000;

interface FacebookAdsApiLike {
  call(method: string, path: string, params?: object, files?: object, multipart?: boolean): Promise<Record<string, unknown>>;
}
interface FacebookAdsApiClass {
  new (accessToken: string, locale?: string, crashLog?: boolean): FacebookAdsApiLike;
  _encodeParams(params: object): string;
  readonly SDK_VERSION: string;
}
// The SDK ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { FacebookAdsApi } = require('facebook-nodejs-business-sdk') as { FacebookAdsApi: FacebookAdsApiClass };

interface HttpAnswer {
  status: number;
  data: unknown;
  headers: Record<string, unknown>;
}
/**
 * The SDK's HTTP client (axios, resolved from the SDK's own package: the instance its calls go
 * through, with the same proxy settings). FacebookAdsApi.call sends a DELETE's parameters in the
 * query string only, which cannot hold a 10,000-row payload; Meta documents the removal with a form
 * body (`curl -X DELETE -F payload=…`), so removals are sent that way on the SDK's transport.
 */
const sdkHttp = createRequire(require.resolve('facebook-nodejs-business-sdk'))('axios') as { request(config: object): Promise<HttpAnswer> };

const usersAnswerSchema = z.looseObject({
  num_received: z.number().optional(),
  num_invalid_entries: z.number().optional(),
  invalid_entry_samples: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
});

/** Where a batch stands across attempts: each request is made once, even when an answer was lost (re-sending is harmless: membership is a set). */
const progressSchema = z.object({
  removed: z.boolean().default(false),
  /** Meta's answer to each add request, by its rows' keys (a bisected batch makes one per part). */
  adds: z.record(z.string(), z.object({ invalid: z.record(z.string(), z.string()), numInvalid: z.number() })).default({}),
});
type Progress = z.infer<typeof progressSchema>;

/**
 * Meta Custom Audiences: rows entering the model become audience members (POST /{audience}/users),
 * rows leaving it (mirror) are removed (DELETE), identifiers normalised and SHA-256 hashed here —
 * raw PII never leaves the worker. A member's destination id is its hashed identifiers, so removal
 * (and a changed email, which removes the old member) sends exactly what was added. A synced row
 * left with no main identifier (an opt-out) has its member removed and is synced as NO_MEMBER.
 * A row Meta samples in `invalid_entry_samples` is rejected with its reason; when
 * `num_invalid_entries` counts more rows than the samples name, the batch is split until every
 * invalid row is found. Reads and adds go through facebook-nodejs-business-sdk's FacebookAdsApi.call
 * with a full URL, so the connection's graphUrl and apiVersion apply (the SDK's own path form pins
 * graph.facebook.com and its version); removals go through the SDK's HTTP client with a form body
 * (see sdkHttp).
 */
export class MetaAudienceDestination implements Destination {
  readonly limits: DestinationLimits = { maxBatchSize: META_MAX_ROWS, concurrency: 1 };
  readonly operations: readonly WriteOperation[] = ['upsert', 'delete'];
  private readonly api: FacebookAdsApiLike;
  private readonly base: string;
  /** The users requests of the write under way, for a write that fails (see withApiCalls). */
  private usersRequests = 0;

  constructor(
    private readonly config: MetaAudienceConnection,
    private readonly target: MetaAudienceTarget,
  ) {
    // crashLog false: the SDK would otherwise install a process-wide handler reporting crashes to Meta.
    this.api = new FacebookAdsApi(config.accessToken, 'en_US', false);
    this.base = `${(config.graphUrl ?? DEFAULT_GRAPH_URL).replace(/\/+$/, '')}/${config.apiVersion}`;
  }

  /** Every mapping goes to a customer-file key, one at least to a main identifier (MAIN_KEYS). */
  checkOffline(sync: TargetCheckInput): TargetIssue[] {
    const issues: TargetIssue[] = [];
    sync.mappings.forEach((mapping, index) => {
      if (!isMetaKey(mapping.to) && !isProcessingKey(mapping.to)) {
        issues.push({ path: `mappings[${index}].to`, message: `${mapping.to} is not a Meta customer-file key (${[...META_KEYS, ...PROCESSING_KEYS].join(', ')})` });
      }
    });
    const mapped = new Set(sync.mappings.map((mapping) => mapping.to));
    if (issues.length === 0 && !MAIN_KEYS.some((key) => mapped.has(key))) {
      issues.push({
        path: 'mappings',
        message: `map one of Meta's main identifiers (${MAIN_KEYS.join(', ')}): ${[...mapped].join(', ')} alone identify nobody, so every row would be rejected`,
      });
    }
    return issues;
  }

  /** The token works and the audience exists. */
  async check(): Promise<TargetIssue[]> {
    await this.request('GET', this.target.audienceId, { fields: 'id,name' }, `read audience ${this.target.audienceId}`);
    return [];
  }

  async write(operation: WriteOperation, records: readonly DestinationRecord[], context: WriteContext): Promise<WriteResult> {
    if (operation !== 'upsert' && operation !== 'delete') throw new BackflowError('MODE_NOT_SUPPORTED', `a Meta audience cannot ${operation}`);
    if (records.length > META_MAX_ROWS) {
      throw new BackflowError('DESTINATION_REQUEST_INVALID', `a Meta users request takes at most ${META_MAX_ROWS} rows, got ${records.length}`);
    }
    const progress = parseProgress(context.checkpoint);
    const save = () => context.saveCheckpoint(JSON.stringify(progress));
    this.usersRequests = 0;
    try {
      return await (operation === 'delete' ? this.removeLeaving(records, progress, save) : this.add(records, progress, save));
    } catch (err) {
      throw withApiCalls(err, this.usersRequests);
    }
  }

  private async add(records: readonly DestinationRecord[], progress: Progress, save: () => Promise<void>): Promise<WriteResult> {
    const { schema, processing } = schemaFor(records);
    const results = new Map<string, RecordResult>();
    const adds: Array<{ record: DestinationRecord; row: HashedRow; options: ProcessingCell[] }> = [];
    const removals: HashedRow[] = [];
    for (const record of records) {
      const unusable = unusableIdentifiers(record.fields, schema);
      const options = processingCells(record.fields, processing);
      if (unusable || 'error' in options) {
        results.set(record.key, { key: record.key, status: 'rejected', error: mergedErrors(unusable, 'error' in options ? options.error : undefined) });
        continue;
      }
      const row = hashRow(record.fields, schema);
      const old = parseMemberId(record.destinationId);
      const hadMember = old !== null && Object.keys(old).length > 0;
      if (!hasMainIdentifier(row)) {
        if (record.destinationId !== null) {
          // Synced before, its email and phone now empty (an opt-out): the row wants no member, so its
          // old one is removed and the row is synced as having none — rejecting it would leave the
          // person in the audience and re-send (and reject) the row every run. What is left (a
          // country, the EXTERN_ID) identifies nobody: added, it kept a member for the person.
          if (hadMember) removals.push(old);
          results.set(record.key, { key: record.key, status: 'ok', destinationId: NO_MEMBER, created: false });
          continue;
        }
        results.set(record.key, { key: record.key, status: 'rejected', error: noIdentifiers(row, schema) });
        continue;
      }
      // A changed identifier (a new email) is a different person to Meta: take the old one out.
      if (hadMember && memberId(old) !== memberId(row)) removals.push(old);
      adds.push({ record, row, options: options.cells });
    }
    // Removals first: a row of this batch sharing an identifier with a removed member is re-added after.
    let apiCalls = await this.remove(removals, progress, save);
    const part = partKey(adds.map((a) => a.record.key));
    if (adds.length > 0 && !progress.adds[part]) {
      const answer = await this.users('POST', adds.map((a) => a.row), schema, { keys: processing, cells: adds.map((a) => a.options) });
      apiCalls++;
      progress.adds[part] = { invalid: invalidSamples(answer.invalid_entry_samples), numInvalid: answer.num_invalid_entries ?? 0 };
      await save();
    }
    const answer = progress.adds[part] ?? { invalid: {}, numInvalid: 0 };
    // A Map: a plain object would also "hold" inherited names, so an EXTERN_ID of `constructor` looked invalid.
    const invalid = new Map(Object.entries(answer.invalid));
    const unnamed: typeof adds = [];
    for (const add of adds) {
      const bad = Object.entries(add.row).find(([, value]) => invalid.has(value));
      if (bad) results.set(add.record.key, { key: add.record.key, status: 'rejected', error: { code: 'META_INVALID_ENTRY', message: `Meta: ${invalid.get(bad[1]) ?? 'invalid entry'}`, fields: [bad[0]] } });
      else unnamed.push(add);
    }
    // Meta counts every invalid row but samples only some: how many it counted without naming them.
    const unnamedInvalidRows = answer.numInvalid - (adds.length - unnamed.length);
    if (unnamedInvalidRows > 0 && unnamedInvalidRows < unnamed.length) {
      // Which of the unnamed rows they are cannot be told: the engine splits the batch until each
      // part's count settles it (re-adding the valid rows is harmless).
      throw new DestinationBatchRejected(
        `Meta counted ${answer.numInvalid} invalid entries among ${adds.length} rows but its samples name ${adds.length - unnamed.length}`,
        'META_INVALID_ENTRY',
        [],
        apiCalls,
      );
    }
    for (const { record, row } of unnamed) {
      results.set(
        record.key,
        unnamedInvalidRows > 0
          ? { key: record.key, status: 'rejected', error: unnamedInvalid(answer.numInvalid, adds.length) }
          : { key: record.key, status: 'ok', destinationId: memberId(row), created: record.destinationId === null },
      );
    }
    return { results: records.map((record) => results.get(record.key) as RecordResult), apiCalls };
  }

  /** A mirror delete of a row with no member stored (never added, or synced as NO_MEMBER) removes nothing. */
  sendsNothingFor(operation: WriteOperation, record: PlannedRecord): boolean {
    return operation === 'delete' && storedMember(record.destinationId) === null;
  }

  /**
   * Mirror: removes the members backflow added for rows that left the model (by their stored hashed
   * identifiers). A row without one has nothing to remove: answered skipped, not deleted.
   */
  private async removeLeaving(records: readonly DestinationRecord[], progress: Progress, save: () => Promise<void>): Promise<WriteResult> {
    const rows = records.map((record) => storedMember(record.destinationId)).filter((row): row is HashedRow => row !== null);
    const apiCalls = await this.remove(rows, progress, save);
    const results = records.map((record): RecordResult => {
      if (storedMember(record.destinationId) !== null) return { key: record.key, status: 'ok', destinationId: record.destinationId ?? '', created: false };
      return record.destinationId === NO_MEMBER ? nothingToDelete(record.key, 'the row was synced with no audience member (its identifiers were empty)') : nothingToDelete(record.key);
    });
    return { results, apiCalls };
  }

  /**
   * Removes members in one request, once per batch. It is within Meta's per-request limit: a batch
   * holds at most META_MAX_ROWS records (write refuses more) and each gives at most one removal row.
   */
  private async remove(rows: readonly HashedRow[], progress: Progress, save: () => Promise<void>): Promise<number> {
    if (rows.length === 0 || progress.removed) return 0;
    await this.users('DELETE', rows);
    progress.removed = true;
    await save();
    return 1;
  }

  /** One users call; an add may carry Limited Data Use columns after the identifiers (`options.cells` row by row). */
  private async users(
    method: 'POST' | 'DELETE',
    rows: readonly HashedRow[],
    schema?: readonly MetaKey[],
    options: { keys: readonly ProcessingKey[]; cells: ProcessingCell[][] } = { keys: [], cells: [] },
  ): Promise<z.infer<typeof usersAnswerSchema>> {
    const keys = schema ?? schemaOf(rows.flatMap((row) => Object.keys(row)));
    const data: Array<Array<string | ProcessingCell>> = payloadData(rows, keys).map((cells, i) => [...cells, ...(options.cells[i] ?? [])]);
    const payload = { schema: [...keys, ...options.keys], data };
    const path = `${this.target.audienceId}/users`;
    this.usersRequests++;
    const answer =
      method === 'POST'
        ? await this.request('POST', path, { payload }, `add ${rows.length} audience members`)
        : await this.requestWithForm('DELETE', path, { payload }, `remove ${rows.length} audience members`);
    return usersAnswerSchema.parse(answer);
  }

  /** One Graph call, the way the SDK sends it: POST params as a JSON body, GET's in the query string, access_token in the query. */
  private async request(method: 'GET' | 'POST', path: string, params: object, what: string): Promise<Record<string, unknown>> {
    const query = FacebookAdsApi._encodeParams({ access_token: this.config.accessToken, ...(method === 'POST' ? {} : params) });
    const url = `${this.base}/${path}?${query}`;
    return this.timed(what, () => this.api.call(method, url, method === 'POST' ? params : {}, {}, false));
  }

  /**
   * One Graph call with its params as a form body (objects JSON-encoded, as the SDK encodes them),
   * access_token in the query string as the SDK sends it: how Meta documents DELETE /{audience}/users.
   * Any answer is read here — one that is not JSON (an HTML page refusing a request as too large)
   * keeps its status, which the SDK's error would lose.
   */
  private async requestWithForm(method: 'DELETE', path: string, params: object, what: string): Promise<Record<string, unknown>> {
    const url = `${this.base}/${path}?${FacebookAdsApi._encodeParams({ access_token: this.config.accessToken })}`;
    return this.timed(what, async () => {
      const answer = await sdkHttp.request({
        method,
        url,
        data: FacebookAdsApi._encodeParams(params),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': `fbbizsdk-nodejs-v${FacebookAdsApi.SDK_VERSION}` },
        responseType: 'text',
        transformResponse: [(data: unknown) => data],
        validateStatus: () => true,
        // Ends the socket too when the race below gives up on it.
        timeout: REQUEST_TIMEOUT_MS,
      });
      const body = parseJson(answer.data);
      if (answer.status >= 200 && answer.status < 300 && typeof body === 'object' && body !== null) return body as Record<string, unknown>;
      const graphError = typeof body === 'object' && body !== null ? ((body as { error?: unknown }).error ?? body) : null;
      throw Object.assign(new Error(`HTTP ${answer.status}`), {
        status: answer.status,
        response: graphError,
        headers: answer.headers,
        rawBody: graphError === null ? answer.data : undefined,
      });
    });
  }

  /** Runs a call with REQUEST_TIMEOUT_MS (the SDK sets no timeout of its own) and types its failure. */
  private async timed(what: string, call: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DestinationTransientError(`Meta ${what}: no answer within ${REQUEST_TIMEOUT_MS / 1000} s`, 'timeout')), REQUEST_TIMEOUT_MS);
    });
    try {
      return await Promise.race([call(), timeout]);
    } catch (err) {
      throw toMetaError(err, what);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A JSON answer body, or undefined when it is not JSON. */
function parseJson(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

function parseProgress(checkpoint: string | null): Progress {
  const fresh: Progress = { removed: false, adds: {} };
  if (checkpoint === null) return fresh;
  const parsed = progressSchema.safeParse(JSON.parse(checkpoint));
  return parsed.success ? parsed.data : fresh;
}

/** One add request's rows, by their keys: short, and the same on every attempt. */
function partKey(keys: readonly string[]): string {
  return createHash('sha256').update(keys.join('\u0000'), 'utf8').digest('hex');
}

/** Every row Meta counted invalid without a sample is one of these: it says how many, not which or why. */
/** Why a row never synced is not sent: nothing left after normalisation, or nothing that names a person. */
function noIdentifiers(row: HashedRow, schema: readonly MetaKey[]): RecordError {
  const left = schema.filter((key) => row[key] !== undefined);
  if (left.length === 0) return { code: 'NO_IDENTIFIERS', message: `every identifier is empty after normalisation (${schema.join(', ')})`, fields: [...schema] };
  const main = schema.filter((key) => MAIN_KEYS.includes(key));
  return {
    code: 'NO_IDENTIFIERS',
    message: `no main identifier (${main.join(', ')}) after normalisation: ${left.join(', ')} alone identify nobody to Meta`,
    fields: main,
  };
}

function unnamedInvalid(numInvalid: number, rows: number): RecordError {
  const message =
    rows === 1
      ? 'Meta counted this row invalid (num_invalid_entries) without a sample saying why'
      : `Meta counted ${numInvalid} of ${rows} rows invalid (num_invalid_entries) without samples naming them all; this row is one of them`;
  return { code: 'META_INVALID_ENTRY', message, fields: [] };
}

/** The Meta keys a batch carries, identifiers and Limited Data Use columns; a mapped field that is neither is a configuration error. */
function schemaFor(records: readonly DestinationRecord[]): { schema: MetaKey[]; processing: ProcessingKey[] } {
  const names = new Set(records.flatMap((record) => Object.keys(record.fields)));
  const unknown = [...names].filter((name) => !isMetaKey(name) && !isProcessingKey(name));
  if (unknown.length > 0) {
    throw new BackflowError('CONFIG_INVALID', `mappings' to must be Meta customer-file keys (${[...META_KEYS, ...PROCESSING_KEYS].join(', ')}); not: ${unknown.join(', ')}`);
  }
  return { schema: schemaOf(names), processing: PROCESSING_KEYS.filter((key) => names.has(key)) };
}

/** The member a row's destination id names, or null for none (never added, or synced as NO_MEMBER). */
function storedMember(destinationId: string | null): HashedRow | null {
  const row = parseMemberId(destinationId);
  return row !== null && Object.keys(row).length > 0 ? row : null;
}

/** A row's identifier and processing-option problems as one rejection, naming every field. */
function mergedErrors(first: RecordError | undefined, second: RecordError | undefined): RecordError {
  if (!first || !second) return (first ?? second) as RecordError;
  return { code: first.code, message: `${first.message}; ${second.message}`, fields: [...first.fields, ...second.fields] };
}

/** `invalid_entry_samples` as value → reason (Meta sends an object; tolerate a list of values). */
function invalidSamples(samples: unknown): Record<string, string> {
  if (Array.isArray(samples)) return Object.fromEntries(samples.filter((s): s is string => typeof s === 'string').map((s) => [s, 'invalid entry']));
  if (typeof samples !== 'object' || samples === null) return {};
  return Object.fromEntries(Object.entries(samples).map(([value, reason]) => [value, typeof reason === 'string' ? reason : 'invalid entry']));
}
