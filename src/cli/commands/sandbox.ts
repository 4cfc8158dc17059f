import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { BackflowError } from '../../errors';
import { parseSandboxFaults, sandboxEndpoints, startSandboxes, type SandboxFaults } from '../../sandbox';
import { listenProblem } from '../listenProblem';
import { portOption } from '../options';
import { logTo } from '../output';

/** `backflow sandbox`: runs the destination emulators until Ctrl-C / SIGTERM. */
export async function sandboxCommand(options: {
  json?: boolean;
  port?: string;
  host?: string;
  faults?: string;
  faultProfile?: string;
}): Promise<number> {
  const faults = faultsOption(options);
  const port = options.port !== undefined ? portOption(options.port) : undefined;
  const sandboxes = await startSandboxes({
    ...(options.host ? { host: options.host } : {}),
    ...(port !== undefined ? { salesforcePort: port } : {}),
    ...(faults ? { faults } : {}),
  }).catch((err: unknown) => {
    // Only the Salesforce emulator's port is chosen (--port); the others take any free port.
    throw listenProblem(err, options.host ?? '127.0.0.1', port ?? 0);
  });
  const endpoints = sandboxEndpoints(sandboxes);
  if (options.json) process.stdout.write(`${JSON.stringify(endpoints)}\n`);
  else {
    const log = logTo(false);
    log(`Salesforce sandbox: instanceUrl ${endpoints.salesforce.instanceUrl}  accessToken ${endpoints.salesforce.accessToken}`);
    log(`BigQuery sandbox:   apiEndpoint ${endpoints.bigquery.apiEndpoint}  projectId ${endpoints.bigquery.projectId}`);
    log(`HubSpot sandbox:    basePath ${endpoints.hubspot.basePath}  accessToken ${endpoints.hubspot.accessToken}`);
    log(`Slack sandbox:      apiUrl ${endpoints.slack.apiUrl}  token ${endpoints.slack.token}  (#general, #cs-alerts)  incoming webhook ${endpoints.slack.webhookUrl}`);
    log(`Meta sandbox:       graphUrl ${endpoints.meta.graphUrl}  accessToken ${endpoints.meta.accessToken}  audienceId ${endpoints.meta.audienceId}`);
    log(`Webhook receiver:   url ${endpoints.webhook.url}`);
    log('Ctrl-C to stop.');
  }
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await sandboxes.close();
  return 0;
}

/**
 * `--faults <json>` or `--fault-profile <file>`: fault profiles keyed by emulator; errors name the flag
 * or file, with a code as `--port`'s have (they were untyped: `--json` said `"code": "ERROR"`).
 */
function faultsOption(options: { faults?: string; faultProfile?: string }): SandboxFaults | undefined {
  if (options.faults !== undefined && options.faultProfile !== undefined) throw new BackflowError('USAGE', 'give --faults or --fault-profile, not both');
  let source: string;
  let text: string;
  if (options.faults !== undefined) {
    source = '--faults';
    text = options.faults;
  } else if (options.faultProfile !== undefined) {
    source = options.faultProfile;
    try {
      text = readFileSync(options.faultProfile, 'utf8');
    } catch (err) {
      throw new BackflowError('CONFIG_INVALID', `--fault-profile ${options.faultProfile}: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BackflowError('CONFIG_INVALID', `${source}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return parseSandboxFaults(json);
  } catch (err) {
    throw new BackflowError('CONFIG_INVALID', `${source}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
