import { z } from 'zod';
import { CRON_FIELDS, CRON_PART, CRON_SHORTHANDS, cronWithNumbers } from './cron';
import { SYNC_MODES, type SyncMode } from '../destinations/modes';
import { HUBSPOT_TIERS } from '../destinations/hubspotTiers';
import { referenceFormProblem } from './referenceForm';

/**
 * `${env:NAME}`: the only way a secret may appear in a config file. Secret fields must be exactly one
 * reference; any other string of a connection may embed references (`https://${env:HOST}/x`, a header
 * `Bearer ${env:TOKEN}`), which config/secrets.ts interpolates at any depth.
 */
export const SECRET_REFERENCE = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/;

const secretReference = z
  .string()
  .regex(SECRET_REFERENCE, {
    // Another tool's form (`${TOKEN}`, `${ENV:TOKEN}`) is told the reference to write, as other fields are.
    error: (issue) =>
      (typeof issue.input === 'string' ? referenceFormProblem(issue.input) : undefined) ??
      'must be a secret reference like ${env:NAME}; secrets are never written in config files',
  });

/**
 * Runs an object's cross-field check whenever the fields it reads parsed, not only when the whole object
 * did: zod skips an object's refinements once any of its fields failed, so a typo elsewhere in the file
 * (`mode: upsrt`) hid a field mapped twice or a bad cron, and `validate` told a file's problems a round at a time.
 */
function whenParsed(fields: z.ZodType): { when: (payload: { value: unknown }) => boolean } {
  return { when: (payload) => fields.safeParse(payload.value).success };
}

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

/**
 * A destination connection's overrides of its destination's limits (destinations/destination.ts), e.g.
 * to leave part of an org's API budget to other integrations. Batch size never exceeds the API's own.
 */
export const destinationLimitsSchema = z.strictObject({
  maxBatchSize: z.number().int().positive().optional(),
  /** Batches of one run in flight at once. */
  concurrency: z.number().int().positive().max(64).optional(),
  /** Requests per second across every worker (paced through the state store). */
  requestsPerSecond: z.number().positive().optional(),
});

/** The oldest Salesforce API version backflow writes with (sObject Collections upsert: 46.0). */
export const MIN_SALESFORCE_API_VERSION = 46;

/**
 * Salesforce: one of three ways in — an access token; an OAuth refresh token (with the connected app's
 * clientId/clientSecret; jsforce trades it for a new session on 401 INVALID_SESSION_ID); or the JWT
 * bearer flow (clientId, username and the connected app's private key file). Secrets only as ${env:…}.
 */
