import { startBigQuerySandbox, type BigQuerySandbox } from './bigquery';
import { startHubspotSandbox, type HubspotSandbox, type PropertySpec } from './hubspot';
import { startSalesforceSandbox, type SalesforceSandbox } from './salesforce';

/** The emulators `backflow sandbox` and the demo run; one per destination (more to come). */
export interface Sandboxes {
  salesforce: SalesforceSandbox;
  bigquery: BigQuerySandbox;
  hubspot: HubspotSandbox;
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
  });
  return {
    salesforce,
    bigquery,
    hubspot,
    close: async () => {
      await Promise.all([salesforce.close(), bigquery.close(), hubspot.close()]);
    },
  };
}

/** What `backflow sandbox --json` prints once ready: each emulator's base URL and token. */
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
  };
}

/** Environment that points the demo project's `${env:…}` references at the sandboxes. */
export function sandboxEnv(sandboxes: Sandboxes): Record<string, string> {
  return {
    SALESFORCE_INSTANCE_URL: sandboxes.salesforce.instanceUrl,
    SALESFORCE_ACCESS_TOKEN: sandboxes.salesforce.accessToken,
    HUBSPOT_BASE_PATH: sandboxes.hubspot.basePath,
    HUBSPOT_ACCESS_TOKEN: sandboxes.hubspot.accessToken,
  };
}
