/**
 * `POST /crm/v3/properties/{objectType}`: a custom property created through the Properties API, as an
 * integration or a setup script does before syncing to it. Answers 201 with the property, 409
 * OBJECT_ALREADY_EXISTS for a name the object has, and 400 VALIDATION_ERROR for a missing field or a
 * `fieldType` the `type` cannot take (HubSpot's documented pairs).
 */

import { z } from 'zod';
import { alreadyExists, validationError } from './errors';
import { defineProperty, renderProperty } from './properties';
import { parseBody, type ApiResponse } from './render';
import type { ObjectTypeDef } from './schema';
import type { PropertyType } from './types';

/** The fieldTypes each type takes (Properties API: "Property type and fieldType values"). */
const FIELD_TYPES: Record<PropertyType, readonly string[]> = {
  bool: ['booleancheckbox'],
  enumeration: ['booleancheckbox', 'checkbox', 'radio', 'select'],
  date: ['date'],
  datetime: ['date'],
  string: ['file', 'text', 'textarea', 'html', 'phonenumber'],
  number: ['number', 'calculation_equation'],
};

/** A property's internal name, as HubSpot's settings derive it from the label. */
const INTERNAL_NAME = /^[a-z][a-z0-9_]*$/;

/** HubSpot allows ten unique-value properties per object. */
export const MAX_UNIQUE_PROPERTIES = 10;

const propertyCreateBody = z.object({
  name: z.string().min(1),
  label: z.string().min(1),
  type: z.enum(['string', 'number', 'enumeration', 'bool', 'datetime', 'date']),
  fieldType: z.string().min(1),
  groupName: z.string().min(1),
  description: z.string().optional(),
  hasUniqueValue: z.boolean().optional(),
  hidden: z.boolean().optional(),
  formField: z.boolean().optional(),
  displayOrder: z.number().int().optional(),
  options: z
    .array(z.object({ label: z.string(), value: z.string(), description: z.string().optional(), displayOrder: z.number().int().optional(), hidden: z.boolean().optional() }))
    .optional(),
});

export function createProperty(def: ObjectTypeDef, rawBody: string | undefined): ApiResponse {
  const input = parseBody(propertyCreateBody, rawBody);
  if (!INTERNAL_NAME.test(input.name)) {
    throw validationError(`Property name ${input.name} is not valid: an internal name starts with a lowercase letter and holds only lowercase letters, digits and underscores`);
  }
  if (!FIELD_TYPES[input.type].includes(input.fieldType)) {
    throw validationError(`Property ${input.name} of type ${input.type} cannot have fieldType ${input.fieldType} (allowed: ${FIELD_TYPES[input.type].join(', ')})`);
  }
  if (input.type === 'enumeration' && (input.options ?? []).length === 0 && input.fieldType !== 'booleancheckbox') {
    throw validationError(`Property ${input.name} of type enumeration needs options`);
  }
  if (def.properties.has(input.name)) {
    throw alreadyExists(`Property named '${input.name}' already exists.`);
  }
  const unique = [...def.properties.values()].filter((property) => property.hasUniqueValue).length;
  if (input.hasUniqueValue === true && unique >= MAX_UNIQUE_PROPERTIES) {
    throw validationError(`${def.name} already has ${MAX_UNIQUE_PROPERTIES} properties with unique values, the most an object can have`);
  }
  const property = defineProperty(
    {
      name: input.name,
      label: input.label,
      type: input.type,
      fieldType: input.fieldType,
      groupName: input.groupName,
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.hasUniqueValue !== undefined ? { hasUniqueValue: input.hasUniqueValue } : {}),
      ...(input.hidden !== undefined ? { hidden: input.hidden } : {}),
      ...(input.formField !== undefined ? { formField: input.formField } : {}),
      ...(input.options !== undefined ? { options: input.options.map((o) => ({ label: o.label, value: o.value, ...(o.description !== undefined ? { description: o.description } : {}), ...(o.displayOrder !== undefined ? { displayOrder: o.displayOrder } : {}), ...(o.hidden !== undefined ? { hidden: o.hidden } : {}) })) } : {}),
    },
    false,
    input.displayOrder ?? def.properties.size,
  );
  def.properties.set(property.name, property);
  if (property.hasUniqueValue) def.idProperties.add(property.name);
  return { status: 201, body: renderProperty(property) };
}