export const salesforceConnectionSchema = z
  .strictObject({
    type: z.literal('salesforce'),
    /** e.g. https://acme.my.salesforce.com, or a reference to one. */
    instanceUrl: z.string().min(1),
    accessToken: secretReference.optional(),
    refreshToken: secretReference.optional(),
    /** Consumer key of the connected app (refresh token and JWT flows). */
    clientId: z.string().min(1).optional(),
    clientSecret: secretReference.optional(),
    /** JWT bearer flow: the user the integration runs as, and the PEM private key file (relative to the project). */
    username: z.string().min(1).optional(),
    privateKeyFile: z.string().min(1).optional(),
    /** Where OAuth tokens come from (and the JWT audience): login.salesforce.com, test.salesforce.com for sandboxes. */
    loginUrl: z.string().min(1).default('https://login.salesforce.com'),
    /**
     * At least 46.0, where sObject Collections upsert begins: below it jsforce upserts one request per
     * record and refuses more than 10 at once, failing every batch (and 30.0 and older are retired: 410).
     */
    apiVersion: z
      .string()
      .regex(/^\d+\.\d$/, 'must look like 62.0')
      .refine((v) => Number(v) >= MIN_SALESFORCE_API_VERSION, {
        message: `must be ${MIN_SALESFORCE_API_VERSION.toFixed(1)} or later: backflow upserts through sObject Collections, which older versions lack`,
      })
      .default('62.0'),
    limits: destinationLimitsSchema.optional(),
    /** Records of one verb in a run above which batches go through Bulk API 2.0 ingest jobs. */
    bulkThreshold: z.number().int().positive().default(2_000),
    /** Share of the org's daily API allocation backflow may bring usage to; it stops sending before crossing it. */
    maxDailyApiUsage: z.number().gt(0).max(1).default(0.8),
    /** Per-request deadline (a Bulk API upload included); an unanswered request is aborted and retried. */
    timeoutMs: z.number().int().positive().default(300_000),
  })
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (c.privateKeyFile !== undefined) {
      if (c.clientId === undefined) issue('clientId', 'the JWT bearer flow (privateKeyFile) needs the connected app\'s clientId');
      if (c.username === undefined) issue('username', 'the JWT bearer flow (privateKeyFile) needs the username to act as');
      if (c.refreshToken !== undefined) issue('refreshToken', 'give either privateKeyFile (JWT bearer) or refreshToken, not both');
    } else if (c.refreshToken !== undefined) {
      if (c.clientId === undefined) issue('clientId', 'a refreshToken needs the connected app\'s clientId (and clientSecret if the app requires it)');
    } else if (c.accessToken === undefined) {
      issue('accessToken', 'give accessToken, refreshToken + clientId, or privateKeyFile + clientId + username');
    }
  }, whenParsed(z.looseObject({})));

/** HubSpot with a private-app access token; `basePath` points it elsewhere (the sandbox). */
export const hubspotConnectionSchema = z.strictObject({
  type: z.literal('hubspot'),
  accessToken: secretReference,
  /** Default https://api.hubapi.com; e.g. ${env:HUBSPOT_BASE_PATH} for the sandbox. */
  basePath: z.string().min(1).optional(),
  /** The account's subscription tier: sets the request budget backflow paces itself to. */
  tier: z.enum(HUBSPOT_TIERS).default('free'),
  /** Overrides the tier's figures, e.g. to leave part of the budget to other apps. */
  limits: z
    .strictObject({
      requestsPer10s: z.number().int().positive().optional(),
      daily: z.number().int().positive().optional(),
    })
    .optional(),
  /** Per-request deadline; an unanswered request is aborted and retried. */
  timeoutMs: z.number().int().positive().default(120_000),
});

/** Slack Web API with a bot token (`xoxb-…`); `apiUrl` points it elsewhere (the sandbox). */
export const slackConnectionSchema = z.strictObject({
  type: z.literal('slack'),
  token: secretReference,
  /** Web API base ending in `/api/`; default https://slack.com/api/. */
  apiUrl: z.string().min(1).optional(),
});

/** A Slack incoming webhook: post-only, to the channel the webhook was made for. The URL is a secret. */
export const slackWebhookConnectionSchema = z.strictObject({
  type: z.literal('slack_webhook'),
  url: secretReference,
});

/** Meta Marketing API (custom audiences) with a system-user access token. */
export const metaAudienceConnectionSchema = z.strictObject({
  type: z.literal('meta_audience'),
  accessToken: secretReference,
  /** Default https://graph.facebook.com; e.g. ${env:META_GRAPH_URL} for the sandbox. */
  graphUrl: z.string().min(1).optional(),
  apiVersion: z.string().regex(/^v\d+\.\d+$/, 'must look like v24.0').default('v24.0'),
});

/** Any HTTP endpoint taking JSON; `secret` signs each body (HMAC-SHA256 in X-Backflow-Signature). */
export const webhookConnectionSchema = z.strictObject({
  type: z.literal('webhook'),
  /** http(s) URL, or a ${env:NAME} reference to one. */
  url: z.string().min(1),
  secret: secretReference.optional(),
  /** Extra request headers; a secret one is written as a reference, e.g. `Authorization: Bearer ${env:HOOK_TOKEN}`. */
  headers: z
    .record(
      z.string().regex(/^[A-Za-z0-9-]+$/, 'must be a header name'),
      // What HTTP can carry (fetch refuses anything else, on every attempt): Latin-1, no line breaks.
      z.string().regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'must be Latin-1 text without line breaks (a header cannot carry a character such as — or ’)'),
    )
    .optional(),
  method: z.enum(['POST', 'PUT']).default('POST'),
  /** Per-request timeout; a timed-out request is retried. */
  timeoutMs: z.number().int().positive().default(10_000),
});

