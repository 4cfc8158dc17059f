/**
 * The account's object types: contacts (0-1), companies (0-2) and custom objects (2-…), each with
 * its property definitions, and the names the API accepts for them in `{objectType}`.
 */

import { defineProperty, standardProperties, systemProperties, type PropertyDef } from './properties';
import type { CustomObjectSpec, PropertySpec } from './types';

export interface ObjectTypeDef {
  objectTypeId: string;
  /** Plural API name: `contacts`, `companies`, or the custom object's name. */
  name: string;
  /** Upper-case singular used in HubSpot messages (`CONTACT`, `COMPANY`). */
  messageLabel: string;
  kind: 'contacts' | 'companies' | 'custom';
  properties: Map<string, PropertyDef>;
  /** Properties usable as `idProperty`: the unique ones, plus `email` for contacts. */
  idProperties: Set<string>;
  /** Created-date / modified-date property names. */
  createdProperty: string;
  modifiedProperty: string;
  /** Properties returned when a request names none. */
  defaultReturned: string[];
}

function byName(defs: PropertyDef[]): Map<string, PropertyDef> {
  return new Map(defs.map((d) => [d.name, d]));
}

function idPropertiesOf(defs: Map<string, PropertyDef>, extra: string[]): Set<string> {
  const ids = new Set(extra);
  for (const def of defs.values()) if (def.hasUniqueValue) ids.add(def.name);
  return ids;
}

const CUSTOM_TYPE_ID = /^2-\d+$/;

export class AccountSchema {
  private readonly types: ObjectTypeDef[] = [];
  private readonly aliases = new Map<string, ObjectTypeDef>();

  constructor(
    readonly portalId: number,
    properties: Partial<Record<'contacts' | 'companies', PropertySpec[]>> = {},
    customObjects: CustomObjectSpec[] = [],
  ) {
    const contactDefs = byName(standardProperties('contacts', properties.contacts ?? []));
    this.add(
      {
        objectTypeId: '0-1',
        name: 'contacts',
        messageLabel: 'CONTACT',
        kind: 'contacts',
        properties: contactDefs,
        // Email identifies a contact even though its definition is not flagged unique.
        idProperties: idPropertiesOf(contactDefs, ['email']),
        createdProperty: 'createdate',
        modifiedProperty: 'lastmodifieddate',
        defaultReturned: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
      },
      ['contacts', 'contact'],
    );
    const companyDefs = byName(standardProperties('companies', properties.companies ?? []));
    this.add(
      {
        objectTypeId: '0-2',
        name: 'companies',
        messageLabel: 'COMPANY',
        kind: 'companies',
        properties: companyDefs,
        idProperties: idPropertiesOf(companyDefs, []),
        createdProperty: 'createdate',
        modifiedProperty: 'hs_lastmodifieddate',
        defaultReturned: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
      },
      ['companies', 'company'],
    );
    for (const spec of customObjects) this.addCustom(spec);
  }

  private add(def: ObjectTypeDef, aliases: string[]): void {
    for (const alias of [def.objectTypeId, ...aliases]) {
      if (this.aliases.has(alias.toLowerCase())) throw new Error(`object type name ${alias} is defined twice`);
      this.aliases.set(alias.toLowerCase(), def);
    }
    this.types.push(def);
  }

  private addCustom(spec: CustomObjectSpec): void {
    if (!CUSTOM_TYPE_ID.test(spec.objectTypeId)) throw new Error(`custom objectTypeId must look like 2-1234567, got ${spec.objectTypeId}`);
    const defs = byName([
      ...systemProperties('custom'),
      ...spec.properties.map((p, i) => defineProperty(p, false, i)),
    ]);
    const primary = spec.primaryDisplayProperty ?? spec.properties[0]?.name;
    if (primary !== undefined && !defs.has(primary)) throw new Error(`primaryDisplayProperty ${primary} is not a property of ${spec.name}`);
    this.add(
      {
        objectTypeId: spec.objectTypeId,
        name: spec.name,
        messageLabel: (spec.labels?.singular ?? spec.name).toUpperCase(),
        kind: 'custom',
        properties: defs,
        idProperties: idPropertiesOf(defs, []),
        createdProperty: 'hs_createdate',
        modifiedProperty: 'hs_lastmodifieddate',
        defaultReturned: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id', ...(primary !== undefined ? [primary] : [])],
      },
      // Custom objects are addressed by id or fully qualified name (p{portalId}_{name}, or p_{name}), not bare name.
      [`p${this.portalId}_${spec.name}`, `p_${spec.name}`],
    );
  }

  /** The object type an `{objectType}` path segment names, if any. */
  resolve(objectType: string): ObjectTypeDef | undefined {
    return this.aliases.get(objectType.toLowerCase());
  }

  all(): ObjectTypeDef[] {
    return [...this.types];
  }
}
