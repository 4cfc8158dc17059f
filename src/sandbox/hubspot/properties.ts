/**
 * Property definitions: HubSpot's default properties of contacts and companies (a realistic subset),
 * the system properties every object carries, and custom properties given at start. Rendered by
 * `GET /crm/v3/properties/{objectType}` in the Properties API shape.
 */

import type { PropertySpec, PropertyType } from './types';

export interface PropertyOption {
  label: string;
  value: string;
  description: string;
  displayOrder: number;
  hidden: boolean;
}

export interface PropertyDef {
  name: string;
  label: string;
  type: PropertyType;
  fieldType: string;
  groupName: string;
  description: string;
  options: PropertyOption[];
  hasUniqueValue: boolean;
  readOnlyValue: boolean;
  /** Maintained by HubSpot (ids, timestamps): never writable. */
  calculated: boolean;
  hubspotDefined: boolean;
  displayOrder: number;
  hidden: boolean;
  formField: boolean;
}

const DEFAULT_FIELD_TYPE: Record<PropertyType, string> = {
  string: 'text',
  number: 'number',
  enumeration: 'select',
  bool: 'booleancheckbox',
  datetime: 'date',
  date: 'date',
};

/** Epoch of the fixed "createdAt" of every property definition (stable bodies for snapshots). */
const DEFINED_AT = '2019-08-06T02:41:52.000Z';

function options(values: NonNullable<PropertySpec['options']>): PropertyOption[] {
  return values.map((option, index) => {
    if (typeof option === 'string') return { label: option, value: option, description: '', displayOrder: index, hidden: false };
    return { label: option.label, value: option.value, description: option.description ?? '', displayOrder: option.displayOrder ?? index, hidden: option.hidden ?? false };
  });
}

export function defineProperty(spec: PropertySpec, hubspotDefined: boolean, displayOrder: number): PropertyDef {
  return {
    name: spec.name,
    label: spec.label ?? spec.name,
    type: spec.type,
    fieldType: spec.fieldType ?? (spec.type === 'bool' ? 'booleancheckbox' : DEFAULT_FIELD_TYPE[spec.type]),
    groupName: spec.groupName ?? (hubspotDefined ? 'information' : 'custom_properties'),
    description: spec.description ?? '',
    options:
      spec.type === 'bool'
        ? options([
            { label: 'Yes', value: 'true' },
            { label: 'No', value: 'false' },
          ])
        : options(spec.options ?? []),
    hasUniqueValue: spec.hasUniqueValue ?? false,
    readOnlyValue: spec.readOnlyValue ?? false,
    calculated: false,
    hubspotDefined,
    displayOrder,
    hidden: spec.hidden ?? false,
    formField: spec.formField ?? !(spec.readOnlyValue ?? false),
  };
}

function system(name: string, label: string, type: PropertyType): PropertyDef {
  return {
    ...defineProperty({ name, label, type, readOnlyValue: true }, true, -1),
    calculated: true,
    fieldType: type === 'number' ? 'number' : 'calculation_read_time',
  };
}

const LIFECYCLE_STAGES = [
  { label: 'Subscriber', value: 'subscriber' },
  { label: 'Lead', value: 'lead' },
  { label: 'Marketing Qualified Lead', value: 'marketingqualifiedlead' },
  { label: 'Sales Qualified Lead', value: 'salesqualifiedlead' },
  { label: 'Opportunity', value: 'opportunity' },
  { label: 'Customer', value: 'customer' },
  { label: 'Evangelist', value: 'evangelist' },
  { label: 'Other', value: 'other' },
];

const INDUSTRIES = [
  { label: 'Accounting', value: 'ACCOUNTING' },
  { label: 'Airlines/Aviation', value: 'AIRLINES_AVIATION' },
  { label: 'Computer Software', value: 'COMPUTER_SOFTWARE' },
  { label: 'Financial Services', value: 'FINANCIAL_SERVICES' },
  { label: 'Hospital & Health Care', value: 'HOSPITAL_HEALTH_CARE' },
  { label: 'Information Technology and Services', value: 'INFORMATION_TECHNOLOGY_AND_SERVICES' },
  { label: 'Retail', value: 'RETAIL' },
  { label: 'Telecommunications', value: 'TELECOMMUNICATIONS' },
];