export const connectionSchema = z.discriminatedUnion('type', [
  duckdbConnectionSchema,
  postgresConnectionSchema,
  bigqueryConnectionSchema,
  salesforceConnectionSchema,
  hubspotConnectionSchema,
  slackConnectionSchema,
  slackWebhookConnectionSchema,
  metaAudienceConnectionSchema,
  webhookConnectionSchema,
]);

export const SOURCE_TYPES = ['duckdb', 'postgres', 'bigquery'] as const;
export { DESTINATION_TYPES } from '../destinations/targets';

/** `30s`, `15m`, `1h`, `2d`: intervals and ages in config files. */
export const DURATION = /^(\d+)(s|m|h|d)$/;
const DURATION_UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of a DURATION string; undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match?.[1] || !match[2]) return undefined;
  return Number(match[1]) * DURATION_UNIT_MS[match[2] as keyof typeof DURATION_UNIT_MS];
}

/**
 * The longest duration taken: 100 years. Longer ones went through (`999999999d`) and then failed
 * far from the file: a retention's cutoff an invalid date (the hourly maintenance aborted), a
 * schedule's interval clamped by Temporal to one that never fires.
 */
export const MAX_DURATION_MS = 36_500 * 86_400_000;
export const MAX_DURATION_PROBLEM = 'must be at most 36500d (100 years)';

const duration = z
  .string()
  .regex(DURATION, 'must be a duration like 30s, 15m, 1h or 2d')
  .refine((text) => !DURATION.test(text) || (durationMs(text) ?? 0) > 0, 'must be longer than 0')
  .refine((text) => !DURATION.test(text) || (durationMs(text) ?? 0) <= MAX_DURATION_MS, MAX_DURATION_PROBLEM);

/**
 * A URL written out, or with `${env:NAME}` references in it (a Slack webhook URL is a secret; the
 * resolved URL is checked when it is resolved, config/secrets.ts). A union of the two forms said only
 * "Invalid input" for `https://${env:HOST}/x`.
 */
const urlOrSecret = z.string().refine(
  (text) => text.includes('${env:') || /^https?:\/\/[^\s]+$/.test(text),
  'must be an http(s) URL, or contain ${env:NAME} references',
);

/** Where and when to notify; per sync it overrides the project's fields one by one. */
export const alertsSchema = z.strictObject({
  /** Slack incoming webhook URL. */
  slack: urlOrSecret.optional(),
  /** Any URL that takes a JSON POST. */
  webhook: urlOrSecret.optional(),
  /** Alert when more than this share of the records a run sent were rejected (0–1). */
  rejectedShare: z.number().min(0).max(1).optional(),
  /** Alert when a scheduled sync has not succeeded for this many times its expected interval. */
  staleAfter: z.number().positive().optional(),
});

/**
 * How workers and the CLI reach Temporal when it is not the embedded dev server (your own cluster or
 * Temporal Cloud). The TEMPORAL_* environment variables override each field.
 */
