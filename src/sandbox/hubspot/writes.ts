/**
 * Batch writes: `batch/upsert`, `batch/create`, `batch/update`, `batch/archive`, and the single-record
 * create (`POST`), update (`PATCH`) and archive (`DELETE`), which run one input through the same steps.
 *
 * Which failures sink the whole request and which are per record follows HubSpot:
 * - malformed body, more than 100 inputs, two inputs naming the same record, an `idProperty`
 *   that is not unique: 400 for the whole request, nothing applied;
 * - invalid property values (unknown property, bad option, bad email, not a number, read-only) and
 *   unique-value conflicts: when EVERY input carries an `objectWriteTraceId` (HubSpot's switch for
 *   multi-status), the valid inputs are applied and the rest are reported in a 207 with
 *   `context.objectWriteTraceId`; otherwise the first invalid input fails the whole request (400 /
 *   409) and nothing is written — also when the conflict is between two inputs of the batch.
 */

import { z } from 'zod';

import {
  batchObjectsNotFound,
  conflict,
  duplicateIds,
  HubspotApiError,
  nonUniqueIdProperty,
  objectNotFound,
  tooManyInputs,
  validationError,
  type BatchError,
} from './errors';
import { idValue, parseBody, renderWritten, type ApiResponse } from './render';
import type { AccountSchema, ObjectTypeDef } from './schema';
import { uniqueKey, type RecordStore } from './store';
import type { HubspotRecord } from './types';
import { propertyErrorDetails, propertyErrorsMessage, validateProperties, validateValue, type PropertyError } from './validation';

export const MAX_BATCH_INPUTS = 100;

export interface WriteContext {
  schema: AccountSchema;
  store: RecordStore;
  now: () => Date;
}

const properties = z.record(z.string(), z.unknown());
const traceId = z.string().optional();

const upsertBody = z.object({
  inputs: z.array(z.object({ id: idValue, idProperty: z.string().optional(), properties, objectWriteTraceId: traceId })),
});
const createBody = z.object({
  inputs: z.array(z.object({ properties, associations: z.array(z.unknown()).optional(), objectWriteTraceId: traceId })),
});
const updateBody = z.object({
  inputs: z.array(z.object({ id: idValue, idProperty: z.string().optional(), properties, objectWriteTraceId: traceId })),
});
const archiveBody = z.object({ inputs: z.array(z.object({ id: idValue })) });
const createOneBody = z.object({ properties, associations: z.array(z.unknown()).optional() });
const updateOneBody = z.object({ properties });

type CreateInput = z.infer<typeof createBody>['inputs'][number];
type UpdateInput = z.infer<typeof updateBody>['inputs'][number];
type Applied = { ok: true; result: Record<string, unknown> } | { ok: false; failure: InputFailure };

/** The unique values an input would give its record (`owner`: the existing record, or none for a new one). */
interface Claim {
  owner: string | undefined;
  values: Record<string, string>;
}

type Prepared<P> = { ok: true; plan: P; claim: Claim } | { ok: false; failure: InputFailure };

/** Why one input was not applied. */
interface InputFailure {
  category: 'VALIDATION_ERROR' | 'CONFLICT';
  status: number;
  message: string;
  errors?: BatchError['errors'];
}

function checkSize(count: number): void {
  if (count > MAX_BATCH_INPUTS) throw tooManyInputs(MAX_BATCH_INPUTS);
}

/** Multi-status answers are switched on by a trace id on every input. */
function multiStatus(inputs: Array<{ objectWriteTraceId?: string | undefined }>): boolean {
  return inputs.length > 0 && inputs.every((i) => typeof i.objectWriteTraceId === 'string' && i.objectWriteTraceId !== '');
}

function rejectDuplicates(keys: Array<{ key: string; shown: string }>): void {
  const seen = new Set<string>();
  const dupes: string[] = [];
  for (const { key, shown } of keys) {
    if (seen.has(key) && !dupes.includes(shown)) dupes.push(shown);
    seen.add(key);
  }
  if (dupes.length > 0) throw duplicateIds(dupes);
}

