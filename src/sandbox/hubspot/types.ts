/** Public surface of the HubSpot CRM v3 sandbox emulator (used by `backflow sandbox`, the demo and tests). */

import type { FaultProfile } from '../faults';

export type HubspotFaultProfile = FaultProfile;

/** HubSpot property data types the sandbox validates (`type` in the Properties API). */
export type PropertyType = 'string' | 'number' | 'enumeration' | 'bool' | 'datetime' | 'date';

/** A property to add to an object type at start (a custom property, as created in Settings). */
export interface PropertySpec {
  name: string;
  label?: string;
  type: PropertyType;
  /** Defaults by type: text, number, select, booleancheckbox, date. `checkbox` = multi-select (`a;b`). */
  fieldType?: string;
  /** Enumeration option values (labels default to the value). */
  options?: Array<string | { label: string; value: string; description?: string; displayOrder?: number; hidden?: boolean }>;
  /** Hidden from HubSpot's UI (still readable and writable through the API). */
  hidden?: boolean;
  /** Whether it can be used on forms. */
  formField?: boolean;
  /** A unique property can be used as `idProperty` in batch upsert/read/update. */
  hasUniqueValue?: boolean;
  /** Integrations cannot write it (READ_ONLY_VALUE). */
  readOnlyValue?: boolean;
  groupName?: string;
  description?: string;
}

/** A custom object schema, as created with the Schemas API. */
export interface CustomObjectSpec {
  /** e.g. `2-1234567`. */
  objectTypeId: string;
  /** e.g. `accounts`; addressable as `p_accounts` and `p{portalId}_accounts`. */
  name: string;
  labels?: { singular: string; plural: string };
  /** Shown as the record's name; must be one of `properties`. */
  primaryDisplayProperty?: string;
  properties: PropertySpec[];
}

/** Rate limits of the private app (HubSpot: 100 or 190 per 10 s by tier; 250k–1M a day; search 5 a second). */
export interface HubspotLimits {
  /** Requests per rolling window; null disables the burst limit. */
  tenSecondlyLimit?: number | null;
  /** Requests per day; null disables the daily limit. */
  dailyLimit?: number | null;
  /** Length of the rolling window (default 10 000 ms); shorten it in tests. */
  tenSecondlyWindowMs?: number;
  /** CRM search requests per rolling second (HubSpot: 5 per account); null disables it. */
  searchSecondlyLimit?: number | null;
}

/** One API request the sandbox answered (admin endpoints excluded). */
export interface HubspotRequestLogEntry {
  method: string;
  /** Path without the query string, e.g. `/crm/v3/objects/contacts/batch/upsert`. */
  path: string;
  /** HTTP status sent; 0 when no answer was sent (timeout / connection reset fault). */
  status: number;
  /** `inputs.length` of a batch request, else 0. */
  inputs: number;
  /** The injected fault, when one fired. */
  fault?: string;
  at: string;
}

export interface HubspotSandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Private-app token clients must send as `Authorization: Bearer …`; generated when omitted. */
  accessToken?: string;
  /** Account id shown in error bodies and custom object names (default 12345678). */
  portalId?: number;
  /** Extra properties per standard object type, e.g. `{ companies: [{ name: 'health_score', type: 'number' }] }`. */
  properties?: Partial<Record<'contacts' | 'companies', PropertySpec[]>>;
  customObjects?: CustomObjectSpec[];
  limits?: HubspotLimits;
  faults?: HubspotFaultProfile;
  /** Random source for fault picking (tests pass a fixed sequence). */
  random?: () => number;
}

/** A stored record as HubSpot returns it: every value a string (or null), ids numeric strings. */
export interface HubspotRecord {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

export interface HubspotSandbox {
  /** e.g. `http://127.0.0.1:43121` — pass to `new Client({ basePath })`. */
  readonly basePath: string;
  readonly accessToken: string;
  readonly portalId: number;
  /** Stored (not archived) records of an object type (any name the API accepts), in creation order (copies). */
  records(objectType: string): HubspotRecord[];
  /** API requests answered so far, in order. */
  requests(): HubspotRequestLogEntry[];
  setFaults(profile: HubspotFaultProfile): void;
  /** Changes the limits given (`null` turns one off), keeping the others and the counters. */
  setLimits(limits: HubspotLimits): void;
  /** Empties the store, the request log and the faults; the limits go back to the start ones, their counters to zero. */
  reset(): void;
  close(): Promise<void>;
}