export const temporalConfigSchema = z.strictObject({
  /** host:port of the frontend, e.g. my-ns.a1b2c.tmprl.cloud:7233. */
  address: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port').optional(),
  namespace: z.string().min(1).optional(),
  taskQueue: z.string().min(1).optional(),
  /** Temporal Cloud API key; turns TLS on unless tls.enabled says otherwise. */
  apiKey: secretReference.optional(),
  tls: z
    .strictObject({
      /** Default: on when any other TLS field or an API key is given. */
      enabled: z.boolean().optional(),
      /** PEM files, relative to the project directory. */
      serverCaCert: z.string().min(1).optional(),
      clientCert: z.string().min(1).optional(),
      clientKey: z.string().min(1).optional(),
      /** Overrides the name the server certificate is checked against (SNI). */
      serverName: z.string().min(1).optional(),
    })
    .refine((tls) => (tls.clientCert === undefined) === (tls.clientKey === undefined), {
      message: 'clientCert and clientKey go together (mTLS needs both)',
      ...whenParsed(z.looseObject({})),
    })
    .optional(),
  /** How long a stopping worker lets in-flight activities finish before handing them back. */
  shutdownGraceTime: z.string().regex(/^\d+(ms|s|m)$/, 'must be a duration like 500ms, 30s or 2m').optional(),
});

export const projectConfigSchema = z.strictObject({
  version: z.literal(1).default(1),
  connections: z.record(identifier, connectionSchema),
  temporal: temporalConfigSchema.optional(),
  alerts: alertsSchema.optional(),
  /** How long per-record results are kept (`backflow records`); pruned by the maintenance schedule. */
  retention: z.strictObject({ records: duration.default('30d') }).default({ records: '30d' }),
});

