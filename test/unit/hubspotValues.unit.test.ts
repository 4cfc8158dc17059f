/**
 * Values as HubSpot takes them, written through the HubSpot destination to the HubSpot sandbox:
 * warehouse timestamps (microseconds, DATETIME without a zone) onto date and datetime properties, and
 * numbers that String() would write with an exponent.
 */
import { HubspotDestination } from '../../src/destinations/hubspot';
import { RollingWindowPacer } from '../../src/destinations/hubspotPacing';
import { toHubspotValue, withDateForms } from '../../src/destinations/hubspotRecords';
import type { WriteContext } from '../../src/destinations/destination';
import { startHubspotSandbox, type HubspotSandbox } from '../../src/sandbox/hubspot';

describe('HubSpot values', () => {
  it('writes numbers in plain decimal notation, never with an exponent', () => {
    expect([1e-7, 1.4210854715202004e-14, 1e21, -2.5e-7, 42, 0.1].map(toHubspotValue)).toEqual([
      '0.0000001',
      '0.000000000000014210854715202004',
      '1000000000000000000000',
      '-0.00000025',
      '42',
      '0.1',
    ]);
  });

  it('writes date text in the form of the property it goes to, and leaves other properties and unreal dates alone', () => {
    const types = new Map([['seen_at', 'datetime'], ['renewal', 'date']] as const);
    expect(withDateForms({ seen_at: '2024-05-01T12:34:56.123456Z', renewal: '2024-05-01T23:30:00-02:00', note: '2024-05-01T12:34:56.123456Z' }, types)).toEqual({
      seen_at: '2024-05-01T12:34:56.123Z',
      renewal: '2024-05-01',
      note: '2024-05-01T12:34:56.123456Z',
    });
    // A DATETIME without a zone is UTC; a date onto a datetime is its midnight UTC.
    expect(withDateForms({ seen_at: '2024-05-01T12:34:56.123456' }, types)).toEqual({ seen_at: '2024-05-01T12:34:56.123Z' });
    expect(withDateForms({ seen_at: '2024-05-01' }, types)).toEqual({ seen_at: '2024-05-01T00:00:00.000Z' });
    expect(withDateForms({ seen_at: '2026-02-30T10:00:00Z' }, types)).toEqual({ seen_at: '2026-02-30T10:00:00Z' });
  });

  describe('through the destination, to the sandbox', () => {
    let sandbox: HubspotSandbox;
    beforeAll(async () => {
      sandbox = await startHubspotSandbox({
        properties: {
          companies: [
            { name: 'external_id', label: 'External ID', type: 'string', hasUniqueValue: true },
            { name: 'seen_at', label: 'Seen', type: 'datetime' },
            { name: 'renewal', label: 'Renewal', type: 'date' },
            { name: 'score', label: 'Score', type: 'number' },
            { name: 'note', label: 'Note', type: 'string' },
            { name: 'tags', label: 'Tags', type: 'enumeration', fieldType: 'checkbox', options: ['a', 'b', 'c'] },
          ],
        },
      });
    });
    afterAll(async () => {
      await sandbox.close();
    });

    it('lands warehouse timestamps and tiny or huge numbers, asking for the property types once', async () => {
      const destination = () =>
        new HubspotDestination(
          { type: 'hubspot', accessToken: sandbox.accessToken, basePath: sandbox.basePath, tier: 'free', timeoutMs: 10_000 },
          { connection: 'hubspot', object: 'companies', externalIdField: 'external_id' },
          { pacer: new RollingWindowPacer({ max: 100, windowMs: 10_000 }) },
        );
      const context: WriteContext = { syncName: 's', runId: 'r', batchId: 'r#1', checkpoint: null, saveCheckpoint: async () => {} };
      const written = await destination().write(
        'upsert',
        [
          { key: 'a', fields: { seen_at: '2024-05-01T12:34:56.123456Z', renewal: '2024-05-01T12:34:56.123456Z', note: '2024-05-01T12:34:56.123456Z' }, destinationId: null },
          { key: 'b', fields: { seen_at: '2024-05-01T12:34:56.123456', score: 1e-7 }, destinationId: null },
          { key: 'c', fields: { score: 1e21 }, destinationId: null },
        ],
        context,
      );
      expect(written.results.map((result) => [result.key, result.status])).toEqual([['a', 'ok'], ['b', 'ok'], ['c', 'ok']]);
      // The describe and the upsert.
      expect(written.apiCalls).toBe(2);
      const stored = new Map(sandbox.records('companies').map((record) => [record.properties['external_id'], record.properties]));
      expect(stored.get('a')).toMatchObject({ seen_at: '2024-05-01T12:34:56.123Z', renewal: '2024-05-01', note: '2024-05-01T12:34:56.123456Z' });
      expect(stored.get('b')).toMatchObject({ seen_at: '2024-05-01T12:34:56.123Z', score: '0.0000001' });
      expect(stored.get('c')).toMatchObject({ score: '1000000000000000000000' });

      // Another batch (its own destination, as every batch opens one) uses the types already fetched.
      const again = await destination().write('upsert', [{ key: 'd', fields: { seen_at: '2024-06-01T00:00:00.5Z' }, destinationId: null }], context);
      expect(again.apiCalls).toBe(1);
      const propertyReads = sandbox.requests().filter((request) => request.path.includes('/properties/'));
      expect(propertyReads).toHaveLength(1);
    });

    it("writes a warehouse list onto a multiple checkbox property as HubSpot takes it, `;`-separated", async () => {
      const destination = new HubspotDestination(
        { type: 'hubspot', accessToken: sandbox.accessToken, basePath: sandbox.basePath, tier: 'free', timeoutMs: 10_000 },
        { connection: 'hubspot', object: 'companies', externalIdField: 'external_id' },
        { pacer: new RollingWindowPacer({ max: 100, windowMs: 10_000 }) },
      );
      const context: WriteContext = { syncName: 's', runId: 'r', batchId: 'r#2', checkpoint: null, saveCheckpoint: async () => {} };
      const written = await destination.write('upsert', [{ key: 'e', fields: { tags: ['a', 'c'] }, destinationId: null }], context);
      // As JSON text (`["a","c"]`) every record was refused INVALID_OPTION.
      expect(written.results).toMatchObject([{ key: 'e', status: 'ok' }]);
      expect(sandbox.records('companies').find((record) => record.properties['external_id'] === 'e')?.properties).toMatchObject({ tags: 'a;c' });
      expect(toHubspotValue([{ x: 1 }])).toBe('[{"x":1}]');
    });
  });
});
