import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { Connection } from 'jsforce';
import { startSync } from '../../src/temporal/startSync';
import { useSyncFixture } from '../support/fixture';
import { lastActivityFailure, uniqueTaskQueue, withWorker } from '../support/temporal';
import { startWorkerProcess } from '../support/workerProcess';
import { ACCOUNTS_BY_NAME_SYNC } from '../support/syncFiles';
import { recordResultsOf } from '../support/recordResults';

const SYNC = 'accounts_to_salesforce';
const FILE = `syncs/${SYNC}.yaml`;
const fx = useSyncFixture();

/** Adds settings to the demo project's salesforce connection. */
function connectionSettings(lines: string): void {
  fx.project.write('backflow.yaml', fx.project.read('backflow.yaml').replace('apiVersion: "62.0"', `apiVersion: "62.0"\n${lines}`));
}

async function createInOrg(fields: Record<string, unknown>): Promise<string> {
  const conn = new Connection({ instanceUrl: fx.sandbox.instanceUrl, accessToken: fx.sandbox.accessToken, version: '62.0' });
  const result = await conn.sobject('Account').create(fields);
  if (!result.success) throw new Error(`could not create ${JSON.stringify(fields)}`);
  return result.id;
}

const resultsOf = (runId: string) => recordResultsOf(fx.project.deps.state, runId, ['key', 'status', 'error_code', 'error_message', 'destination_id']);

const run = async (taskQueue: string, sync = SYNC) => (await startSync(fx.temporal.client, sync, { taskQueue })).result();

describe('Salesforce record matching without an external id field', () => {
  it('matches by SOQL, keeps the Ids, rejects an ambiguous key, and later updates by Id without looking up', async () => {
    fx.project.write('syncs/accounts_by_name.yaml', ACCOUNTS_BY_NAME_SYNC);
    const globex = await createInOrg({ Name: 'Globex' });
    const initechA = await createInOrg({ Name: 'Initech' });
    const initechB = await createInOrg({ Name: 'Initech' });
    const taskQueue = uniqueTaskQueue('match');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await run(taskQueue, 'accounts_by_name');
      expect(first).toMatchObject({ status: 'partial', counts: { synced: 3, created: 2, updated: 1, rejected: 1 } });
      const results = await resultsOf(first.runId);
      expect(results.find((r) => r.key === 'Globex')).toMatchObject({ status: 'synced', destination_id: globex });
      const initech = results.find((r) => r.key === 'Initech');
      expect(initech).toMatchObject({ status: 'rejected', error_code: 'AMBIGUOUS_MATCH' });
      expect(initech?.error_message).toContain(`${initechA}, ${initechB}`);
      const byName = (name: string) => fx.sandbox.records('Account').filter((a) => a.Name === name);
      expect(byName('Initech').map((a) => a.Health_Score__c)).toEqual([null, null]);
      expect(byName('Globex').map((a) => [a.Id, a.Health_Score__c])).toEqual([[globex, 82]]);

      // The duplicate goes; every row changes. Stored Ids are updated as they are; only Initech is looked up.
      const conn = new Connection({ instanceUrl: fx.sandbox.instanceUrl, accessToken: fx.sandbox.accessToken, version: '62.0' });
      await conn.sobject('Account').destroy(initechB);
      await fx.project.sql('UPDATE accounts SET health = health + 1');
      const before = fx.sandbox.requests().length;
      const second = await run(taskQueue, 'accounts_by_name');
      expect(second).toMatchObject({ status: 'succeeded', counts: { synced: 4, created: 0, updated: 4 } });
      const queries = fx.sandbox.requests().slice(before).filter((r) => r.path.endsWith('/query'));
      expect(queries).toHaveLength(1);
      expect(byName('Initech').map((a) => [a.Id, a.Health_Score__c])).toEqual([[initechA, 56]]);
      expect(fx.sandbox.records('Account')).toHaveLength(4);
    });
  });
});

