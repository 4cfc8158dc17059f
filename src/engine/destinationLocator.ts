import { hash } from 'node:crypto';
import type { Connection } from '../config/schema';
import { HUBSPOT_API } from '../destinations/hubspot';
import { DEFAULT_GRAPH_URL } from '../destinations/meta';
import { DEFAULT_API_URL } from '../destinations/slack';
import { BackflowError } from '../errors';
import type { StateDb } from '../state/database';
import { lastWritingRun } from '../state/movedSnapshot';

/** The setting of a destination connection that says where its records live (not how to sign in). */
export interface DestinationLocator {
  /** The connection's field, as written in backflow.yaml. */
  field: string;
  /** A digest of its value: a webhook URL may hold a secret, so none is stored as written. */
  digest: string;
}

/**
 * Where a destination connection points: Salesforce's instance (one org each), the API base of
 * HubSpot, Slack and Meta (the sandbox, or the vendor), a webhook's URL less its query, a Slack
 * incoming webhook's workspace and webhook ids (its URL less the secret). An unset base is the
 * vendor's, as the destination fills it in; a trailing slash and the letter case of scheme and host
 * do not make another place. Undefined for a source.
 */
export function locatorOf(connection: Connection): DestinationLocator | undefined {
  switch (connection.type) {
    case 'salesforce':
      return locate('instanceUrl', connection.instanceUrl);
    case 'hubspot':
      return locate('basePath', connection.basePath ?? HUBSPOT_API);
    case 'slack':
      return locate('apiUrl', connection.apiUrl ?? DEFAULT_API_URL);
    // `/services/T…/B…/<secret>`: workspace and webhook (its channel), not the secret a regeneration changes.
    case 'slack_webhook':
      return locate('url', withoutLastSegment(connection.url));
    case 'meta_audience':
      return locate('graphUrl', connection.graphUrl ?? DEFAULT_GRAPH_URL);
    // A rotated `?token=` is no move either: by origin and path.
    case 'webhook':
      return locate('url', withoutQuery(connection.url));
    default:
      return undefined;
  }
}

function locate(field: string, value: string): DestinationLocator {
  return { field, digest: hash('sha256', normalUrl(value), 'base64url').slice(0, 22) };
}

function withoutLastSegment(value: string): string {
  try {
    const url = new URL(value);
    return `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/[^/]*$/, '')}`;
  } catch {
    return value;
  }
}

function withoutQuery(value: string): string {
  return value.replace(/[?#].*$/, '');
}

function normalUrl(value: string): string {
  const trimmed = value.trim().replace(/\/+$/, '');
  try {
    const url = new URL(trimmed);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}${url.search}`;
  } catch {
    return trimmed;
  }
}

/** How a locator is kept on a run (runs.destination_locator). */
export function storedLocator(locator: DestinationLocator): string {
  return `${locator.field}:${locator.digest}`;
}

/** The last run that wrote the sync's records somewhere else than `locator` points now. */
export interface DestinationMove {
  runId: string;
  startedAt: string;
}

/**
 * Whether the sync's destination connection points elsewhere than where its records were last
 * written. The snapshot says what *that* destination holds: at another org or account every row
 * would read as unchanged and nothing would be sent, the run succeeding. Runs from before migration
 * 015 have no locator and are not compared; a sync with nothing committed has nothing to lose.
 */
export async function destinationMove(state: StateDb, input: { syncName: string; locator: DestinationLocator }): Promise<DestinationMove | undefined> {
  const last = await lastWritingRun(state, input.syncName);
  if (!last || last.locator === storedLocator(input.locator)) return undefined;
  return { runId: last.runId, startedAt: last.startedAt };
}

/** The refusal of a run at a destination that moved (see destinationMove); `--full` takes the sync there. */
export function destinationMoved(input: { syncName: string; connection: string; locator: DestinationLocator; move: DestinationMove }): BackflowError {
  return new BackflowError(
    'DESTINATION_MOVED',
    `sync ${input.syncName}: connection ${input.connection} has moved: its ${input.locator.field} is not the one when run ${input.move.runId} (${input.move.startedAt}) last wrote this sync's records. ` +
      `What backflow committed describes that destination, so here every row would read as unchanged and nothing would be sent. ` +
      `Run \`backflow run ${input.syncName} --full\` once to send every row to where the connection points now, or point it back.`,
  );
}
