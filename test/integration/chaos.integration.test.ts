/**
 * The reduced chaos run (`npm run chaos -- --quick`): two `backflow worker` processes SIGKILLed at
 * random moments, the Temporal dev server restarted once on its db file, the Salesforce sandbox
 * answering 500s, 503s, timeouts and apply-then-fail. Every record lands exactly once with the
 * model's values, and every record has a result row. (Its own dev server: it must restart it.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compareRecords } from '../../bench/chaos/compare';
import { chaosProfile } from '../../bench/chaos/profiles';
import { chaosPassed, runChaos } from '../../bench/chaos/run';

jest.setTimeout(240_000);

describe('chaos (reduced)', () => {
  it('loses nothing, duplicates nothing and gets every value right through kills, a server restart and faults', async () => {
    const profile = chaosProfile('quick');
    const result = await runChaos({
      ...profile,
      workDir: path.join(mkdtempSync(path.join(tmpdir(), 'backflow-chaos-')), 'run'),
      log: () => {},
    });
    expect(result).toMatchObject({
      records: profile.records,
      lost: 0,
      duplicated: 0,
      wrongValues: 0,
      unexpected: 0,
      missingResults: 0,
      // The run's staged row payloads are gone from the state store once it finished.
      stagedRowsLeft: 0,
      runStatus: 'succeeded',
      serverRestarts: 1,
    });
    expect(result.kills).toBeGreaterThanOrEqual(profile.kills);
    expect(result.faultsInjected).toBeGreaterThan(0);
    expect(chaosPassed(result, { kills: profile.kills })).toBe(true);
  });
});

describe('compareRecords', () => {
  const expected = new Map<string, Record<string, unknown>>([
    ['1', { Name: 'A', MRR__c: 7n }],
    ['2', { Name: 'B', MRR__c: 14n }],
    ['3', { Name: 'C', MRR__c: null }],
  ]);
  it('counts lost, duplicated, wrong and unexpected records and missing result rows', () => {
    const destination = [
      { External_Id__c: '1', Name: 'A', MRR__c: 7 },
      { External_Id__c: '1', Name: 'A', MRR__c: 7 },
      { External_Id__c: '3', Name: 'C!', MRR__c: null },
      { External_Id__c: '9', Name: 'Z', MRR__c: 1 },
    ];
    const result = compareRecords(expected, destination, 'External_Id__c', new Set(['1', '3']));
    expect(result).toMatchObject({ lost: 1, duplicated: 1, wrongValues: 1, unexpected: 1, missingResults: 1 });
  });
  it('finds nothing wrong in an exact copy (numbers compare as numbers, NULL as NULL)', () => {
    const destination = [
      { External_Id__c: '1', Name: 'A', MRR__c: 7 },
      { External_Id__c: '2', Name: 'B', MRR__c: 14 },
      { External_Id__c: '3', Name: 'C', MRR__c: null },
    ];
    const result = compareRecords(expected, destination, 'External_Id__c', new Set(['1', '2', '3']));
    expect(result).toMatchObject({ lost: 0, duplicated: 0, wrongValues: 0, unexpected: 0, missingResults: 0 });
  });
});