describe('Salesforce field awareness', () => {
  it('coerces values per field type and rejects only the record whose value cannot be, naming the field', async () => {
    fx.project.write(
      FILE,
      fx.project
        .read(FILE)
        .replace('SELECT id, name, health, segment, mrr', "SELECT id, name, CASE WHEN id = 2 THEN 'lots' ELSE CAST(health AS VARCHAR) END AS health, segment, CAST(mrr AS VARCHAR) AS mrr"),
    );
    const taskQueue = uniqueTaskQueue('coerce');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const summary = await run(taskQueue);
      expect(summary).toMatchObject({ status: 'partial', counts: { synced: 3, rejected: 1 } });
      const rejected = (await resultsOf(summary.runId)).filter((r) => r.status === 'rejected');
      expect(rejected).toEqual([
        expect.objectContaining({ key: '2', error_code: 'INVALID_FIELD_VALUE', error_message: "Health_Score__c: 'lots' is not a number" }),
      ]);
      // Numeric text went out as numbers.
      expect(fx.sandbox.records('Account').map((a) => [a.Name, a.Health_Score__c, a.MRR__c])).toEqual([
        ['Acme', 38, 900],
        ['Initech', 55, 700],
        ['Umbrella', 91, 1200],
      ]);
      const upserts = fx.sandbox.requests().filter((r) => r.method === 'PATCH');
      expect(upserts.map((r) => r.records)).toEqual([3]);
    });
  });
});

describe('Salesforce auth', () => {
  it('refreshes an expired session mid-run with the OAuth refresh token and carries on', async () => {
    connectionSettings(
      [
        '    refreshToken: ${env:SF_REFRESH_TOKEN}',
        '    clientId: ${env:SF_CLIENT_ID}',
        '    clientSecret: ${env:SF_CLIENT_SECRET}',
        '    loginUrl: ${env:SALESFORCE_INSTANCE_URL}',
      ].join('\n'),
    );
    Object.assign(fx.project.deps.env ?? {}, {
      SF_REFRESH_TOKEN: fx.sandbox.refreshToken,
      SF_CLIENT_ID: fx.sandbox.clientId,
      SF_CLIENT_SECRET: fx.sandbox.clientSecret,
    });
    const taskQueue = uniqueTaskQueue('refresh');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      fx.sandbox.expireSessions();
      await fx.project.sql(fx.project.read('changes.sql'));
      const before = fx.sandbox.requests().length;
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { updated: 2, rejected: 0 } });
      const seen = fx.sandbox.requests().slice(before).map((r) => `${r.method} ${r.status} ${r.path.replace(/v62\.0\/.*/, '…')}`);
      expect(seen).toEqual(['PATCH 401 /services/data/…', 'POST 200 /services/oauth2/token', 'PATCH 200 /services/data/…']);
    });
  });

  it('signs in with the JWT bearer flow from a private key file', async () => {
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fx.sandbox.setJwtCertificate(keys.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const keyFile = path.join(fx.project.dir, 'salesforce-jwt.pem');
    fx.project.write('salesforce-jwt.pem', keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    fx.project.write(
      'backflow.yaml',
      fx.project
        .read('backflow.yaml')
        .replace(
          '    accessToken: ${env:SALESFORCE_ACCESS_TOKEN}\n',
          `    clientId: ${fx.sandbox.clientId}\n    username: ${fx.sandbox.username}\n    privateKeyFile: ${keyFile}\n    loginUrl: \${env:SALESFORCE_INSTANCE_URL}\n`,
        ),
    );
    const taskQueue = uniqueTaskQueue('jwt');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
    });
    const tokens = fx.sandbox.requests().filter((r) => r.path === '/services/oauth2/token');
    expect(tokens.map((r) => r.status)).toEqual([200]);
  });
});

