import { startBigQuerySandbox, type BigQuerySandbox } from './bigquery';
import { startHubspotSandbox, type HubspotSandbox, type PropertySpec } from './hubspot';
import { startMetaSandbox, type MetaSandbox } from './meta';
import { startSalesforceSandbox, type SalesforceSandbox } from './salesforce';
import { startSlackSandbox, type SlackSandbox } from './slack';
import { startWebhookSandbox, type WebhookSandbox } from './webhook';
import { parseFaultProfile, type FaultProfile } from './faults';
import { parseSalesforceFaultProfile } from './salesforce/faults';
import type { SalesforceFaultProfile } from './salesforce/types';

/** The emulators `backflow sandbox` and the demo run; one per destination (more to come). */
export interface Sandboxes {
  salesforce: SalesforceSandbox;
  bigquery: BigQuerySandbox;
  hubspot: HubspotSandbox;
  /** A workspace with #general and #cs-alerts, the app a member of both. */
  slack: SlackSandbox;
  /** One customer-file custom audience ready to receive users. */
  meta: MetaSandbox;
  /** A receiver recording every delivery. */
  webhook: WebhookSandbox;
  close(): Promise<void>;
}

export interface SandboxOptions {
  host?: string;
  salesforcePort?: number;
  salesforceToken?: string;
  bigqueryPort?: number;
  /** DuckDB file behind the BigQuery sandbox's datasets; in memory when omitted. */
  bigqueryDuckdbPath?: string;
  hubspotPort?: number;
  /** A fault profile per emulator, from the start (`backflow sandbox --faults`). */
  faults?: SandboxFaults;
}

/** `backflow sandbox --faults`: a fault profile keyed by emulator name. */
export interface SandboxFaults {
  salesforce?: SalesforceFaultProfile;
  hubspot?: FaultProfile;
  slack?: FaultProfile;
  meta?: FaultProfile;
  webhook?: FaultProfile;
}

const FAULT_PARSERS = {
  salesforce: parseSalesforceFaultProfile,
  hubspot: parseFaultProfile,
  slack: parseFaultProfile,
  meta: parseFaultProfile,
  webhook: parseFaultProfile,
} as const;

