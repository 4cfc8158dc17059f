import type { SyncSpec } from '../../src/config/schema';
import { failureLines } from '../../src/cli/connectionProblems';
import { BackflowError } from '../../src/errors';

const spec = (source: string, destination: string) => ({ source, destination: { connection: destination } }) as unknown as SyncSpec;
const syncs = new Map([
  ['a', spec('warehouse', 'hubspot')],
  ['b', spec('warehouse', 'hubspot')],
  ['c', spec('lake', 'salesforce')],
]);
const modelFailed = (sync: string, reason: string) => ({
  sync,
  file: `syncs/${sync}.yaml`,
  error: new BackflowError('SOURCE_QUERY_FAILED', `syncs/${sync}.yaml: model: ${reason}`),
});

describe("validate's failure lines", () => {
  it('says a warehouse every sync reading it fails to open once, against its connection', () => {
    const opening = 'Cannot open database "warehous.duckdb": does not exist';
    expect(failureLines([modelFailed('a', opening), modelFailed('b', opening)], syncs)).toEqual([
      `backflow.yaml: connections.warehouse: ${opening} (syncs: a, b)`,
    ]);
  });

  it("keeps a sync's own model error on its file: another sync of the warehouse is fine, or fails otherwise", () => {
    expect(failureLines([modelFailed('a', 'Table accountz does not exist')], syncs)).toEqual([
      'a: syncs/a.yaml: model: Table accountz does not exist',
    ]);
    expect(failureLines([modelFailed('a', 'no table x'), modelFailed('b', 'no table y')], syncs)).toEqual([
      'a: syncs/a.yaml: model: no table x',
      'b: syncs/b.yaml: model: no table y',
    ]);
  });

  it('says credentials a destination refused once, against the connection, naming its syncs', () => {
    const refused = (sync: string) => ({ sync, file: `syncs/${sync}.yaml`, error: new BackflowError('DESTINATION_AUTH_FAILED', `HubSpot read the properties of ${sync} failed: 401`) });
    const other = { sync: 'c', file: 'syncs/c.yaml', error: new Error('socket hang up') };
    expect(failureLines([refused('a'), refused('b'), other], syncs)).toEqual([
      'backflow.yaml: connections.hubspot: HubSpot read the properties of a failed: 401 (syncs: a, b)',
      'c: socket hang up',
    ]);
  });
});
