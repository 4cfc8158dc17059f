import { startBigQuerySandbox, type BigQuerySandbox } from './bigquery';
import { startSalesforceSandbox, type SalesforceSandbox } from './salesforce';

/** The emulators `backflow sandbox` and the demo run; one per destination (more to come). */
export interface Sandboxes {
  salesforce: SalesforceSandbox;
  bigquery: BigQuerySandbox;
  close(): Promise<void>;
}

export interface SandboxOptions {
  host?: string;
  salesforcePort?: number;
  salesforceToken?: string;
  bigqueryPort?: number;
  /** DuckDB file behind the BigQuery sandbox's datasets; in memory when omitted. */
  bigqueryDuckdbPath?: string;
}

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
  return {
    salesforce,
    bigquery,
    close: async () => {
      await Promise.all([salesforce.close(), bigquery.close()]);
    },
  };
}

/** What `backflow sandbox --json` prints once ready: each emulator's base URL and token. */
export function sandboxEndpoints(sandboxes: Sandboxes) {
  return {
    salesforce: { instanceUrl: sandboxes.salesforce.instanceUrl, accessToken: sandboxes.salesforce.accessToken },
    bigquery: { apiEndpoint: sandboxes.bigquery.apiEndpoint, projectId: sandboxes.bigquery.projectId },
  };
}

/** Environment that points the demo project's `${env:…}` references at the sandboxes. */
export function sandboxEnv(sandboxes: Sandboxes): Record<string, string> {
  return {
    SALESFORCE_INSTANCE_URL: sandboxes.salesforce.instanceUrl,
    SALESFORCE_ACCESS_TOKEN: sandboxes.salesforce.accessToken,
  };
}