function requireIdProperty(ctx: WriteContext, def: ObjectTypeDef, idProperty: string): void {
  if (!def.idProperties.has(idProperty)) throw nonUniqueIdProperty(def.objectTypeId, idProperty, ctx.schema.portalId);
}

function propertyFailure(errors: PropertyError[], portalId: number): InputFailure {
  return {
    category: 'VALIDATION_ERROR',
    status: 400,
    message: propertyErrorsMessage(errors, portalId),
    errors: propertyErrorDetails(errors),
  };
}

function conflictFailure(def: ObjectTypeDef, property: string, id: string): InputFailure {
  const message =
    def.kind === 'contacts' && property === 'email'
      ? `Contact already exists. Existing ID: ${id}`
      : `A ${def.messageLabel} with the unique value of property ${property} already exists. Existing ID: ${id}`;
  return { category: 'CONFLICT', status: 409, message };
}

/** A unique value two new records of one batch would share. HubSpot documents no message for it. */
function inBatchConflictFailure(property: string, value: string): InputFailure {
  return { category: 'CONFLICT', status: 409, message: `Duplicate values of unique property ${property} found in batch input: [${value}]` };
}

/**
 * Records `claim`'s unique values in `claimed` (value key → claiming record), or says how it clashes
 * with an earlier input's: the conflict HubSpot would report once that input had been written.
 */
function claimUniqueValues(def: ObjectTypeDef, claimed: Map<string, { owner: string | undefined }>, claim: Claim): InputFailure | undefined {
  const keys: string[] = [];
  for (const property of def.idProperties) {
    const value = claim.values[property];
    if (value === undefined || value === '') continue;
    const key = `${property}\u0000${uniqueKey(property, value)}`;
    const holder = claimed.get(key);
    if (holder !== undefined && (holder.owner === undefined || holder.owner !== claim.owner)) {
      return holder.owner === undefined ? inBatchConflictFailure(property, value) : conflictFailure(def, property, holder.owner);
    }
    keys.push(key);
  }
  for (const key of keys) claimed.set(key, { owner: claim.owner });
  return undefined;
}

/** The whole-request form of the first failure (no multi-status). */
function wholeRequestError(failure: InputFailure): HubspotApiError {
  if (failure.category === 'VALIDATION_ERROR') {
    return validationError(failure.message, failure.errors === undefined ? {} : { errors: failure.errors });
  }
  return conflict(failure.message);
}

function batchError(failure: InputFailure, trace: string | undefined): BatchError {
  const error: BatchError = {
    status: 'error',
    category: failure.category,
    message: failure.message,
    context: trace === undefined ? {} : { objectWriteTraceId: [trace] },
  };
  if (failure.errors !== undefined) error.errors = failure.errors;
  return error;
}

function stamp(ctx: WriteContext, previous: HubspotRecord | undefined): string {
  // Strictly after the previous write, so updatedAt moves even within one millisecond.
  const now = ctx.now().getTime();
  const last = previous === undefined ? 0 : Date.parse(previous.updatedAt) + 1;
  return new Date(Math.max(now, last)).toISOString();
}

function applyCreate(ctx: WriteContext, def: ObjectTypeDef, values: Record<string, string>): HubspotRecord {
  const id = ctx.store.allocateId();
  const at = stamp(ctx, undefined);
  const record: HubspotRecord = {
    id,
    properties: { ...values, hs_object_id: id, [def.createdProperty]: at, [def.modifiedProperty]: at },
    createdAt: at,
    updatedAt: at,
    archived: false,
  };
  if (def.kind === 'companies') record.properties['hs_createdate'] = at;
  ctx.store.put(def, record);
  return record;
}

