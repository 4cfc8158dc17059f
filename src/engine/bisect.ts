import type { DestinationRecord, WriteResult } from '../destinations/destination';
import { DestinationBatchRejected } from '../errors';

/**
 * Writes a batch; when the destination refuses the whole request because of what is in it (one bad
 * record fails them all), splits it in halves and writes each, down to single records, so the good
 * records still land and each bad one is rejected with the destination's own error. A batch of n
 * records with one bad record costs about 2·log2(n) extra requests.
 */
export async function writeBisecting(
  write: (records: readonly DestinationRecord[]) => Promise<WriteResult>,
  records: readonly DestinationRecord[],
): Promise<WriteResult> {
  try {
    return await write(records);
  } catch (err) {
    if (!(err instanceof DestinationBatchRejected)) throw err;
    const failedCall = err.apiCalls;
    if (records.length === 1) {
      const [only] = records as [DestinationRecord];
      return {
        results: [{ key: only.key, status: 'rejected', error: { code: err.destinationCode, message: err.message, fields: err.fields } }],
        apiCalls: failedCall,
      };
    }
    const middle = Math.ceil(records.length / 2);
    const left = await writeBisecting(write, records.slice(0, middle));
    const right = await writeBisecting(write, records.slice(middle));
    return { results: [...left.results, ...right.results], apiCalls: failedCall + left.apiCalls + right.apiCalls };
  }
}