/** Temporal's overlap policies, as written in YAML. */
export const OVERLAP_POLICIES = ['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'terminate_other', 'allow_all'] as const;

/** How to write a wrapping range as two: `22-2` → `22-23,0-2`. */
function wrapAdvice(start: number, end: number, step: string | undefined, index: number): string {
  if (step !== undefined) return 'split it into two ranges that each run upwards';
  const { min, max } = CRON_FIELDS[index] as (typeof CRON_FIELDS)[number];
  // 7 and 0 are both Sunday: the upper half stops at Saturday.
  const top = index === 4 ? 6 : max;
  const span = (from: number, to: number) => (from === to ? `${from}` : `${from}-${to}`);
  return `write ${start <= top ? `${span(start, top)},` : ''}${span(min, end)}`;
}

/** Why a 5-field cron expression is wrong (every problem, each quoting the field as written), or undefined when it is right. */
export function cronProblem(expression: string): string | undefined {
  const text = cronWithNumbers(expression).trim();
  if (Object.hasOwn(CRON_SHORTHANDS, text)) return undefined;
  const fields = text.split(/\s+/);
  if (fields.length !== 5) return `must have 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  const written = expression.trim().split(/\s+/);
  const problems: string[] = [];
  for (const [index, field] of fields.entries()) {
    const { name, min, max } = CRON_FIELDS[index] as (typeof CRON_FIELDS)[number];
    const shown = written[index] ?? field;
    for (const part of field.split(',')) {
      const match = CRON_PART.exec(part);
      if (!match) {
        problems.push(`${name} field "${shown}" is not a number, range, list, step or *`);
        continue;
      }
      for (const bound of [match[2], match[3]]) {
        if (bound !== undefined && (Number(bound) < min || Number(bound) > max)) problems.push(`${name} ${bound} is out of range ${min}-${max}`);
      }
      if (match[4] !== undefined && Number(match[4]) === 0) problems.push(`${name} step must be above 0`);
      // Temporal refuses a range that wraps around (`22-2`) when the schedule is applied: say so here.
      if (match[3] !== undefined && Number(match[3]) < Number(match[2])) {
        problems.push(`${name} range ${match[2]}-${match[3]} ends before it starts; ${wrapAdvice(Number(match[2]), Number(match[3]), match[4], index)}`);
      }
    }
  }
  if (problems.length === 0) {
    const never = neverFires(fields);
    if (never !== undefined) problems.push(never);
  }
  return problems.length === 0 ? undefined : problems.join('; ');
}

/** The values a valid cron field stands for. */
function valuesOf(field: string, min: number, max: number): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const match = CRON_PART.exec(part);
    if (!match) continue;
    const step = Number(match[4] ?? 1);
    const from = match[1] === '*' ? min : Number(match[2]);
    const to = match[1] === '*' || (match[3] === undefined && match[4] !== undefined) ? max : Number(match[3] ?? match[2]);
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

/** Days in each month at most (February: 29, in leap years). */
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * A valid expression whose days of month fall in none of its months (`0 0 30 2 *`): Temporal takes
 * it and never starts a run, so a sync scheduled so would silently never sync. Only with every day of
 * the week allowed: a day-of-week field makes the schedule's days a matter of its own rules.
 */
function neverFires(fields: readonly string[]): string | undefined {
  const [, , dayOfMonth = '*', month = '*', dayOfWeek = '*'] = fields;
  if (dayOfWeek !== '*') return undefined;
  const days = valuesOf(dayOfMonth, 1, 31);
  const months = valuesOf(month, 1, 12);
  const fires = [...months].some((m) => [...days].some((d) => d <= (DAYS_IN_MONTH[m - 1] ?? 31)));
  return fires ? undefined : `day of month ${dayOfMonth} falls in none of month ${month}: the schedule would never run`;
}

/**
 * Why Temporal would refuse a schedule's time zone, or undefined. Node's Intl knows a name in any
 * letter case (`utc`, `europe/paris`); Temporal reads the IANA database, whose names are
 * case-sensitive, and refuses those at `schedules apply`.
 */
export function timezoneProblem(name: string): string | undefined {
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return `unknown timezone "${name}" (use an IANA name like Europe/Paris)`;
  }
  if (resolved !== name && resolved.toLowerCase() === name.toLowerCase()) {
    return `time zone names are case-sensitive (Temporal reads the IANA database): write "${resolved}", not "${name}"`;
  }
  return undefined;
}

/** `{ every: 15m }` or `{ cron: "0 * * * *", timezone: Europe/Paris }`; overlap defaults to skip. */
export const scheduleSchema = z
  .strictObject({
    every: duration.optional(),
    cron: z.string().optional(),
    timezone: z.string().optional(),
    overlap: z.enum(OVERLAP_POLICIES).default('skip'),
  })
  .superRefine((schedule, ctx) => {
    if ((schedule.every === undefined) === (schedule.cron === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give either every (like 15m) or cron (like "0 * * * *"), not both or neither' });
    }
    if (schedule.cron !== undefined) {
      const problem = cronProblem(schedule.cron);
      if (problem) ctx.addIssue({ code: 'custom', path: ['cron'], message: `invalid cron "${schedule.cron}": ${problem}` });
    }
    if (schedule.timezone !== undefined) {
      if (schedule.cron === undefined) ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'timezone applies only to cron' });
      else {
        const problem = timezoneProblem(schedule.timezone);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['timezone'], message: problem });
      }
    }
  }, whenParsed(z.looseObject({ cron: z.string().optional(), timezone: z.string().optional() })));

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
    /** The sync's former name: its first run takes over what backflow holds under that name (state/syncRenames.ts). */
    renamedFrom: z.string().min(1).optional(),
    source: identifier,
    /** The SQL model, run on the source — or a dbt model, resolved to the relation it built. */
    model: z.union([
      z.string().min(1, 'must be a SQL query'),
      z.strictObject({
        dbt: z.string().min(1),
        /** dbt's manifest.json, relative to the project directory. */
        manifest: z.string().min(1).default('target/manifest.json'),
        /** A versioned model's version (as `ref('m', v=2)`); without it, the model's latest version. */
        version: z.union([z.number(), z.string().min(1)]).optional(),
        /** The dbt package defining the model, when several define one of that name. */
        package: z.string().min(1).optional(),
      }),
    ]),
    /** Column whose value identifies a row; it becomes the destination's external id. */
    primaryKey: z.string().min(1),
    /** `connection` plus the settings its destination type takes (destinations/targets.ts), checked in load.ts. */
    destination: z.looseObject({ connection: identifier }),
    /** upsert | update | insert | mirror (destinations/modes.ts). */
    mode: z.enum(SYNC_MODES).default('upsert'),
    /** Mirror mode refuses to delete everything when the model returns no rows, unless this is set. */
    allowEmptyMirror: z.boolean().default(false),
    /**
     * Mirror mode refuses a run that would delete more of the sync's records than this: a number, or a
     * share of the records it holds (`"10%"`). A half-loaded table must not empty the destination.
     */
    maxDeletes: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+(\.\d+)?%$/, 'must be a number of records, or a share such as "10%"')]).optional(),
    mappings: z.array(mappingSchema).min(1, 'map at least one column'),
    /** Records per destination request; capped by the destination's own limit. */
    batchSize: z.number().int().positive().optional(),
    /** Run on a Temporal Schedule (`backflow schedules apply`). */
    schedule: scheduleSchema.optional(),
    alerts: alertsSchema.optional(),
    /** Per-record results of each run, written to a warehouse table analysts can join. */
    writeBack: z
      .strictObject({ connection: identifier, table: identifier.default('backflow_sync_log') })
      .optional(),
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
      const matchOn = sync.destination['matchOn'];
      const matchField = typeof matchOn === 'object' && matchOn !== null ? (matchOn as Record<string, unknown>)['field'] : undefined;
      if (mapping.to === sync.destination['externalIdField'] || mapping.to === matchField) {
        ctx.addIssue({
          code: 'custom',
          path: ['mappings', index, 'to'],
          message: `${mapping.to} is the ${mapping.to === matchField ? 'match' : 'external id'} field; it is filled from primaryKey (${sync.primaryKey})`,
        });
      }
    });
  }, whenParsed(z.looseObject({ primaryKey: z.string(), destination: z.looseObject({}), mappings: z.array(z.looseObject({ to: z.string() })) })));

export type Connection = z.infer<typeof connectionSchema>;
export type DuckdbConnection = z.infer<typeof duckdbConnectionSchema>;
export type PostgresConnection = z.infer<typeof postgresConnectionSchema>;
export type BigqueryConnection = z.infer<typeof bigqueryConnectionSchema>;
export type SalesforceConnection = z.infer<typeof salesforceConnectionSchema>;
export type HubspotConnection = z.infer<typeof hubspotConnectionSchema>;
export type SlackConnection = z.infer<typeof slackConnectionSchema>;
export type SlackWebhookConnection = z.infer<typeof slackWebhookConnectionSchema>;
export type MetaAudienceConnection = z.infer<typeof metaAudienceConnectionSchema>;
export type WebhookConnection = z.infer<typeof webhookConnectionSchema>;
export type ProjectConfig = z.infer<typeof projectConfigSchema>;
export type DestinationLimitsOverride = z.infer<typeof destinationLimitsSchema>;
export type SyncConfig = z.infer<typeof syncSchema>;
export type Mapping = z.infer<typeof mappingSchema>;
export type { SyncMode };

/** A sync as the engine uses it: named, and free of secrets (safe to store with a run). */
export type ModelRef = z.infer<typeof syncSchema>['model'];

export type SyncDestination = { connection: string } & Record<string, unknown>;

export interface SyncSpec {
  name: string;
  /** The name the sync had before: its snapshot and runs are taken over on the first run. */
  renamedFrom?: string;
  source: string;
  /** SQL, or a dbt model; a run's stored spec always holds the resolved SQL. */
  model: ModelRef;
  primaryKey: string;
  /** The sync's `destination:` block, checked against its destination type's schema. */
  destination: SyncDestination;
  mode: SyncMode;
  allowEmptyMirror?: boolean;
  maxDeletes?: number | string;
  mappings: Mapping[];
  batchSize?: number;
  schedule?: ScheduleConfig;
  /** Already merged over the project's `alerts`. */
  alerts?: AlertsConfig;
  writeBack?: WriteBackConfig;
}

export type ScheduleConfig = z.infer<typeof scheduleSchema>;
export type AlertsConfig = z.infer<typeof alertsSchema>;
export type WriteBackConfig = { connection: string; table: string };
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];