/** Validates `{"salesforce": {...}, "hubspot": {...}, …}`; an unknown emulator or fault key is an error naming it. */
export function parseSandboxFaults(value: unknown): SandboxFaults {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('fault profiles must be a JSON object keyed by emulator name (salesforce, hubspot, slack, meta, webhook)');
  }
  const faults: SandboxFaults = {};
  for (const [name, profile] of Object.entries(value)) {
    if (!Object.hasOwn(FAULT_PARSERS, name)) {
      throw new Error(`unknown emulator "${name}" in fault profiles (expected one of: ${Object.keys(FAULT_PARSERS).join(', ')})`);
    }
    const emulator = name as keyof typeof FAULT_PARSERS;
    try {
      faults[emulator] = FAULT_PARSERS[emulator](profile);
    } catch (err) {
      throw new Error(`${emulator}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return faults;
}

/** The custom company properties the demo's accounts_to_hubspot sync maps onto (as created in HubSpot's settings). */
export const DEMO_HUBSPOT_COMPANY_PROPERTIES: PropertySpec[] = [
  { name: 'external_id', label: 'External ID', type: 'string', hasUniqueValue: true },
  { name: 'health_score', label: 'Health score', type: 'number' },
  { name: 'segment', label: 'Segment', type: 'enumeration', options: ['at-risk', 'neutral', 'healthy'] },
  { name: 'mrr', label: 'MRR', type: 'number' },
];

export async function startSandboxes(options: SandboxOptions = {}): Promise<Sandboxes> {
  const salesforce = await startSalesforceSandbox({
    ...(options.host ? { host: options.host } : {}),
    ...(options.salesforcePort !== undefined ? { port: options.salesforcePort } : {}),
    ...(options.salesforceToken ? { accessToken: options.salesforceToken } : {}),
    ...(options.faults?.salesforce ? { faults: options.faults.salesforce } : {}),
  });
  const bigquery = await startBigQuerySandbox({
    ...(options.host ? { host: options.host } : {}),
    ...(options.bigqueryPort !== undefined ? { port: options.bigqueryPort } : {}),
    ...(options.bigqueryDuckdbPath ? { duckdbPath: options.bigqueryDuckdbPath } : {}),
  });
  const hubspot = await startHubspotSandbox({
    ...(options.host ? { host: options.host } : {}),
    ...(options.hubspotPort !== undefined ? { port: options.hubspotPort } : {}),
    properties: { companies: DEMO_HUBSPOT_COMPANY_PROPERTIES },
    ...(options.faults?.hubspot ? { faults: options.faults.hubspot } : {}),
  });
  const host = options.host ? { host: options.host } : {};
  const slack = await startSlackSandbox({ ...host, ...(options.faults?.slack ? { faults: options.faults.slack } : {}) });
  const meta = await startMetaSandbox({ ...host, ...(options.faults?.meta ? { faults: options.faults.meta } : {}) });
  const webhook = await startWebhookSandbox({ ...host, ...(options.faults?.webhook ? { faults: options.faults.webhook } : {}) });
  return {
    salesforce,
    bigquery,
    hubspot,
    slack,
    meta,
    webhook,
    close: async () => {
      await Promise.all([salesforce.close(), bigquery.close(), hubspot.close(), slack.close(), meta.close(), webhook.close()]);
    },
  };
}

/** What `backflow sandbox --json` prints once ready: each emulator's base URL and token. */
/** Where each emulator listens, as `backflow sandbox --json` prints it. */
export type SandboxEndpoints = ReturnType<typeof sandboxEndpoints>;

export function sandboxEndpoints(sandboxes: Sandboxes) {
  return {
    salesforce: {
      instanceUrl: sandboxes.salesforce.instanceUrl,
      accessToken: sandboxes.salesforce.accessToken,
      // The OAuth flows: POST {loginUrl}/services/oauth2/token with this connected app and refresh token.
      loginUrl: sandboxes.salesforce.loginUrl,
      clientId: sandboxes.salesforce.clientId,
      clientSecret: sandboxes.salesforce.clientSecret,
      refreshToken: sandboxes.salesforce.refreshToken,
    },
    bigquery: { apiEndpoint: sandboxes.bigquery.apiEndpoint, projectId: sandboxes.bigquery.projectId },
    hubspot: { basePath: sandboxes.hubspot.basePath, accessToken: sandboxes.hubspot.accessToken },
    slack: { apiUrl: sandboxes.slack.apiUrl, token: sandboxes.slack.token, webhookUrl: sandboxes.slack.webhookUrl },
    meta: { graphUrl: sandboxes.meta.graphUrl, accessToken: sandboxes.meta.accessToken, audienceId: sandboxes.meta.audienceId },
    webhook: { url: sandboxes.webhook.url },
  };
}

/** Environment that points the demo project's `${env:…}` references at the sandboxes. */
export function sandboxEnv(sandboxes: Sandboxes): Record<string, string> {
  return {
    SALESFORCE_INSTANCE_URL: sandboxes.salesforce.instanceUrl,
    SALESFORCE_ACCESS_TOKEN: sandboxes.salesforce.accessToken,
    HUBSPOT_BASE_PATH: sandboxes.hubspot.basePath,
    HUBSPOT_ACCESS_TOKEN: sandboxes.hubspot.accessToken,
    SLACK_API_URL: sandboxes.slack.apiUrl,
    SLACK_BOT_TOKEN: sandboxes.slack.token,
    SLACK_WEBHOOK_URL: sandboxes.slack.webhookUrl,
    META_GRAPH_URL: sandboxes.meta.graphUrl,
    META_ACCESS_TOKEN: sandboxes.meta.accessToken,
    WEBHOOK_URL: sandboxes.webhook.url,
  };
}
