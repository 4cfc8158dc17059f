/**
 * Object and field metadata of the sandbox org. Plain data so objects/fields can be added
 * without touching the server; describe responses are derived from it.
 */

export type FieldType =
  | 'id'
  | 'string'
  | 'textarea'
  | 'email'
  | 'url'
  | 'phone'
  | 'picklist'
  | 'double'
  | 'currency'
  | 'percent'
  | 'int'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'reference';

export interface PicklistValue {
  value: string;
  label: string;
  active: boolean;
  defaultValue: boolean;
}

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  /** Max characters for text-like fields. */
  length?: number;
  /** Total digits / digits right of the decimal point for numeric fields. */
  precision?: number;
  scale?: number;
  /** false = required (when also createable and not defaultedOnCreate). */
  nillable: boolean;
  createable: boolean;
  updateable: boolean;
  externalId?: boolean;
  unique?: boolean;
  idLookup?: boolean;
  caseSensitive?: boolean;
  defaultedOnCreate?: boolean;
  calculated?: boolean;
  custom?: boolean;
  picklistValues?: PicklistValue[];
  restrictedPicklist?: boolean;
  referenceTo?: string[];
  relationshipName?: string;
}

export interface SObjectDef {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  custom: boolean;
  fields: FieldDef[];
}

function picklist(values: string[]): PicklistValue[] {
  return values.map((value) => ({ value, label: value, active: true, defaultValue: false }));
}

/** System and audit fields every object has; the platform sets them, clients cannot. */
function systemFields(idLabel: string): FieldDef[] {
  const stamp = (name: string, label: string): FieldDef => ({
    name,
    label,
    type: 'datetime',
    nillable: false,
    createable: false,
    updateable: false,
    defaultedOnCreate: true,
  });
  return [
    {
      name: 'Id',
      label: idLabel,
      type: 'id',
      length: 18,
      nillable: false,
      createable: false,
      updateable: false,
      idLookup: true,
      defaultedOnCreate: true,
    },
    // true once the record is in the recycle bin; only QueryAll ever returns such a record.
    { name: 'IsDeleted', label: 'Deleted', type: 'boolean', nillable: false, createable: false, updateable: false, defaultedOnCreate: true },
    stamp('CreatedDate', 'Created Date'),
    stamp('LastModifiedDate', 'Last Modified Date'),
    stamp('SystemModstamp', 'System Modstamp'),
  ];
}

const INDUSTRIES = [
  'Agriculture', 'Apparel', 'Banking', 'Biotechnology', 'Chemicals', 'Communications',
  'Construction', 'Consulting', 'Education', 'Electronics', 'Energy', 'Engineering',
  'Entertainment', 'Environmental', 'Finance', 'Food & Beverage', 'Government', 'Healthcare',
  'Hospitality', 'Insurance', 'Machinery', 'Manufacturing', 'Media', 'Not For Profit',
  'Recreation', 'Retail', 'Shipping', 'Technology', 'Telecommunications', 'Transportation',
  'Utilities', 'Other',
];

/** A custom field marked External ID and Unique, as an admin makes one for upserts. */
const externalIdField = (field: Pick<FieldDef, 'name' | 'label' | 'type'> & Partial<FieldDef>): FieldDef => ({
  nillable: true,
  createable: true,
  updateable: true,
  externalId: true,
  unique: true,
  idLookup: true,
  custom: true,
  ...field,
});

/** A unique external id text field; `External_Id__c` (case-insensitive) unless told otherwise. */
const externalIdText = (field: Partial<Pick<FieldDef, 'name' | 'label' | 'length' | 'caseSensitive'>> = {}): FieldDef =>
  externalIdField({ name: 'External_Id__c', label: 'External Id', type: 'string', length: 255, caseSensitive: false, ...field });