function applyUpdate(ctx: WriteContext, def: ObjectTypeDef, existing: HubspotRecord, values: Record<string, string>): HubspotRecord {
  const at = stamp(ctx, existing);
  const record: HubspotRecord = {
    ...existing,
    properties: { ...existing.properties, ...values, [def.modifiedProperty]: at },
    updatedAt: at,
  };
  ctx.store.put(def, record);
  return record;
}

interface Outcome {
  results: Array<Record<string, unknown>>;
  errors: BatchError[];
  startedAt: string;
}

function answer(outcome: Outcome, okStatus: number, now: () => Date): ApiResponse {
  const body: Record<string, unknown> = { status: 'COMPLETE', results: outcome.results };
  if (outcome.errors.length > 0) {
    body['numErrors'] = outcome.errors.length;
    body['errors'] = outcome.errors;
  }
  body['startedAt'] = outcome.startedAt;
  body['completedAt'] = now().toISOString();
  return { status: outcome.errors.length > 0 ? 207 : okStatus, body, wrote: outcome.results.length > 0 };
}

/**
 * Runs `prepare` on every input first (validation and unique-value checks against the store as
 * it is). Without multi-status the first input that fails — on its own, or by claiming a unique
 * value an earlier input of the batch claims — aborts before anything is written. Then applies the
 * prepared inputs in order; with multi-status, `apply` re-checks conflicts between inputs of the
 * same batch, so the earlier one lands and the later one is reported.
 */
function runBatch<I extends { objectWriteTraceId?: string | undefined }, P>(
  ctx: WriteContext,
  def: ObjectTypeDef,
  inputs: I[],
  prepare: (input: I) => Prepared<P>,
  apply: (plan: P, input: I) => Applied,
): Outcome {
  const startedAt = ctx.now().toISOString();
  const partial = multiStatus(inputs);
  const prepared = inputs.map((input) => ({ input, prep: prepare(input) }));
  if (!partial) {
    const claimed = new Map<string, { owner: string | undefined }>();
    for (const { prep } of prepared) {
      if (!prep.ok) throw wholeRequestError(prep.failure);
      const clash = claimUniqueValues(def, claimed, prep.claim);
      if (clash !== undefined) throw wholeRequestError(clash);
    }
  }
  const results: Array<Record<string, unknown>> = [];
  const errors: BatchError[] = [];
  for (const { input, prep } of prepared) {
    if (!prep.ok) {
      errors.push(batchError(prep.failure, input.objectWriteTraceId));
      continue;
    }
    const applied = apply(prep.plan, input);
    if (applied.ok) {
      results.push(input.objectWriteTraceId === undefined ? applied.result : { ...applied.result, objectWriteTraceId: input.objectWriteTraceId });
    } else if (partial) {
      errors.push(batchError(applied.failure, input.objectWriteTraceId));
    } else {
      // Unreachable: without multi-status every conflict was found above, before any write.
      throw wholeRequestError(applied.failure);
    }
  }
  return { results, errors, startedAt };
}

export function batchUpsert(ctx: WriteContext, def: ObjectTypeDef, rawBody: string | undefined): ApiResponse {
  const { inputs } = parseBody(upsertBody, rawBody);
  checkSize(inputs.length);
  for (const input of inputs) {
    if (input.idProperty === undefined || input.idProperty === '') throw validationError('idProperty is required for every input of a batch upsert');
    requireIdProperty(ctx, def, input.idProperty);
  }
  rejectDuplicates(inputs.map((i) => ({ key: `${i.idProperty ?? ''}\u0000${uniqueKey(i.idProperty ?? '', i.id)}`, shown: i.id })));

  const outcome = runBatch(
    ctx,
    def,
    inputs,
    (input) => {
      const idProperty = input.idProperty ?? '';
      const { values, errors } = validateProperties(def.properties, input.properties);
      // The id value is written to the id property, so it must be a valid value of it.
      const idDef = def.properties.get(idProperty);
      if (idDef !== undefined) {
        const checked = validateValue(idDef, input.id);
        if (checked.ok) values[idProperty] = checked.value;
        else errors.push(checked.error);
      }
      if (errors.length > 0) return { ok: false, failure: propertyFailure(errors, ctx.schema.portalId) };
      const owner = ctx.store.findBy(def, idProperty, input.id)?.id;
      const clash = ctx.store.conflict(def, values, owner);
      if (clash !== undefined) return { ok: false, failure: conflictFailure(def, clash.property, clash.id) };
      return { ok: true, plan: { idProperty, values }, claim: { owner, values } };
    },
    ({ idProperty, values }, input) => {
      const existing = ctx.store.findBy(def, idProperty, input.id);
      const clash = ctx.store.conflict(def, values, existing?.id);
      if (clash !== undefined) return { ok: false, failure: conflictFailure(def, clash.property, clash.id) };
      const record = existing === undefined ? applyCreate(ctx, def, values) : applyUpdate(ctx, def, existing, values);
      return { ok: true, result: { ...renderWritten(def, record, Object.keys(values)), new: existing === undefined } };
    },
  );
  return answer(outcome, 200, ctx.now);
}

