import type { DestinationRecord, WriteResult } from '../../src/destinations/destination';
import { writeBisecting } from '../../src/engine/bisect';
import { DestinationBatchRejected, DestinationTransientError } from '../../src/errors';

const records = (keys: string[]): DestinationRecord[] => keys.map((key) => ({ key, fields: { Name: key }, destinationId: null }));

/** A destination that refuses any request holding a bad key, like an all-or-nothing batch API. */
function allOrNothing(bad: Set<string>) {
  const requests: string[][] = [];
  const write = async (batch: readonly DestinationRecord[]): Promise<WriteResult> => {
    requests.push(batch.map((r) => r.key));
    const culprit = batch.find((r) => bad.has(r.key));
    if (culprit) throw new DestinationBatchRejected(`${culprit.key}: Property values were not valid`, 'INVALID_OPTION', ['segment']);
    return { results: batch.map((r) => ({ key: r.key, status: 'ok', destinationId: `id-${r.key}`, created: true })), apiCalls: 1 };
  };
  return { write, requests };
}

describe('writeBisecting', () => {
  it('isolates the bad records so the good ones land, each bad one rejected with the destination error', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const destination = allOrNothing(new Set(['c', 'h']));
    const { results, apiCalls } = await writeBisecting(destination.write, records(keys));
    expect(results.map((r) => [r.key, r.status])).toEqual(keys.map((k) => [k, k === 'c' || k === 'h' ? 'rejected' : 'ok']));
    expect(results.find((r) => r.key === 'c')).toEqual({
      key: 'c',
      status: 'rejected',
      error: { code: 'INVALID_OPTION', message: 'c: Property values were not valid', fields: ['segment'] },
    });
    expect(apiCalls).toBe(destination.requests.length);
    expect(destination.requests[0]).toEqual(keys);
    expect(destination.requests).toContainEqual(['a', 'b']);
  });

  it('counts the requests a refused write made: two for one (a removal and an add), none for one answered from a checkpoint', async () => {
    let writes = 0;
    const write = async (batch: readonly DestinationRecord[]): Promise<WriteResult> => {
      writes++;
      if (batch.length > 1) throw new DestinationBatchRejected('1 invalid entry among 2 rows', 'META_INVALID_ENTRY', [], writes === 1 ? 2 : 0);
      return { results: batch.map((r) => ({ key: r.key, status: 'ok', destinationId: `id-${r.key}`, created: true })), apiCalls: 1 };
    };
    expect((await writeBisecting(write, records(['a', 'b']))).apiCalls).toBe(2 + 1 + 1);
    expect((await writeBisecting(write, records(['a', 'b']))).apiCalls).toBe(0 + 1 + 1);
  });

  it('sends a clean batch once', async () => {
    const destination = allOrNothing(new Set());
    expect((await writeBisecting(destination.write, records(['a', 'b']))).apiCalls).toBe(1);
    expect(destination.requests).toEqual([['a', 'b']]);
  });

  it('does not split on other failures: a transient one is for Temporal to retry', async () => {
    const write = async (): Promise<WriteResult> => {
      throw new DestinationTransientError('429', 'rate-limit', 1000);
    };
    await expect(writeBisecting(write, records(['a', 'b']))).rejects.toBeInstanceOf(DestinationTransientError);
  });
});