export const SANDBOX_SOBJECTS: SObjectDef[] = [
  {
    name: 'Account',
    label: 'Account',
    labelPlural: 'Accounts',
    keyPrefix: '001',
    custom: false,
    fields: [
      ...systemFields('Account ID'),
      { name: 'Name', label: 'Account Name', type: 'string', length: 255, nillable: false, createable: true, updateable: true },
      externalIdText(),
      // Made "Unique, case sensitive" (an admin's choice): `ab-1` and `AB-1` are two records' keys.
      externalIdText({ name: 'Case_Sensitive_Key__c', label: 'Case Sensitive Key', length: 80, caseSensitive: true }),
      // A Number(18, 0) field marked External ID and Unique, as orgs keep an ERP's numeric customer key.
      externalIdField({ name: 'Erp_Number__c', label: 'ERP Number', type: 'double', precision: 18, scale: 0 }),
      { name: 'Health_Score__c', label: 'Health Score', type: 'double', precision: 18, scale: 0, nillable: true, createable: true, updateable: true, custom: true },
      {
        name: 'Segment__c',
        label: 'Segment',
        type: 'picklist',
        length: 255,
        nillable: true,
        createable: true,
        updateable: true,
        custom: true,
        picklistValues: picklist(['at-risk', 'neutral', 'healthy']),
        restrictedPicklist: false,
      },
      { name: 'MRR__c', label: 'MRR', type: 'currency', precision: 18, scale: 2, nillable: true, createable: true, updateable: true, custom: true },
      {
        name: 'Industry',
        label: 'Industry',
        type: 'picklist',
        length: 255,
        nillable: true,
        createable: true,
        updateable: true,
        picklistValues: picklist(INDUSTRIES),
        restrictedPicklist: false,
      },
      { name: 'Website', label: 'Website', type: 'url', length: 255, nillable: true, createable: true, updateable: true },
    ],
  },
  {
    name: 'Contact',
    label: 'Contact',
    labelPlural: 'Contacts',
    keyPrefix: '003',
    custom: false,
    fields: [
      ...systemFields('Contact ID'),
      { name: 'FirstName', label: 'First Name', type: 'string', length: 40, nillable: true, createable: true, updateable: true },
      { name: 'LastName', label: 'Last Name', type: 'string', length: 80, nillable: false, createable: true, updateable: true },
      { name: 'Email', label: 'Email', type: 'email', length: 80, nillable: true, createable: true, updateable: true, idLookup: true },
      externalIdText(),
      {
        name: 'AccountId',
        label: 'Account ID',
        type: 'reference',
        length: 18,
        nillable: true,
        createable: true,
        updateable: true,
        referenceTo: ['Account'],
        relationshipName: 'Account',
      },
    ],
  },
];

/** Fast, case-insensitive lookups over the org's metadata (Salesforce names are case-insensitive). */
export class OrgSchema {
  private readonly byName = new Map<string, SObjectDef>();
  private readonly byPrefix = new Map<string, SObjectDef>();
  private readonly fieldIndex = new Map<string, Map<string, FieldDef>>();

  constructor(readonly sobjects: SObjectDef[] = SANDBOX_SOBJECTS) {
    for (const def of sobjects) {
      this.byName.set(def.name.toLowerCase(), def);
      this.byPrefix.set(def.keyPrefix, def);
      const fields = new Map<string, FieldDef>();
      for (const field of def.fields) fields.set(field.name.toLowerCase(), field);
      this.fieldIndex.set(def.name, fields);
    }
  }

  sobject(name: string): SObjectDef | undefined {
    return this.byName.get(name.toLowerCase());
  }

  sobjectByKeyPrefix(prefix: string): SObjectDef | undefined {
    return this.byPrefix.get(prefix);
  }

  field(sobject: SObjectDef, name: string): FieldDef | undefined {
    return this.fieldIndex.get(sobject.name)?.get(name.toLowerCase());
  }
}

/** Required on create: not nillable, settable by the client, and not filled in by the platform. */
export function isRequiredOnCreate(field: FieldDef): boolean {
  return !field.nillable && field.createable && field.defaultedOnCreate !== true && field.type !== 'boolean';
}

/** Text-like fields compare case-insensitively in SOQL and in external-id matching. */
export function isTextual(type: FieldType): boolean {
  return (
    type === 'id' ||
    type === 'string' ||
    type === 'textarea' ||
    type === 'email' ||
    type === 'url' ||
    type === 'phone' ||
    type === 'picklist' ||
    type === 'reference'
  );
}

export function isNumeric(type: FieldType): boolean {
  return type === 'double' || type === 'currency' || type === 'percent' || type === 'int';
}

