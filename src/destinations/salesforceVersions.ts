import type { Connection } from 'jsforce';
import { z } from 'zod';
import { PROJECT_FILE } from '../config/load';
import { ConfigError } from '../errors';

/** `GET /services/data`: the versions the org serves, oldest first (it needs no session and costs no API call). */
const versionsSchema = z.array(z.object({ version: z.string() }));

/**
 * What Salesforce answers under a version the org does not serve: 404 NOT_FOUND for one it has no
 * release of yet (and for any unknown resource), 410 GONE for a retired one.
 */
const UNSERVED = new Set(['NOT_FOUND', 'GONE', 'ERROR_HTTP_410']);

/**
 * A failed request read again for the connection's `apiVersion`: when the answer is one Salesforce
 * gives under a version it does not serve, and the org's list of versions lacks it, the error names
 * the setting to change. Otherwise (the version is served, or the list cannot be read) undefined: the
 * failure is the request's own, such as an object that does not exist.
 */
export async function unservedVersionError(
  connection: Connection,
  err: unknown,
  setting: { connectionName: string; apiVersion: string },
): Promise<ConfigError | undefined> {
  const code = typeof err === 'object' && err !== null ? (err as { errorCode?: unknown }).errorCode : undefined;
  if (typeof code !== 'string' || !UNSERVED.has(code)) return undefined;
  let served: string[];
  try {
    const parsed = versionsSchema.safeParse(await connection.request('/services/data'));
    if (!parsed.success) return undefined;
    served = parsed.data.map((entry) => entry.version);
  } catch {
    return undefined;
  }
  if (served.length === 0 || served.includes(setting.apiVersion)) return undefined;
  return new ConfigError([
    {
      file: PROJECT_FILE,
      path: `connections.${setting.connectionName}.apiVersion`,
      message: `${connection.instanceUrl} does not serve Salesforce API version ${setting.apiVersion}: it serves ${served[0]} to ${served.at(-1)} (GET /services/data); set apiVersion to one of them`,
    },
  ]);
}
