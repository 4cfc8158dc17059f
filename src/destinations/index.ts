import type { Connection } from '../config/schema';
import { BackflowError } from '../errors';
import type { Destination } from './destination';
import { SalesforceDestination } from './salesforce';

/** Builds the destination for a connection whose secrets are already resolved. */
export function createDestination(connection: Connection): Destination {
  switch (connection.type) {
    case 'salesforce':
      return new SalesforceDestination(connection);
    default:
      throw new BackflowError('CONFIG_INVALID', `connection type ${connection.type} is not a destination`);
  }
}
