import type { Connection, SyncDestination } from '../config/schema';
import { BackflowError } from '../errors';
import type { Destination } from './destination';
import { metaAudienceTargetSchema } from './metaTarget';
import type { ChannelPacer } from './slackPacing';
import { slackTargetSchema, slackWebhookTargetSchema } from './slackTarget';
import { webhookTargetSchema } from './webhookTarget';
import { hubspotTargetSchema, salesforceTargetSchema } from './targets';

/* eslint-disable @typescript-eslint/no-require-imports -- loaded when a connection of the type is used: each vendor SDK costs ~0.1-0.5 s to load */
const salesforce = () => require('./salesforce') as typeof import('./salesforce');
const hubspot = () => require('./hubspot') as typeof import('./hubspot');
const slack = () => require('./slack') as typeof import('./slack');
const slackWebhook = () => require('./slackWebhook') as typeof import('./slackWebhook');
const meta = () => require('./meta') as typeof import('./meta');
const webhook = () => require('./webhook') as typeof import('./webhook');
/* eslint-enable @typescript-eslint/no-require-imports */

/** What destinations of a fleet share beyond their process (see engine/channelPacing.ts). */
export interface SharedPacing {
  /** Paces Slack posts per channel; without it, a process paces only its own. */
  channelPacer?: ChannelPacer;
}

/** How long destinations wait between their own tries (shortened by tests). */
export interface DestinationWaits {
  /** Salesforce: the first wait before records that met a lock are sent again (see salesforceRecordRetry.ts). */
  recordRetryFirstWaitMs?: number;
}

/**
 * Builds the destination for a connection whose secrets are already resolved, bound to a sync's target;
 * files a connection names (a JWT key) are relative to `projectDir`.
 */
export function createDestination(
  connection: Connection,
  target: SyncDestination,
  projectDir: string,
  shared: SharedPacing = {},
  waits: DestinationWaits = {},
): Destination {
  switch (connection.type) {
    case 'salesforce':
      return new (salesforce().SalesforceDestination)(connection, salesforceTargetSchema.parse(target), { baseDir: projectDir, ...waits });
    case 'hubspot':
      return new (hubspot().HubspotDestination)(connection, hubspotTargetSchema.parse(target));
    case 'slack':
      return new (slack().SlackDestination)(connection, slackTargetSchema.parse(target), shared.channelPacer);
    case 'slack_webhook':
      return new (slackWebhook().SlackWebhookDestination)(connection, slackWebhookTargetSchema.parse(target), shared.channelPacer);
    case 'meta_audience':
      return new (meta().MetaAudienceDestination)(connection, metaAudienceTargetSchema.parse(target));
    case 'webhook':
      return new (webhook().WebhookDestination)(connection, webhookTargetSchema.parse(target));
    default:
      throw new BackflowError('CONFIG_INVALID', `connection type ${connection.type} is not a destination`);
  }
}
