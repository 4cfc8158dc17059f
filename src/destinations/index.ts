import type { Connection, SyncDestination } from '../config/schema';
import { BackflowError } from '../errors';
import type { Destination } from './destination';
import { HubspotDestination } from './hubspot';
import { MetaAudienceDestination } from './meta';
import { metaAudienceTargetSchema } from './metaTarget';
import { SalesforceDestination } from './salesforce';
import { SlackDestination } from './slack';
import type { ChannelPacer } from './slackPacing';
import { slackTargetSchema, slackWebhookTargetSchema } from './slackTarget';
import { SlackWebhookDestination } from './slackWebhook';
import { WebhookDestination } from './webhook';
import { webhookTargetSchema } from './webhookTarget';
import { hubspotTargetSchema, salesforceTargetSchema } from './targets';

/** What destinations of a fleet share beyond their process (see engine/channelPacing.ts). */
export interface SharedPacing {
  /** Paces Slack posts per channel; without it, a process paces only its own. */
  channelPacer?: ChannelPacer;
}

/**
 * Builds the destination for a connection whose secrets are already resolved, bound to a sync's target;
 * files a connection names (a JWT key) are relative to `projectDir`.
 */
export function createDestination(connection: Connection, target: SyncDestination, projectDir: string, shared: SharedPacing = {}): Destination {
  switch (connection.type) {
    case 'salesforce':
      return new SalesforceDestination(connection, salesforceTargetSchema.parse(target), { baseDir: projectDir });
    case 'hubspot':
      return new HubspotDestination(connection, hubspotTargetSchema.parse(target));
    case 'slack':
      return new SlackDestination(connection, slackTargetSchema.parse(target), shared.channelPacer);
    case 'slack_webhook':
      return new SlackWebhookDestination(connection, slackWebhookTargetSchema.parse(target), shared.channelPacer);
    case 'meta_audience':
      return new MetaAudienceDestination(connection, metaAudienceTargetSchema.parse(target));
    case 'webhook':
      return new WebhookDestination(connection, webhookTargetSchema.parse(target));
    default:
      throw new BackflowError('CONFIG_INVALID', `connection type ${connection.type} is not a destination`);
  }
}
