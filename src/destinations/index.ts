import type { Connection, SyncDestination } from '../config/schema';
import { BackflowError } from '../errors';
import type { Destination } from './destination';
import { HubspotDestination } from './hubspot';
import { SalesforceDestination } from './salesforce';
import { hubspotTargetSchema, salesforceTargetSchema } from './targets';

/** Builds the destination for a connection whose secrets are already resolved, bound to a sync's target. */
export function createDestination(connection: Connection, target: SyncDestination): Destination {
  switch (connection.type) {
    case 'salesforce':
      return new SalesforceDestination(connection, salesforceTargetSchema.parse(target));
    case 'hubspot':
      return new HubspotDestination(connection, hubspotTargetSchema.parse(target));
    default:
      throw new BackflowError('CONFIG_INVALID', `connection type ${connection.type} is not a destination`);
  }
}