/** Checking and writing one create input: batch create and single create alike. */
function createSteps(ctx: WriteContext, def: ObjectTypeDef) {
  return {
    prepare: (input: CreateInput): Prepared<Record<string, string>> => {
      const { values, errors } = validateProperties(def.properties, input.properties);
      if (errors.length > 0) return { ok: false, failure: propertyFailure(errors, ctx.schema.portalId) };
      const clash = ctx.store.conflict(def, values, undefined);
      if (clash !== undefined) return { ok: false, failure: conflictFailure(def, clash.property, clash.id) };
      return { ok: true, plan: values, claim: { owner: undefined, values } };
    },
    apply: (values: Record<string, string>): Applied => {
      const clash = ctx.store.conflict(def, values, undefined);
      if (clash !== undefined) return { ok: false, failure: conflictFailure(def, clash.property, clash.id) };
      const record = applyCreate(ctx, def, values);
      return { ok: true, result: renderWritten(def, record, Object.keys(values)) };
    },
  };
}

export function batchCreate(ctx: WriteContext, def: ObjectTypeDef, rawBody: string | undefined): ApiResponse {
  const { inputs } = parseBody(createBody, rawBody);
  checkSize(inputs.length);
  const { prepare, apply } = createSteps(ctx, def);
  const outcome = runBatch(ctx, def, inputs, prepare, apply);
  // Batch create answers 201 Created (the client's response processor expects it).
  return answer(outcome, 201, ctx.now);
}

/**
 * `POST /crm/v3/objects/{type}`: 201 with the record. One input without a trace id, so a bad value
 * is the request's 400 and a taken unique value its 409, as HubSpot answers them.
 */
export function createOne(ctx: WriteContext, def: ObjectTypeDef, rawBody: string | undefined): ApiResponse {
  const input: CreateInput = parseBody(createOneBody, rawBody);
  const { prepare, apply } = createSteps(ctx, def);
  const [result] = runBatch(ctx, def, [input], prepare, apply).results;
  return { status: 201, body: result, wrote: true };
}

export function batchUpdate(ctx: WriteContext, def: ObjectTypeDef, rawBody: string | undefined): ApiResponse {
  const { inputs } = parseBody(updateBody, rawBody);
  checkSize(inputs.length);
  // Batch update names a record by its id, or by a property with unique values: not by a contact's
  // email (upsert and read take it; update answers HubSpot's "non-unique 0-1 property" 400), nor by
  // hs_object_id as an idProperty (the id goes in `id` with no idProperty).
  for (const input of inputs) {
    if (input.idProperty !== undefined && !def.properties.get(input.idProperty)?.hasUniqueValue) {
      throw nonUniqueIdProperty(def.objectTypeId, input.idProperty, ctx.schema.portalId);
    }
  }
  rejectDuplicates(inputs.map((i) => ({ key: `${i.idProperty ?? ''}\u0000${uniqueKey(i.idProperty ?? '', i.id)}`, shown: i.id })));

  // Records that do not exist are reported together in one OBJECT_NOT_FOUND entry (207).
  const missing: string[] = [];
  const found = inputs.filter((input) => {
    const hit = ctx.store.findBy(def, input.idProperty ?? 'hs_object_id', input.id) !== undefined;
    if (!hit) missing.push(input.id);
    return hit;
  });
  const { prepare, apply } = updateSteps(ctx, def);
  const outcome = runBatch(ctx, def, found, prepare, apply);
  if (missing.length > 0) outcome.errors.push(batchObjectsNotFound(def.messageLabel, missing));
  return answer(outcome, 200, ctx.now);
}