const CONTACT_DEFAULTS: PropertySpec[] = [
  { name: 'email', label: 'Email', type: 'string' },
  { name: 'firstname', label: 'First Name', type: 'string' },
  { name: 'lastname', label: 'Last Name', type: 'string' },
  { name: 'phone', label: 'Phone Number', type: 'string', fieldType: 'phonenumber' },
  { name: 'company', label: 'Company Name', type: 'string' },
  { name: 'jobtitle', label: 'Job Title', type: 'string' },
  { name: 'website', label: 'Website URL', type: 'string' },
  { name: 'city', label: 'City', type: 'string' },
  { name: 'country', label: 'Country/Region', type: 'string' },
  { name: 'lifecyclestage', label: 'Lifecycle Stage', type: 'enumeration', fieldType: 'radio', options: LIFECYCLE_STAGES },
];

const COMPANY_DEFAULTS: PropertySpec[] = [
  { name: 'name', label: 'Company name', type: 'string' },
  { name: 'domain', label: 'Company Domain Name', type: 'string' },
  { name: 'industry', label: 'Industry', type: 'enumeration', options: INDUSTRIES },
  { name: 'phone', label: 'Phone Number', type: 'string', fieldType: 'phonenumber' },
  { name: 'city', label: 'City', type: 'string' },
  { name: 'country', label: 'Country/Region', type: 'string' },
  { name: 'numberofemployees', label: 'Number of Employees', type: 'number' },
  { name: 'annualrevenue', label: 'Annual Revenue', type: 'number' },
  { name: 'lifecyclestage', label: 'Lifecycle Stage', type: 'enumeration', fieldType: 'radio', options: LIFECYCLE_STAGES },
];

/** Properties HubSpot maintains on every record (read-only, calculated). */
export function systemProperties(kind: 'contacts' | 'companies' | 'custom'): PropertyDef[] {
  const created = kind === 'contacts' ? 'createdate' : 'hs_createdate';
  const modified = kind === 'contacts' ? 'lastmodifieddate' : 'hs_lastmodifieddate';
  const defs = [
    system('hs_object_id', 'Record ID', 'number'),
    system(created, 'Create Date', 'datetime'),
    system(modified, 'Last Modified Date', 'datetime'),
  ];
  // Companies also expose `createdate`, like contacts (hs_createdate is its twin).
  if (kind === 'companies') defs.push(system('createdate', 'Create Date', 'datetime'));
  return defs;
}

export function standardProperties(kind: 'contacts' | 'companies', extra: PropertySpec[]): PropertyDef[] {
  const defaults = kind === 'contacts' ? CONTACT_DEFAULTS : COMPANY_DEFAULTS;
  return [
    ...defaults.map((spec, i) => defineProperty(spec, true, i)),
    ...systemProperties(kind),
    ...extra.map((spec, i) => defineProperty(spec, false, defaults.length + i)),
  ];
}

/** A property as the Properties API renders it. */
export function renderProperty(def: PropertyDef): Record<string, unknown> {
  return {
    updatedAt: DEFINED_AT,
    createdAt: DEFINED_AT,
    name: def.name,
    label: def.label,
    type: def.type,
    fieldType: def.fieldType,
    description: def.description,
    groupName: def.groupName,
    options: def.options,
    displayOrder: def.displayOrder,
    calculated: def.calculated,
    externalOptions: false,
    hasUniqueValue: def.hasUniqueValue,
    hidden: def.hidden,
    hubspotDefined: def.hubspotDefined,
    modificationMetadata: {
      archivable: !def.hubspotDefined,
      readOnlyDefinition: def.hubspotDefined,
      readOnlyValue: def.readOnlyValue || def.calculated,
    },
    formField: def.formField && !def.calculated && !def.readOnlyValue,
    dataSensitivity: 'non_sensitive',
    archived: false,
  };
}