describe('Salesforce API budget', () => {
  it('stops before usage crosses maxDailyApiUsage: the run ends partial and the org never answers 403', async () => {
    // Allocation 8, reserve 50%: backflow may bring usage to 4 (a describe and three upserts).
    fx.sandbox.setDailyApiLimit(8);
    connectionSettings('    maxDailyApiUsage: 0.5');
    fx.project.write(FILE, `${fx.project.read(FILE)}batchSize: 1\n`);
    const taskQueue = uniqueTaskQueue('reserve');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const summary = await run(taskQueue);
      expect(summary).toMatchObject({ status: 'partial', counts: { synced: 3, rejected: 0 }, error: { code: 'DESTINATION_BUDGET_EXHAUSTED' } });
      expect(summary.error?.message).toMatch(/usage is 4\/8 today; backflow stops at 4 \(maxDailyApiUsage 0\.5\)/);
      expect(fx.sandbox.requests().map((r) => r.status)).not.toContain(403);
      expect(fx.sandbox.records('Account')).toHaveLength(3);
    });
  });
});

/** A `backflow worker` process on the suite's dev server. */
async function startWorker(taskQueue: string): Promise<ChildProcess> {
  return (await startWorkerProcess({ projectDir: fx.project.dir, temporalAddress: fx.temporal.address, taskQueue, env: fx.project.env })).child;
}

describe('Salesforce Bulk API 2.0', () => {
  it('sends a large change set as one ingest job; a worker killed mid-job leaves one job, collected by the retry', async () => {
    await fx.project.sql(
      "INSERT INTO accounts SELECT i, CASE WHEN i = 7 THEN repeat('x', 300) ELSE 'Company ' || i END, 50, 'neutral', 100, NULL FROM range(5, 255) t(i)",
    );
    connectionSettings('    bulkThreshold: 100');
    fx.sandbox.setBulkProcessingDelay(3_000);
    const taskQueue = uniqueTaskQueue('bulk');
    const worker = await startWorker(taskQueue);
    const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
    // Kill the worker once the job is closed and being processed: its id is in the batch checkpoint.
    const closed = () => fx.sandbox.requests().some((r) => r.method === 'PATCH' && r.path.includes('/jobs/ingest/'));
    while (!closed()) await new Promise((resolve) => setTimeout(resolve, 50));
    worker.kill('SIGKILL');
    fx.sandbox.setBulkProcessingDelay(50);

    const summary = await withWorker(fx.temporal, fx.project.deps, taskQueue, () => handle.result());
    expect(summary).toMatchObject({ status: 'partial', batches: 1, counts: { added: 254, synced: 253, created: 253, rejected: 1 } });
    const jobs = fx.sandbox.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/jobs/ingest'));
    expect(jobs).toHaveLength(1);
    expect(fx.sandbox.requests().filter((r) => r.method === 'PATCH' && r.path.includes('/composite/'))).toEqual([]);
    const accounts = fx.sandbox.records('Account');
    expect(accounts).toHaveLength(253);
    expect(new Set(accounts.map((a) => a.External_Id__c)).size).toBe(253);
    const results = await resultsOf(summary.runId);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([
      expect.objectContaining({ key: '7', error_code: 'STRING_TOO_LONG' }),
    ]);
    const ids = new Map(accounts.map((a) => [String(a.External_Id__c), a.Id]));
    expect(results.filter((r) => r.status === 'synced').every((r) => ids.get(r.key ?? '') === r.destination_id)).toBe(true);
  });
});

describe('Salesforce request deadline', () => {
  it('gives up on a request Salesforce never answers after the connection’s timeoutMs, and the retry lands', async () => {
    connectionSettings('    timeoutMs: 500');
    const taskQueue = uniqueTaskQueue('deadline');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      fx.sandbox.setFaults({ timeout: 1 });
      const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
      // jsforce alone would wait 30 minutes for the held request (the activity's own timeout is 10).
      expect(await lastActivityFailure(fx.temporal.client, handle.workflowId)).toMatch(/^Salesforce [\w ]+ failed: ETIMEDOUT: no answer within 500 ms \((GET|PATCH) \/services\/data\/v62\.0\//);
      fx.sandbox.setFaults({});
      const summary = await handle.result();
      expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 4, created: 4, rejected: 0 } });
      expect(fx.sandbox.records('Account')).toHaveLength(4);
      const held = fx.sandbox.requests().filter((r) => r.fault === 'timeout');
      expect(held.length).toBeGreaterThan(0);
      expect(held.every((r) => r.status === 0)).toBe(true);
    });
  });
});
