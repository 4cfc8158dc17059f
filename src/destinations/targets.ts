import { z } from 'zod';

/**
 * What a sync says about where its rows go (the `destination:` block of syncs/*.yaml), one schema
 * per destination type: each destination takes different settings (an object and external id field
 * for a CRM, a channel and template for Slack, an audience for ads).
 */
export const salesforceTargetSchema = z.strictObject({
  connection: z.string(),
  /** sObject API name, e.g. Account. */
  object: z.string().min(1),
  /** Field holding the warehouse primary key; upserts match on it. */
  externalIdField: z.string().min(1),
});

export type SalesforceTarget = z.infer<typeof salesforceTargetSchema>;

/**
 * HubSpot: a CRM object type (`contacts`, `companies`, or a custom object's id `2-…` / name
 * `p_{name}`) and the unique property the warehouse key is upserted by (HubSpot's `idProperty`:
 * `email` for contacts, or a property with unique values).
 */
export const hubspotTargetSchema = z.strictObject({
  connection: z.string(),
  object: z.string().min(1),
  externalIdField: z.string().min(1),
});

export type HubspotTarget = z.infer<typeof hubspotTargetSchema>;

/** The target schema of every destination type; load.ts checks each sync's block against its type's. */
export const TARGET_SCHEMAS = {
  salesforce: salesforceTargetSchema,
  hubspot: hubspotTargetSchema,
} as const satisfies Record<string, z.ZodType<{ connection: string }>>;

export type DestinationType = keyof typeof TARGET_SCHEMAS;
export const DESTINATION_TYPES = Object.keys(TARGET_SCHEMAS) as DestinationType[];