/** Checking and writing one update input of a record that exists: batch update and single update alike. */
function updateSteps(ctx: WriteContext, def: ObjectTypeDef) {
  return {
    prepare: (input: UpdateInput): Prepared<Record<string, string>> => {
      const { values, errors } = validateProperties(def.properties, input.properties);
      if (errors.length > 0) return { ok: false, failure: propertyFailure(errors, ctx.schema.portalId) };
      const owner = ctx.store.findBy(def, input.idProperty ?? 'hs_object_id', input.id)?.id;
      const clash = ctx.store.conflict(def, values, owner);
      if (clash !== undefined) return { ok: false, failure: conflictFailure(def, clash.property, clash.id) };
      return { ok: true, plan: values, claim: { owner, values } };
    },
    apply: (values: Record<string, string>, input: UpdateInput): Applied => {
      const existing = ctx.store.findBy(def, input.idProperty ?? 'hs_object_id', input.id);
      if (existing === undefined) return { ok: false, failure: { category: 'VALIDATION_ERROR', status: 400, message: `Object ${input.id} vanished` } };
      const clash = ctx.store.conflict(def, values, existing.id);
      if (clash !== undefined) return { ok: false, failure: conflictFailure(def, clash.property, clash.id) };
      const record = applyUpdate(ctx, def, existing, values);
      return { ok: true, result: renderWritten(def, record, Object.keys(values)) };
    },
  };
}

/**
 * `PATCH /crm/v3/objects/{type}/{id}`: 200 with the record; 404 when no live record has that id (or
 * `idProperty` value). Unlike batch update it takes a contact's email as idProperty, as HubSpot documents.
 */
export function updateOne(ctx: WriteContext, def: ObjectTypeDef, id: string, query: URLSearchParams, rawBody: string | undefined): ApiResponse {
  const { properties: given } = parseBody(updateOneBody, rawBody);
  const named = query.get('idProperty');
  const idProperty = named === null || named === '' || named === 'hs_object_id' ? undefined : named;
  if (idProperty !== undefined) requireIdProperty(ctx, def, idProperty);
  if (ctx.store.findBy(def, idProperty ?? 'hs_object_id', id) === undefined) throw objectNotFound(id);
  const input: UpdateInput = idProperty === undefined ? { id, properties: given } : { id, idProperty, properties: given };
  const { prepare, apply } = updateSteps(ctx, def);
  const [result] = runBatch(ctx, def, [input], prepare, apply).results;
  return { status: 200, body: result, wrote: true };
}

/** Archives by record id; ids that do not exist (or are archived already) are ignored (still 204). */
export function batchArchive(ctx: WriteContext, def: ObjectTypeDef, rawBody: string | undefined): ApiResponse {
  const { inputs } = parseBody(archiveBody, rawBody);
  checkSize(inputs.length);
  const at = ctx.now().toISOString();
  let archived = 0;
  for (const { id } of inputs) if (ctx.store.archive(def, id, at)) archived += 1;
  return { status: 204, wrote: archived > 0 };
}

/** `DELETE /crm/v3/objects/{type}/{id}`: 204, an id that does not exist ignored as batch archive ignores it. */
export function archiveOne(ctx: WriteContext, def: ObjectTypeDef, id: string): ApiResponse {
  return { status: 204, wrote: ctx.store.archive(def, id, ctx.now().toISOString()) };
}
