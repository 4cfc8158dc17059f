/**
 * A connection's apiVersion the org does not serve, through the real jsforce client against the
 * Salesforce sandbox (which, as an org, answers 404 NOT_FOUND under a version it has no release of).
 */
import type { WriteContext } from '../../src/destinations/destination';
import { SalesforceDestination } from '../../src/destinations/salesforce';
import type { SalesforceTarget } from '../../src/destinations/targets';
import { ConfigError } from '../../src/errors';
import { startSalesforceSandbox } from '../../src/sandbox/salesforce';
import type { SalesforceSandbox } from '../../src/sandbox/salesforce';
import { rejectionOf } from '../support/rejection';
import { sandboxConnection } from '../support/salesforceConnection';

let sf: SalesforceSandbox;

beforeEach(async () => {
  sf = await startSalesforceSandbox();
});
afterEach(async () => {
  await sf.close();
});

const context: WriteContext = { syncName: 'api-version', runId: 'run-1', batchId: 'b-1', checkpoint: null, saveCheckpoint: async () => {} };

function destination(apiVersion: string, object = 'Account'): SalesforceDestination {
  return new SalesforceDestination(sandboxConnection(sf, { apiVersion }), { connection: 'salesforce', object, externalIdField: 'External_Id__c' } as SalesforceTarget);
}

const sync = { mode: 'upsert', mappings: [{ from: 'name', to: 'Name' }] } as unknown as Parameters<SalesforceDestination['check']>[0];

describe('an apiVersion the org does not serve', () => {
  it('is named by validate and by a run, not taken for a missing object', async () => {
    const expected = {
      code: 'CONFIG_INVALID',
      issues: [
        {
          file: 'backflow.yaml',
          path: 'connections.salesforce.apiVersion',
          message: `${sf.instanceUrl} does not serve Salesforce API version 65.0: it serves 31.0 to 64.0 (GET /services/data); set apiVersion to one of them`,
        },
      ],
    };
    const checked = await rejectionOf<ConfigError>(destination('65.0').check(sync));
    expect(checked).toBeInstanceOf(ConfigError);
    expect(checked).toMatchObject(expected);
    const written = await rejectionOf<ConfigError>(destination('65.0').write('upsert', [{ key: 'k-1', fields: { Name: 'Acme' }, destinationId: null }], context));
    expect(written).toMatchObject(expected);
    expect(sf.records('Account')).toEqual([]);
  });

  it('leaves an object that does not exist reported as such under a served version', async () => {
    expect(await destination('64.0', 'Nope__c').check(sync)).toEqual([
      { path: 'destination.object', message: 'Salesforce has no object Nope__c (or this user cannot see it)' },
    ]);
  });
});
