import { once } from 'node:events';
import { sandboxEndpoints, startSandboxes } from '../../sandbox';
import { logTo } from '../output';

/** `backflow sandbox`: runs the destination emulators until Ctrl-C / SIGTERM. */
export async function sandboxCommand(options: { json?: boolean; port?: string; host?: string }): Promise<number> {
  const sandboxes = await startSandboxes({
    ...(options.host ? { host: options.host } : {}),
    ...(options.port ? { salesforcePort: Number(options.port) } : {}),
  });
  const endpoints = sandboxEndpoints(sandboxes);
  if (options.json) process.stdout.write(`${JSON.stringify(endpoints)}\n`);
  else {
    const log = logTo(false);
    log(`Salesforce sandbox: instanceUrl ${endpoints.salesforce.instanceUrl}  accessToken ${endpoints.salesforce.accessToken}`);
    log(`BigQuery sandbox:   apiEndpoint ${endpoints.bigquery.apiEndpoint}  projectId ${endpoints.bigquery.projectId}`);
    log(`HubSpot sandbox:    basePath ${endpoints.hubspot.basePath}  accessToken ${endpoints.hubspot.accessToken}`);
    log(`Slack sandbox:      apiUrl ${endpoints.slack.apiUrl}  token ${endpoints.slack.token}  (#general, #cs-alerts)`);
    log(`Meta sandbox:       graphUrl ${endpoints.meta.graphUrl}  accessToken ${endpoints.meta.accessToken}  audienceId ${endpoints.meta.audienceId}`);
    log(`Webhook receiver:   url ${endpoints.webhook.url}`);
    log('Ctrl-C to stop.');
  }
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await sandboxes.close();
  return 0;
}