/** SOAP type names as they appear in describe and in SOQL type-mismatch messages. */
export function soapType(type: FieldType): string {
  switch (type) {
    case 'id':
    case 'reference':
      return 'tns:ID';
    case 'double':
    case 'currency':
    case 'percent':
      return 'xsd:double';
    case 'int':
      return 'xsd:int';
    case 'boolean':
      return 'xsd:boolean';
    case 'date':
      return 'xsd:date';
    case 'datetime':
      return 'xsd:dateTime';
    default:
      return 'xsd:string';
  }
}

function describeField(field: FieldDef): Record<string, unknown> {
  const textual = isTextual(field.type) && field.type !== 'id' && field.type !== 'reference';
  const length = field.type === 'id' || field.type === 'reference' ? 18 : textual ? (field.length ?? 255) : 0;
  return {
    aggregatable: true,
    autoNumber: false,
    byteLength: field.type === 'id' || field.type === 'reference' ? 18 : length * 3,
    calculated: field.calculated ?? false,
    calculatedFormula: null,
    caseSensitive: field.caseSensitive ?? false,
    createable: field.createable,
    custom: field.custom ?? false,
    defaultValue: null,
    defaultValueFormula: null,
    defaultedOnCreate: field.defaultedOnCreate ?? false,
    deprecatedAndHidden: false,
    digits: field.type === 'int' ? (field.precision ?? 9) : 0,
    externalId: field.externalId ?? false,
    filterable: true,
    groupable: !isNumeric(field.type) || field.type === 'int',
    idLookup: field.idLookup ?? false,
    inlineHelpText: null,
    label: field.label,
    length,
    name: field.name,
    nameField: field.name === 'Name',
    nillable: field.nillable,
    picklistValues: field.picklistValues ?? [],
    precision: field.type === 'double' || field.type === 'currency' || field.type === 'percent' ? (field.precision ?? 18) : 0,
    referenceTo: field.referenceTo ?? [],
    relationshipName: field.relationshipName ?? null,
    restrictedPicklist: field.restrictedPicklist ?? false,
    scale: field.scale ?? 0,
    soapType: soapType(field.type),
    sortable: true,
    type: field.type,
    unique: field.unique ?? false,
    updateable: field.updateable,
  };
}

function sobjectUrls(def: SObjectDef, version: string): Record<string, string> {
  const base = `/services/data/v${version}/sobjects/${def.name}`;
  return {
    compactLayouts: `${base}/describe/compactLayouts`,
    rowTemplate: `${base}/{ID}`,
    defaultValues: `${base}/defaultValues?recordTypeId&fields`,
    describe: `${base}/describe`,
    sobject: base,
  };
}

/** The per-object entry of `GET /sobjects` (global describe). */
export function describeGlobalEntry(def: SObjectDef, version: string): Record<string, unknown> {
  return {
    activateable: false,
    createable: true,
    custom: def.custom,
    customSetting: false,
    deletable: true,
    deprecatedAndHidden: false,
    feedEnabled: false,
    hasSubtypes: false,
    isSubtype: false,
    keyPrefix: def.keyPrefix,
    label: def.label,
    labelPlural: def.labelPlural,
    layoutable: true,
    mergeable: false,
    mruEnabled: true,
    name: def.name,
    queryable: true,
    replicateable: true,
    retrieveable: true,
    searchable: true,
    triggerable: true,
    undeletable: true,
    updateable: true,
    urls: sobjectUrls(def, version),
  };
}

/** `GET /sobjects/{SObject}/describe`. */
export function describeSObject(def: SObjectDef, schema: OrgSchema, version: string): Record<string, unknown> {
  const childRelationships = schema.sobjects.flatMap((child) =>
    child.fields
      .filter((f) => f.type === 'reference' && (f.referenceTo ?? []).includes(def.name))
      .map((f) => ({
        cascadeDelete: false,
        childSObject: child.name,
        deprecatedAndHidden: false,
        field: f.name,
        relationshipName: child.labelPlural.replace(/\s+/g, ''),
        restrictedDelete: false,
      })),
  );
  return {
    ...describeGlobalEntry(def, version),
    childRelationships,
    fields: def.fields.map(describeField),
    recordTypeInfos: [],
    supportedScopes: [{ label: 'All ' + def.labelPlural.toLowerCase(), name: 'everything' }],
    urls: {
      ...sobjectUrls(def, version),
      uiDetailTemplate: `/{ID}`,
      uiEditTemplate: `/{ID}/e`,
      uiNewRecord: `/${def.keyPrefix}/e`,
    },
  };
}
