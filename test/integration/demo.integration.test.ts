import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RunSummary } from '../../src/state/summary';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'backflow.js');

describe('backflow demo, end to end', () => {
  it('starts its own dev server, worker and sandbox and runs 4 → 2 → 0', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'backflow-demo-')), 'demo');
    const env = { ...process.env };
    delete env.TEMPORAL_ADDRESS; // the demo must start what it needs by itself
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'demo', '--json', '--dir', dir], {
      env,
      maxBuffer: 10 * 1024 * 1024,
    });
    const runs = JSON.parse(stdout) as RunSummary[];
    expect(runs).toHaveLength(3);
    for (const run of runs) {
      expect(run).toMatchObject({ sync: 'accounts_to_salesforce', status: 'succeeded' });
      expect(Object.keys(run.counts)).toEqual(
        expect.arrayContaining(['extracted', 'added', 'changed', 'removed', 'unchanged', 'synced', 'rejected']),
      );
    }
    expect(runs.map((r) => [r.counts.added, r.counts.changed, r.counts.synced, r.counts.created, r.counts.updated, r.apiCalls])).toEqual([
      [4, 0, 4, 4, 0, 1],
      [0, 2, 2, 0, 2, 1],
      [0, 0, 0, 0, 0, 0],
    ]);
    expect(new Set(runs.map((r) => r.runId)).size).toBe(3);
  });
});
