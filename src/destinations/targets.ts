import { z } from 'zod';
import { metaAudienceTargetSchema } from './metaTarget';
import { slackTargetSchema, slackWebhookTargetSchema } from './slackTarget';
import { webhookTargetSchema } from './webhookTarget';

/**
 * What a sync says about where its rows go (the `destination:` block of syncs/*.yaml), one schema
 * per destination type: each destination takes different settings (an object and external id field
 * for a CRM, a channel and template for Slack, an audience for ads).
 */
export const salesforceTargetSchema = z
  .strictObject({
    connection: z.string(),
    /** sObject API name, e.g. Account. */
    object: z.string().min(1),
    /** External id field holding the warehouse primary key; upserts match on it. */
    externalIdField: z.string().min(1).optional(),
    /**
     * Or match records by an ordinary field (e.g. Contact.Email) holding the primary key: found by SOQL,
     * the Salesforce Id is kept in the snapshot, a key matching several records is rejected.
     */
    matchOn: z.strictObject({ field: z.string().min(1) }).optional(),
    /** Overrides the connection's bulkThreshold for this sync. */
    bulkThreshold: z.number().int().positive().optional(),
  })
  .refine((t) => (t.externalIdField === undefined) !== (t.matchOn === undefined), {
    message: 'give either externalIdField (an external id field) or matchOn: { field } (matched by SOQL), not both or neither',
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
  slack: slackTargetSchema,
  slack_webhook: slackWebhookTargetSchema,
  meta_audience: metaAudienceTargetSchema,
  webhook: webhookTargetSchema,
} as const satisfies Record<string, z.ZodType<{ connection: string }>>;

export type DestinationType = keyof typeof TARGET_SCHEMAS;
export const DESTINATION_TYPES = Object.keys(TARGET_SCHEMAS) as DestinationType[];
