import { z } from 'zod';

/** `${env:NAME}`: the only way a secret may appear in a config file. */
export const SECRET_REFERENCE = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/;

const secretReference = z
  .string()
  .regex(SECRET_REFERENCE, 'must be a secret reference like ${env:NAME}; secrets are never written in config files');

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must start with a letter or _ and contain only letters, digits and _');

export const duckdbConnectionSchema = z.strictObject({
  type: z.literal('duckdb'),
  /** Database file, relative to the project directory; `:memory:` for a throwaway one. */
  path: z.string().min(1),
});

/** PostgreSQL (and Redshift, which speaks its protocol). */
export const postgresConnectionSchema = z.strictObject({
  type: z.literal('postgres'),
  /** postgres://user:password@host:port/database — usually a secret reference. */
  url: z.string().min(1),
  /** Rows fetched per round trip from the server-side cursor. */
  pageSize: z.number().int().positive().default(10_000),
});

export const bigqueryConnectionSchema = z.strictObject({
  type: z.literal('bigquery'),
  projectId: z.string().min(1),
  /** Dataset location, e.g. US or europe-west1. */
  location: z.string().min(1).optional(),
  /** Service-account key file; application default credentials when omitted. */
  keyFilename: z.string().min(1).optional(),
  /** Another endpoint, e.g. the BigQuery sandbox started by `backflow sandbox`. */
  apiEndpoint: z.string().min(1).optional(),
  pageSize: z.number().int().positive().default(10_000),
});

export const salesforceConnectionSchema = z.strictObject({
  type: z.literal('salesforce'),
  /** e.g. https://acme.my.salesforce.com, or a reference to one. */
  instanceUrl: z.string().min(1),
  accessToken: secretReference,
  apiVersion: z.string().regex(/^\d+\.\d$/, 'must look like 62.0').default('62.0'),
});

export const connectionSchema = z.discriminatedUnion('type', [
  duckdbConnectionSchema,
  postgresConnectionSchema,
  bigqueryConnectionSchema,
  salesforceConnectionSchema,
]);

export const SOURCE_TYPES = ['duckdb', 'postgres', 'bigquery'] as const;
export const DESTINATION_TYPES = ['salesforce'] as const;

export const projectConfigSchema = z.strictObject({
  version: z.literal(1).default(1),
  connections: z.record(identifier, connectionSchema),
});

export const SYNC_MODES = ['upsert'] as const;

export const mappingSchema = z.strictObject({
  /** Column of the model. */
  from: z.string().min(1),
  /** Field of the destination object. */
  to: z.string().min(1),
});

export const syncSchema = z
  .strictObject({
    /** Defaults to the file name without `.yaml`. */
    name: identifier.optional(),
    source: identifier,
    /** The SQL model, run on the source — or a dbt model, resolved to the relation it built. */
    model: z.union([
      z.string().min(1, 'must be a SQL query'),
      z.strictObject({
        dbt: z.string().min(1),
        /** dbt's manifest.json, relative to the project directory. */
        manifest: z.string().min(1).default('target/manifest.json'),
      }),
    ]),
    /** Column whose value identifies a row; it becomes the destination's external id. */
    primaryKey: z.string().min(1),
    destination: z.strictObject({
      connection: identifier,
      object: z.string().min(1),
      externalIdField: z.string().min(1),
    }),
    mode: z.enum(SYNC_MODES).default('upsert'),
    mappings: z.array(mappingSchema).min(1, 'map at least one column'),
    /** Records per destination request; capped by the destination's own limit. */
    batchSize: z.number().int().positive().optional(),
  })
  .superRefine((sync, ctx) => {
    const seen = new Map<string, number>();
    sync.mappings.forEach((mapping, index) => {
      const first = seen.get(mapping.to);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['mappings', index, 'to'],
          message: `field ${mapping.to} is already mapped by mappings[${first}]`,
        });
      }
      seen.set(mapping.to, index);
      if (mapping.to === sync.destination.externalIdField) {
        ctx.addIssue({
          code: 'custom',
          path: ['mappings', index, 'to'],
          message: `${mapping.to} is the external id field; it is filled from primaryKey (${sync.primaryKey})`,
        });
      }
    });
  });

export type Connection = z.infer<typeof connectionSchema>;
export type DuckdbConnection = z.infer<typeof duckdbConnectionSchema>;
export type PostgresConnection = z.infer<typeof postgresConnectionSchema>;
export type BigqueryConnection = z.infer<typeof bigqueryConnectionSchema>;
export type SalesforceConnection = z.infer<typeof salesforceConnectionSchema>;
export type ProjectConfig = z.infer<typeof projectConfigSchema>;
export type SyncConfig = z.infer<typeof syncSchema>;
export type Mapping = z.infer<typeof mappingSchema>;
export type SyncMode = (typeof SYNC_MODES)[number];

/** A sync as the engine uses it: named, and free of secrets (safe to store with a run). */
export type ModelRef = z.infer<typeof syncSchema>['model'];

export interface SyncSpec {
  name: string;
  source: string;
  /** SQL, or a dbt model; a run's stored spec always holds the resolved SQL. */
  model: ModelRef;
  primaryKey: string;
  destination: { connection: string; object: string; externalIdField: string };
  mode: SyncMode;
  mappings: Mapping[];
  batchSize?: number;
}
