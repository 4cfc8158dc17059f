import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BigQuery } from '@google-cloud/bigquery';
import { Client as HubspotClient } from '@hubspot/api-client';
import { Connection } from 'jsforce';
import { WebClient } from '@slack/web-api';
import { IncomingWebhook } from '@slack/webhook';
import { DEMO_HUBSPOT_COMPANY_PROPERTIES } from '../../src/sandbox';
import { startHubspotSandbox, type HubspotSandbox } from '../../src/sandbox/hubspot';
import { startMetaSandbox, type MetaSandbox } from '../../src/sandbox/meta';
import { startSlackSandbox, type SlackSandbox } from '../../src/sandbox/slack';
import { startAlertReceiver } from '../support/alertReceiver';
import { backflow, expectSucceeded } from '../support/cli';
import { runOnTestWorker, useSyncFixture } from '../support/fixture';
import { describeStoreIndependent } from '../support/project';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const SYNC = 'accounts_to_salesforce';
const SYNC_FILE = 'syncs/accounts_to_salesforce.yaml';
const fx = useSyncFixture();
const runOnWorker = (name: string) => runOnTestWorker(fx, SYNC, name);

describeStoreIndependent('backflow validate', () => {
  // The demo project also syncs to HubSpot (accounts_to_hubspot).
  let hubspot: HubspotSandbox;
  // …and to Slack (accounts_at_risk_to_slack) and a Meta audience (accounts_to_meta_audience).
  let slack: SlackSandbox;
  let meta: MetaSandbox;
  let env: Record<string, string>;
  beforeEach(async () => {
    hubspot = await startHubspotSandbox({ properties: { companies: DEMO_HUBSPOT_COMPANY_PROPERTIES } });
    slack = await startSlackSandbox();
    meta = await startMetaSandbox();
    env = {
      ...fx.project.env,
      HUBSPOT_BASE_PATH: hubspot.basePath,
      HUBSPOT_ACCESS_TOKEN: hubspot.accessToken,
      SLACK_API_URL: slack.apiUrl,
      SLACK_BOT_TOKEN: slack.token,
      META_GRAPH_URL: meta.graphUrl,
      META_ACCESS_TOKEN: meta.accessToken,
    };
  });
  afterEach(async () => {
    await slack.close();
    await meta.close();
    await hubspot.close();
  });

  it('passes a good project, checking the mapped fields against the destination', async () => {
    const result = await backflow(['validate', '--project', fx.project.dir], env);
    expectSucceeded(result);
    expect(result.stdout).toContain(`ok  ${SYNC}`);
    expect(result.stdout).toContain('ok  accounts_to_hubspot');
    expect(fx.sandbox.requests().map((r) => `${r.method} ${r.path}`)).toEqual(['GET /services/data/v62.0/sobjects/Account/describe']);
    expect(hubspot.requests().map((r) => `${r.method} ${r.path}`)).toEqual(['GET /crm/v3/properties/companies']);
  });

  it('reports every problem at once with file and path, and exits 1', async () => {
    fx.project.write(
      SYNC_FILE,
      fx.project.read(SYNC_FILE).replace('to: Segment__c', 'to: Segmint__c').replace('to: Name', 'to: CreatedDate'),
    );
    fx.project.write('syncs/second.yaml', fx.project.read(SYNC_FILE).replace('primaryKey: id', 'primaryKey: uuid'));
    const result = await backflow(['validate', '--project', fx.project.dir], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${SYNC_FILE}: mappings[0].to: Account.CreatedDate is read-only`);
    expect(result.stderr).toContain(`${SYNC_FILE}: mappings[2].to: Account has no field Segmint__c`);
    expect(result.stderr).toContain('syncs/second.yaml: primaryKey: column "uuid" is not returned by the model');
    // "ok" only for the syncs nothing was reported about.
    expect(result.stdout).not.toContain(`ok  ${SYNC}`);
    expect(result.stdout).not.toContain('ok  second');
    expect(result.stdout).toContain('ok  accounts_to_hubspot');
  });

  it("reports a template variable or customer-file key no mapping provides offline too, and a dry run refuses it, asking neither Slack nor Meta", async () => {
    const slackFile = 'syncs/accounts_at_risk_to_slack.yaml';
    const metaFile = 'syncs/accounts_to_meta_audience.yaml';
    fx.project.write(slackFile, fx.project.read(slackFile).replace('{{ health }}', '{{ helth }}'));
    fx.project.write(metaFile, fx.project.read(metaFile).replace('to: EMAIL', 'to: EMIAL').replace('FROM accounts', 'FROM acounts'));
    const result = await backflow(['validate', '--offline', '--project', fx.project.dir], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`${slackFile}: destination\\.template: .*helth`));
    // The model's own error with the file's other problems, not after they are fixed.
    expect(result.stderr).toMatch(new RegExp(`${metaFile}: model: .*acounts`));
    expect(result.stderr).toContain(`${metaFile}: mappings[1].to: EMIAL is not a Meta customer-file key`);
    expect(result.stdout).toContain(`ok  ${SYNC}`);
    const dryRun = await backflow(['run', 'accounts_at_risk_to_slack', '--dry-run', '--project', fx.project.dir], env);
    expect(dryRun.code).not.toBe(0);
    expect(dryRun.stderr).toMatch(/destination\.template: .*helth/);
    expect([...slack.requests(), ...meta.requests()]).toEqual([]);
  });

  it('reports an unset ${env:…} nested in a connection (a webhook header) and in alerts, like any missing secret', async () => {
    fx.project.write(
      'backflow.yaml',
      `${fx.project.read('backflow.yaml')}  hook:\n    type: webhook\n    url: http://127.0.0.1:9/in\n    headers:\n      Authorization: Bearer \${env:HOOK_TOKEN}\n` +
        'alerts:\n  slack: ${env:ALERT_SLACK_URL}\n',
    );
    fx.project.write(
      'syncs/to_hook.yaml',
      'source: warehouse\nmodel: SELECT id, name FROM accounts\nprimaryKey: id\ndestination: { connection: hook }\nmappings:\n  - { from: name, to: name }\n',
    );
    const result = await backflow(['validate', '--offline', '--project', fx.project.dir], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('backflow.yaml: connections.hook.headers.Authorization: environment variable HOOK_TOKEN is not set (referenced as ${env:HOOK_TOKEN})');
    expect(result.stderr.match(/backflow\.yaml: alerts\.slack: environment variable ALERT_SLACK_URL is not set/g)).toHaveLength(1);
    expect(result.stdout).not.toContain('ok  to_hook');
    expect(result.stdout).not.toContain(`ok  ${SYNC}`); // its alerts go nowhere
    // Reported once, though both the connection and its sync's check read it.
    expect(result.stderr.match(/HOOK_TOKEN is not set/g)).toHaveLength(1);


    const fixed = await backflow(['validate', '--offline', '--project', fx.project.dir], { ...env, HOOK_TOKEN: 't', ALERT_SLACK_URL: 'https://hooks.example/x' });
    expectSucceeded(fixed);
    expect(fixed.stdout).toContain('ok  to_hook');

    // A connection no sync uses (yet): its references are checked all the same.
    rmSync(path.join(fx.project.dir, 'syncs', 'to_hook.yaml'));
    const unused = await backflow(['validate', '--offline', '--project', fx.project.dir], { ...env, ALERT_SLACK_URL: 'https://hooks.example/x' });
    expect(unused.code).toBe(1);
    expect(unused.stderr).toContain('backflow.yaml: connections.hook.headers.Authorization: environment variable HOOK_TOKEN is not set (referenced as ${env:HOOK_TOKEN})');
  });
});

describeStoreIndependent('backflow run with an unset alert secret', () => {
  it('is refused before the run starts (a dry run too), naming the file and field; nothing is sent', async () => {
    fx.project.write('backflow.yaml', `${fx.project.read('backflow.yaml')}alerts:\n  webhook: \${env:ALERT_HOOK_URL}\n`);
    for (const dryRun of [[], ['--dry-run']]) {
      const result = await backflow(['run', SYNC, ...dryRun, '--project', fx.project.dir], fx.project.env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('backflow.yaml: alerts.webhook: environment variable ALERT_HOOK_URL is not set (referenced as ${env:ALERT_HOOK_URL})');
    }
    expect(fx.sandbox.requests().filter((r) => r.method !== 'GET')).toEqual([]);
  });
});

describe('backflow run of a sync whose model broke', () => {
  it('records the refused run as failed and alerts, as a scheduled run refused at its start is', async () => {
    const hooks = await startAlertReceiver();
    try {
      fx.project.write('backflow.yaml', `${fx.project.read('backflow.yaml')}alerts:\n  webhook: ${hooks.url}\n`);
      fx.project.write(SYNC_FILE, fx.project.read(SYNC_FILE).replace('FROM accounts', 'FROM acounts'));
      const result = await backflow(['run', SYNC, '--project', fx.project.dir], fx.project.env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/SOURCE_QUERY_FAILED/);
      const failed = await backflow(['runs', SYNC, '--failed', '--json', '--project', fx.project.dir], fx.project.env);
      expectSucceeded(failed);
      const [run] = JSON.parse(failed.stdout) as Array<{ status: string; error?: { code: string; message: string } }>;
      expect(run).toMatchObject({ status: 'failed', error: { code: 'SOURCE_QUERY_FAILED', message: expect.stringContaining('acounts') as unknown } });
      expect(hooks.posts.map((post) => [post.body['type'], post.body['kind']])).toEqual([['incident.opened', 'failed']]);
      expect(fx.sandbox.requests().filter((r) => r.method !== 'GET')).toEqual([]);
    } finally {
      await hooks.close();
    }
  });
});

describeStoreIndependent('a wrong project directory, or wrong usage', () => {
  const noStateUrl = () => ({ ...fx.project.env, BACKFLOW_STATE_URL: undefined });

  it('a directory without backflow.yaml is an error, and nothing is created there', async () => {
    const missing = path.join(mkdtempSync(path.join(tmpdir(), 'backflow-nowhere-')), 'typo');
    for (const args of [['runs', SYNC], ['records', SYNC, '--key', '1'], ['run', SYNC], ['runs', 'show', 'sync:x:1'], ['migrate'], ['validate'], ['prune']]) {
      const result = await backflow([...args, '--project', missing], noStateUrl());
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`backflow.yaml: not found in ${missing} (is --project right?)`);
    }
    // Given by BACKFLOW_PROJECT, not --project: the message names the variable (validate, prune and
    // schedules apply too, which read the project before checking it, or asked for a cluster first).
    for (const args of [['runs', SYNC], ['validate'], ['prune'], ['schedules', 'apply']]) {
      const result = await backflow(args, { ...noStateUrl(), BACKFLOW_PROJECT: missing, TEMPORAL_ADDRESS: undefined });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`backflow.yaml: not found in ${missing} (the directory BACKFLOW_PROJECT names: is it right? --project <dir> overrides it)`);
    }
    expect(existsSync(missing)).toBe(false);
    const empty = mkdtempSync(path.join(tmpdir(), 'backflow-empty-'));
    expect((await backflow(['runs', SYNC, '--project', empty], noStateUrl())).code).toBe(1);
    expect(readdirSync(empty)).toEqual([]);
  });

  it('validate says a project has no syncs (its folder misnamed sync/), and exits 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'backflow-nosyncs-'));
    writeFileSync(path.join(dir, 'backflow.yaml'), fx.project.read('backflow.yaml'));
    mkdirSync(path.join(dir, 'sync'));
    writeFileSync(path.join(dir, 'sync', `${SYNC}.yaml`), fx.project.read(SYNC_FILE));
    const result = await backflow(['validate', '--offline', '--project', dir], fx.project.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no syncs: ${dir} has no sync files under syncs/`);
  });

  it('a usage error under --json still answers on stdout, and --help still exits 0', async () => {
    for (const args of [['run', '--json'], ['records', SYNC, '--json'], ['runs', SYNC, '--json', '--jsn']]) {
      const result = await backflow([...args, '--project', fx.project.dir], fx.project.env);
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'USAGE', message: expect.stringMatching(/^error: /) as unknown } });
      expect(result.stderr).toMatch(/^error: /);
    }
    // A usage error of backflow's own (not commander's): the same code.
    const show = await backflow(['runs', 'show', '--json', '--project', fx.project.dir], fx.project.env);
    expect([show.code, JSON.parse(show.stdout)]).toEqual([1, { error: { code: 'USAGE', message: 'usage: backflow runs show <runId>' } }]);
    // An unknown schedules action says so, without a cluster (it asked for TEMPORAL_ADDRESS first),
    // as the usage error it is: nothing in the config is wrong (it said CONFIG_INVALID).
    const typo = await backflow(['schedules', 'aply', '--project', fx.project.dir], { ...fx.project.env, TEMPORAL_ADDRESS: undefined });
    expect([typo.code, typo.stderr.trim()]).toEqual([1, 'error: USAGE: unknown schedules action "aply" (apply, list, pause, resume, trigger, backfill)']);
    // So are a missing sync and a backfill's missing or unusable dates (a flag's unusable value is
    // CONFIG_INVALID, as --limit's and --older-than's are).
    for (const [args, code, message] of [
      [['pause'], 'USAGE', 'usage: backflow schedules pause <sync>'],
      [['backfill', SYNC, '--from', 'notadate', '--to', '2026-01-02'], 'CONFIG_INVALID', '--from: "notadate" is not an ISO-8601 date'],
      [['backfill', SYNC, '--from', '1', '--to', '2'], 'CONFIG_INVALID', '--from: "1" is not an ISO-8601 date'],
      [['backfill', SYNC, '--from', '2026-01-02', '--to', '2026-01-01'], 'CONFIG_INVALID', '--from 2026-01-02 is not before --to 2026-01-01'],
      [['backfill', SYNC], 'USAGE', 'usage: backflow schedules backfill <sync> --from <date> --to <date>'],
    ] as const) {
      const result = await backflow(['schedules', ...args, '--json', '--project', fx.project.dir], { ...fx.project.env, TEMPORAL_ADDRESS: undefined });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(message);
      expect(JSON.parse(result.stdout)).toMatchObject({ error: { code, message: expect.stringContaining(message) as unknown } });
    }
    const help = await backflow(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: backflow run [options] <sync>');
  });

  it('an extra argument is refused, naming it, and nothing runs (`run a b` ran a and dropped b)', async () => {
    const noCluster = { ...fx.project.env, TEMPORAL_ADDRESS: undefined };
    for (const [args, message] of [
      [['run', SYNC, 'accounts_to_hubspot'], 'error: unexpected argument "accounts_to_hubspot": backflow run takes only <sync>'],
      [['run', SYNC, 'a', 'b'], 'error: unexpected arguments "a", "b": backflow run takes only <sync>'],
      [['prune', '30d'], 'error: unexpected argument "30d": backflow prune takes no arguments'],
      [['runs', 'show', 'r1', 'r2'], 'error: unexpected argument "r2": backflow runs takes only <syncOrShow> [runId]'],
      // Within the arguments commander counts: a run id after a sync, a sync after apply or list.
      [['runs', SYNC, 'accounts_to_hubspot'], 'unexpected argument "accounts_to_hubspot": backflow runs <sync> takes one sync (a run\'s records: backflow runs show <runId>)'],
      [['schedules', 'apply', SYNC], `unexpected argument "${SYNC}": backflow schedules apply takes no sync (it covers every sync)`],
      [['schedules', 'list', SYNC], `unexpected argument "${SYNC}": backflow schedules list takes no sync (it covers every sync)`],
    ] as const) {
      const result = await backflow([...args, '--json', '--project', fx.project.dir], noCluster);
      expect([args, result.code, JSON.parse(result.stdout)]).toEqual([args, 1, { error: { code: 'USAGE', message } }]);
      expect(result.stderr).toContain(message);
    }
    expect(fx.sandbox.requests()).toEqual([]);
  });

  it('--version (-V) prints the version of package.json, and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) expect(await backflow([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describe('history commands on a wrong sync name', () => {
  it('an unknown sync is an error listing the defined syncs, also while another sync file is broken', async () => {
    fx.project.write('syncs/broken.yaml', 'source: [unclosed');
    for (const args of [['runs', 'acounts'], ['records', 'acounts', '--key', '1']]) {
      const result = await backflow([...args, '--project', fx.project.dir], fx.project.env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`no sync named "acounts" (defined: accounts_at_risk_to_slack, accounts_to_hubspot, accounts_to_meta_audience, ${SYNC})`);
    }
  });

  it('an empty --key is a usage error, not "no results" (no record has an empty key)', async () => {
    const result = await backflow(['records', SYNC, '--key', ' ', '--json', '--project', fx.project.dir], fx.project.env);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({ error: { code: 'USAGE', message: "--key: give the record's primary key value (an empty or blank key names no record)" } });
  });

  it('a sync deleted from the project keeps its history readable', async () => {
    const run = await runOnWorker('deleted-sync');
    rmSync(path.join(fx.project.dir, SYNC_FILE));
    const result = await backflow(['runs', SYNC, '--json', '--project', fx.project.dir], fx.project.env);
    expectSucceeded(result);
    expect((JSON.parse(result.stdout) as Array<{ runId: string }>).map((r) => r.runId)).toEqual([run.runId]);
    expect(result.stderr).toContain(`no longer defines a sync named "${SYNC}"`);
  });
});

describe('backflow runs <sync> --failed', () => {
  it('lists only the runs that failed or ended partial', async () => {
    const sync = () => runOnWorker('runs-failed');
    const succeeded = await sync();
    const none = await backflow(['runs', SYNC, '--failed', '--project', fx.project.dir], fx.project.env);
    expectSucceeded(none);
    expect(none.stdout).toContain(`no failed or partial runs of ${SYNC}`);

    const model = fx.project.read(SYNC_FILE);
    fx.project.write(SYNC_FILE, model.replace('SELECT id, name, health', "SELECT id, name, CASE WHEN id = 2 THEN 'high' ELSE health::VARCHAR END AS health"));
    const partial = await sync();
    expect([succeeded.status, partial.status]).toEqual(['succeeded', 'partial']);

    const failed = await backflow(['runs', SYNC, '--failed', '--json', '--project', fx.project.dir], fx.project.env);
    expectSucceeded(failed);
    expect((JSON.parse(failed.stdout) as Array<{ runId: string }>).map((r) => r.runId)).toEqual([partial.runId]);
    const all = await backflow(['runs', SYNC, '--json', '--project', fx.project.dir], fx.project.env);
    expect((JSON.parse(all.stdout) as Array<{ runId: string }>).map((r) => r.runId)).toEqual([partial.runId, succeeded.runId]);
  });
});

describe('backflow run with its own worker, interrupted', () => {
  it('cancels the run at Ctrl-C and closes it once its batch in flight commits, so the next run is not refused', async () => {
    fx.sandbox.setFaults({ writeResponseDelayMs: 3_000 });
    const child = spawn(process.execPath, [path.resolve(__dirname, '..', '..', 'bin', 'backflow.js'), 'run', SYNC, '--json', '--project', fx.project.dir], {
      env: { ...process.env, ...fx.project.env, BACKFLOW_WORKFLOW_BUNDLE: process.env.BACKFLOW_TEST_WORKFLOW_BUNDLE, TEMPORAL_ADDRESS: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    try {
      // The batch is at the destination (which answers 3 s later): interrupt now.
      for (let tries = 0; fx.sandbox.requests().length === 0 && tries < 300; tries++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(fx.sandbox.requests().length).toBeGreaterThan(0);
      child.kill('SIGINT');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(1);
      expect(stderr).toMatch(/SIGINT: cancelling run sync:accounts_to_salesforce:\S+; its batch in flight commits first/);
      expect(JSON.parse(stdout)).toMatchObject({ error: { code: 'CANCELLED' } });
    } finally {
      child.kill('SIGKILL');
      fx.sandbox.setFaults({});
    }
    const runs = await fx.project.deps.state.selectFrom('runs').select(['status', 'error_code']).execute();
    expect(runs).toEqual([{ status: 'failed', error_code: 'CANCELLED' }]);
    // What the cancelled run committed is not sent again; the next run is not refused.
    const next = await backflow(['run', SYNC, '--json', '--project', fx.project.dir], fx.project.env);
    expectSucceeded(next);
    expect(JSON.parse(next.stdout)).toMatchObject({ status: 'succeeded' });
  });
});

describe('backflow run with its own worker, interrupted twice or while starting', () => {
  /** `backflow run` with its own worker: the process, what it wrote on stderr so far, and its exit. */
  const start = (...extra: string[]) => {
    const child = spawn(process.execPath, [path.resolve(__dirname, '..', '..', 'bin', 'backflow.js'), 'run', SYNC, '--project', fx.project.dir, ...extra], {
      env: { ...process.env, ...fx.project.env, BACKFLOW_WORKFLOW_BUNDLE: process.env.BACKFLOW_TEST_WORKFLOW_BUNDLE, TEMPORAL_ADDRESS: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return { child, stdout: () => stdout, stderr: () => stderr, exited: once(child, 'exit') as Promise<[number | null]> };
  };
  const lockFile = () => path.join(fx.project.dir, '.backflow', 'temporal.db.lock');
  /** The pid of the dev server the command spawned, once its lock file names it. */
  async function serverPid(): Promise<number> {
    for (let tries = 0; tries < 600; tries++) {
      const pid = existsSync(lockFile()) ? Number(readFileSync(lockFile(), 'utf8').split('\n')[1]) : Number.NaN;
      if (pid > 0) return pid;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the command started no dev server');
  }
  /** Whether `pid` is gone within a few seconds (a killed child is reaped by init only after its parent exits). */
  async function gone(pid: number): Promise<boolean> {
    for (let tries = 0; isRunning(pid) && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
    return !isRunning(pid);
  }

  it('stops at the second Ctrl-C, without waiting for the batch in flight, and stops its dev server', async () => {
    // A destination that answers only after a minute: the batch in flight would hold the exit that long.
    fx.sandbox.setFaults({ writeResponseDelayMs: 60_000 });
    const { child, stderr, exited } = start();
    try {
      const server = await serverPid();
      for (let tries = 0; fx.sandbox.requests().length === 0 && tries < 300; tries++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(fx.sandbox.requests().length).toBeGreaterThan(0);
      child.kill('SIGINT');
      for (let tries = 0; !stderr().includes('SIGINT: cancelling run') && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
      child.kill('SIGINT');
      const [code] = await exited;
      // 1 came only after the batch's answer (and a crash was possible): 130 is the second signal's exit.
      expect(code).toBe(130);
      expect(stderr()).toMatch(/SIGINT again: stopping now; run sync:accounts_to_salesforce:\S+ stays open until a later run closes it/);
      expect(await gone(server)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      fx.sandbox.setFaults({});
    }
  });

  it('stops its dev server on a Ctrl-C before the run started, and says so (on stdout too with --json)', async () => {
    const { child, stdout, stderr, exited } = start('--json');
    try {
      const server = await serverPid();
      child.kill('SIGINT');
      const [code] = await exited;
      expect(code).toBe(130);
      expect(stderr()).toContain('SIGINT: stopped (no run of this command was in progress)');
      // A script reading --json output tells a stop from a crash (stdout was empty).
      expect(JSON.parse(stdout())).toEqual({ error: { code: 'INTERRUPTED', message: 'SIGINT: stopped (no run of this command was in progress)' } });
      // Killed by the signal itself, the command left its server running on the project.
      expect(await gone(server)).toBe(true);
      expect(fx.sandbox.requests()).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('backflow run with its own worker, killed', () => {
  it('stops the dev server a SIGKILLed command left running on the project, and the next run succeeds', async () => {
    fx.sandbox.setFaults({ writeResponseDelayMs: 3_000 });
    const lockFile = path.join(fx.project.dir, '.backflow', 'temporal.db.lock');
    const child = spawn(process.execPath, [path.resolve(__dirname, '..', '..', 'bin', 'backflow.js'), 'run', SYNC, '--json', '--project', fx.project.dir], {
      env: { ...process.env, ...fx.project.env, BACKFLOW_WORKFLOW_BUNDLE: process.env.BACKFLOW_TEST_WORKFLOW_BUNDLE, TEMPORAL_ADDRESS: undefined },
      stdio: 'ignore',
    });
    const exited = once(child, 'exit');
    let orphan = Number.NaN;
    try {
      for (let tries = 0; fx.sandbox.requests().length === 0 && tries < 300; tries++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(fx.sandbox.requests().length).toBeGreaterThan(0);
      orphan = Number(readFileSync(lockFile, 'utf8').split('\n')[1]);
      child.kill('SIGKILL');
      await exited;
    } finally {
      fx.sandbox.setFaults({});
    }
    // Detached, the command's dev server outlived it, holding the project's Temporal database.
    expect(isRunning(orphan)).toBe(true);
    const next = await backflow(['run', SYNC, '--json', '--project', fx.project.dir], fx.project.env);
    expectSucceeded(next);
    expect(next.stderr).toContain(`stopping the dev server (pid ${orphan}) a killed backflow command left running`);
    expect(next.stderr).toMatch(/finishing run sync:accounts_to_salesforce:\S+, left open by a backflow command that was killed/);
    expect(JSON.parse(next.stdout)).toMatchObject({ status: 'succeeded' });
    expect(isRunning(orphan)).toBe(false);
    expect(existsSync(lockFile)).toBe(false);
    // The killed command's run was finished first, from its last committed batch.
    const runs = await fx.project.deps.state.selectFrom('runs').select('status').execute();
    expect(runs.map((run) => run.status)).toEqual(['succeeded', 'succeeded']);
  });
});

/** Starts `backflow run` with its own embedded Temporal and SIGKILLs it while its first batch awaits the destination's answer. */
async function killRunMidBatch(): Promise<void> {
  fx.sandbox.setFaults({ writeResponseDelayMs: 3_000 });
  const child = spawn(process.execPath, [path.resolve(__dirname, '..', '..', 'bin', 'backflow.js'), 'run', SYNC, '--json', '--project', fx.project.dir], {
    env: { ...process.env, ...fx.project.env, BACKFLOW_WORKFLOW_BUNDLE: process.env.BACKFLOW_TEST_WORKFLOW_BUNDLE, TEMPORAL_ADDRESS: undefined },
    stdio: 'ignore',
  });
  const exited = once(child, 'exit');
  try {
    for (let tries = 0; fx.sandbox.requests().length === 0 && tries < 300; tries++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fx.sandbox.requests().length).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await exited;
  } finally {
    fx.sandbox.setFaults({});
  }
}

describe('backflow run after a killed command, the sync edited since', () => {
  it('stops the run the killed command left open rather than finishing it by the old definition', async () => {
    await killRunMidBatch();
    // The user fixes the sync (here: MRR is no longer sent) and runs it again.
    fx.project.write(SYNC_FILE, fx.project.read(SYNC_FILE).replace(/^  - \{ from: mrr, to: MRR__c \}\n/m, ''));
    const next = await backflow(['run', SYNC, '--json', '--project', fx.project.dir], fx.project.env);
    expectSucceeded(next);
    expect(next.stderr).toMatch(/stopping run sync:accounts_to_salesforce:\S+, left open by a backflow command that was killed: accounts_to_salesforce was edited since it started/);
    expect(JSON.parse(next.stdout)).toMatchObject({ status: 'succeeded' });
    const runs = await fx.project.deps.state.selectFrom('runs').select(['status', 'error_code']).orderBy('started_at').execute();
    expect(runs).toEqual([
      { status: 'failed', error_code: 'RUN_ABANDONED' },
      { status: 'succeeded', error_code: null },
    ]);
  });
});

describe('backflow run after a killed command, dbt writing its manifest as the command starts', () => {
  it('waits for the manifest, then finishes the run the killed command left open, as the run itself waits for it', async () => {
    const manifest = JSON.stringify({
      nodes: { 'model.shop.accounts_scored': { resource_type: 'model', name: 'accounts_scored', relation_name: '"warehouse"."main"."accounts"', config: { materialized: 'table' } } },
    });
    fx.project.write('manifest.json', manifest);
    fx.project.write(SYNC_FILE, fx.project.read(SYNC_FILE).replace(/model: \|\n(?:  .*\n)+/, 'model: { dbt: accounts_scored, manifest: manifest.json }\n'));
    await killRunMidBatch();
    // dbt truncates manifest.json and writes it anew: the next command starts between the two, and
    // dbt finishes the file while the command waits for it.
    fx.project.write('manifest.json', manifest.slice(0, 30));
    const next = spawn(process.execPath, [path.resolve(__dirname, '..', '..', 'bin', 'backflow.js'), 'run', SYNC, '--json', '--project', fx.project.dir], {
      env: { ...process.env, ...fx.project.env, BACKFLOW_WORKFLOW_BUNDLE: process.env.BACKFLOW_TEST_WORKFLOW_BUNDLE, TEMPORAL_ADDRESS: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    next.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    next.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes("waiting for the sync's definition")) fx.project.write('manifest.json', manifest);
    });
    const [code] = (await once(next, 'exit')) as [number | null];
    expectSucceeded({ code: code ?? -1, stdout, stderr });
    expect(stderr).toMatch(/waiting for the sync's definition to compare with the run left open: .*dbt manifest manifest\.json is incomplete/);
    expect(stderr).toMatch(/finishing run sync:accounts_to_salesforce:\S+, left open by a backflow command that was killed/);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'succeeded' });
    const runs = await fx.project.deps.state.selectFrom('runs').select('status').execute();
    expect(runs.map((run) => run.status)).toEqual(['succeeded', 'succeeded']);
    expect(fx.sandbox.records('Account').map((a) => a.Name)).toEqual(['Acme', 'Globex', 'Initech', 'Umbrella']);
  }, 240_000); // finishing the killed command's run took up to 90 s on the PostgreSQL pass
});

describeStoreIndependent('backflow run against a cluster', () => {
  it('stops waiting at the first SIGTERM, saying the run goes on on the cluster', async () => {
    // A queue no worker polls: the run waits on the cluster until a worker comes.
    const taskQueue = uniqueTaskQueue('cli-sigterm');
    const child = spawn(process.execPath, [path.resolve(__dirname, '..', '..', 'bin', 'backflow.js'), 'run', SYNC, '--project', fx.project.dir], {
      env: { ...process.env, ...fx.project.env, TEMPORAL_ADDRESS: fx.temporal.address, BACKFLOW_TASK_QUEUE: taskQueue },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    try {
      let workflowId: string | undefined;
      for (let tries = 0; workflowId === undefined && tries < 100; tries++) {
        for await (const execution of fx.temporal.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) workflowId = execution.workflowId;
        if (workflowId === undefined) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(workflowId).toBeDefined();
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(143);
      expect(stderr).toContain(`stopped waiting (SIGTERM); run ${workflowId ?? ''} goes on on the cluster`);
      // It said why it was waiting, rather than waiting without a word.
      expect(stderr).toContain(
        `note: no worker is polling task queue ${taskQueue} on ${fx.temporal.address} (namespace default): run ${workflowId ?? ''} waits until one does; ` +
          'start `backflow worker` with the same TEMPORAL_ADDRESS and BACKFLOW_TASK_QUEUE',
      );
      await fx.temporal.client.workflow.getHandle(workflowId ?? '').terminate('test over');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('backflow run against a cluster, its run terminated there', () => {
  it('says the run was terminated, with the code runs gives it (it printed the bare reason, code ERROR)', async () => {
    const taskQueue = uniqueTaskQueue('cli-terminated');
    fx.sandbox.setFaults({ writeResponseDelayMs: 3_000 });
    try {
      await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
        const waiting = backflow(['run', SYNC, '--json', '--project', fx.project.dir], { ...fx.project.env, TEMPORAL_ADDRESS: fx.temporal.address, BACKFLOW_TASK_QUEUE: taskQueue });
        // The batch is at the destination: the operator terminates the run in Temporal.
        for (let tries = 0; fx.sandbox.requests().length === 0 && tries < 300; tries++) await new Promise((resolve) => setTimeout(resolve, 100));
        for await (const execution of fx.temporal.client.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` })) {
          await fx.temporal.client.workflow.getHandle(execution.workflowId).terminate('stuck');
        }
        const result = await waiting;
        expect(result.code).toBe(1);
        expect(JSON.parse(result.stdout)).toEqual({
          error: {
            code: 'RUN_ABANDONED',
            message: `sync ${SYNC}: its run was terminated in Temporal (stuck); what it committed stands, the run is closed RUN_ABANDONED by the sync's next start or the hourly maintenance, and the next run sends the rest`,
          },
        });
      });
    } finally {
      fx.sandbox.setFaults({});
    }
  });
});

describe('backflow run against a cluster whose worker polls the task queue', () => {
  it('says nothing of workers, and the run succeeds', async () => {
    const taskQueue = uniqueTaskQueue('cli-cluster-worker');
    const result = await withWorker(fx.temporal, fx.project.deps, taskQueue, () =>
      backflow(['run', SYNC, '--json', '--project', fx.project.dir], { ...fx.project.env, TEMPORAL_ADDRESS: fx.temporal.address, BACKFLOW_TASK_QUEUE: taskQueue }),
    );
    expectSucceeded(result);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'succeeded' });
    expect(result.stderr).not.toContain('no worker is polling');
  });
});

describe('backflow run --dry-run', () => {
  it('prints the change counts and the API calls it would make, sending nothing', async () => {
    const sync = () => runOnWorker('dry-run');
    await sync();
    const sent = fx.sandbox.requests().length;
    await fx.project.sql(fx.project.read('changes.sql'));
    const result = await backflow(['run', SYNC, '--dry-run', '--json', '--project', fx.project.dir], fx.project.env);
    expectSucceeded(result);
    expect(JSON.parse(result.stdout)).toMatchObject({ sync: SYNC, dryRun: true, counts: { added: 0, changed: 2, unchanged: 2 }, apiCalls: 1 });
    expect(fx.sandbox.requests().length).toBe(sent);
    // Nothing was committed: the real run still sends the two changes.
    expect(await sync()).toMatchObject({ counts: { changed: 2, synced: 2 }, apiCalls: 1 });
  });

  it("estimates the time the run takes at the destination's request budget", async () => {
    fx.project.write(`${SYNC_FILE}`, `${fx.project.read(SYNC_FILE)}batchSize: 1\n`);
    fx.project.write(
      'backflow.yaml',
      fx.project.read('backflow.yaml').replace('apiVersion: "62.0"', 'apiVersion: "62.0"\n    limits: { requestsPerSecond: 0.5 }'),
    );
    const json = await backflow(['run', SYNC, '--dry-run', '--json', '--project', fx.project.dir], fx.project.env);
    expect(JSON.parse(json.stdout)).toMatchObject({ counts: { added: 4 }, apiCalls: 4, estimatedSeconds: 8 });
    const text = await backflow(['run', SYNC, '--dry-run', '--project', fx.project.dir], fx.project.env);
    expect(text.stderr + text.stdout).toContain("4 added, 0 changed, 0 removed, 0 unchanged, 0 invalid, 0 skipped → 4 API calls (about 8 s at the destination's request budget)");
  });
});

describeStoreIndependent('backflow sandbox --json', () => {
  it('prints one JSON line with each emulator’s endpoint, which the vendors’ clients can use', async () => {
    const child = spawn(process.execPath, [path.resolve(__dirname, '..', '..', 'bin', 'backflow.js'), 'sandbox', '--json'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
      const endpoints = JSON.parse(chunk.toString().split('\n')[0] ?? '') as {
        salesforce: { instanceUrl: string; accessToken: string };
        bigquery: { apiEndpoint: string; projectId: string };
        hubspot: { basePath: string; accessToken: string };
        slack: { apiUrl: string; token: string; webhookUrl: string };
        meta: { graphUrl: string; accessToken: string; audienceId: string };
        webhook: { url: string };
      };
      expect(endpoints.salesforce.instanceUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const conn = new Connection({ instanceUrl: endpoints.salesforce.instanceUrl, accessToken: endpoints.salesforce.accessToken, version: '62.0' });
      const result = await conn.sobject('Account').upsert([{ External_Id__c: 'x-1', Name: 'Hooli' }], 'External_Id__c');
      expect(result).toEqual([expect.objectContaining({ success: true, created: true })]);
      const bigquery = new BigQuery(endpoints.bigquery);
      const [rows] = await bigquery.query({ query: 'SELECT 40 + 2 AS answer' });
      expect(rows).toEqual([{ answer: 42 }]);
      const hubspot = new HubspotClient({ ...endpoints.hubspot, numberOfApiCallRetries: 0 });
      const upserted = await hubspot.crm.companies.batchApi.upsert({
        inputs: [{ idProperty: 'external_id', id: 'x-1', properties: { name: 'Hooli', segment: 'healthy' } }],
      });
      expect(upserted.results).toEqual([expect.objectContaining({ _new: true })]);
      const slack = new WebClient(endpoints.slack.token, { slackApiUrl: endpoints.slack.apiUrl });
      expect((await slack.chat.postMessage({ channel: '#cs-alerts', text: 'hello' })).ok).toBe(true);
      // The incoming webhook a slack_webhook connection posts to, through Slack's own client for it.
      await new IncomingWebhook(endpoints.slack.webhookUrl).send({ text: 'hello from a webhook' });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { FacebookAdsApi } = require('facebook-nodejs-business-sdk') as {
        FacebookAdsApi: new (token: string, locale: string, crashLog: boolean) => { call(method: string, path: string[], params: object, files: object, multipart: boolean, url: string): Promise<Record<string, unknown>> };
      };
      const audience = await new FacebookAdsApi(endpoints.meta.accessToken, 'en_US', false).call('GET', [endpoints.meta.audienceId], { fields: 'id' }, {}, false, endpoints.meta.graphUrl);
      expect(audience).toEqual({ id: endpoints.meta.audienceId });
      expect((await fetch(`${endpoints.webhook.url}/hook`, { method: 'POST', body: '{}' })).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('--faults applies each emulator’s profile from the start: the vendor client meets the injected 500', async () => {
    const faults = JSON.stringify({ salesforce: { serverError: 1 }, slack: { tokenExpired: 1 } });
    const child = spawn(process.execPath, [path.resolve(__dirname, '..', '..', 'bin', 'backflow.js'), 'sandbox', '--json', '--faults', faults], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
      const endpoints = JSON.parse(chunk.toString().split('\n')[0] ?? '') as {
        salesforce: { instanceUrl: string; accessToken: string };
        slack: { apiUrl: string; token: string; webhookUrl: string };
        webhook: { url: string };
      };
      const conn = new Connection({ instanceUrl: endpoints.salesforce.instanceUrl, accessToken: endpoints.salesforce.accessToken, version: '62.0' });
      await expect(conn.sobject('Account').upsert([{ External_Id__c: 'x-1', Name: 'Hooli' }], 'External_Id__c')).rejects.toMatchObject({
        errorCode: 'UNKNOWN_EXCEPTION',
      });
      const slack = new WebClient(endpoints.slack.token, { slackApiUrl: endpoints.slack.apiUrl, retryConfig: { retries: 0 } });
      await expect(slack.chat.postMessage({ channel: '#cs-alerts', text: 'hello' })).rejects.toMatchObject({ data: { ok: false } });
      // Emulators without a profile answer normally.
      expect((await fetch(`${endpoints.webhook.url}/hook`, { method: 'POST', body: '{}' })).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it.each([
    ['bad JSON', ['--faults', '{salesforce: 1}'], 'CONFIG_INVALID', '--faults: not valid JSON'],
    ['an unknown emulator', ['--faults', '{"salesforse": {"serverError": 1}}'], 'CONFIG_INVALID', 'unknown emulator "salesforse" in fault profiles (expected one of: salesforce, hubspot, slack, meta, webhook)'],
    ['an unknown fault key', ['--faults', '{"hubspot": {"serverErrors": 1}}'], 'CONFIG_INVALID', '--faults: hubspot: invalid fault profile'],
    ['a missing profile file', ['--fault-profile', '/nonexistent/faults.json'], 'CONFIG_INVALID', '--fault-profile /nonexistent/faults.json: ENOENT'],
    ['both flags', ['--faults', '{}', '--fault-profile', '/nonexistent/faults.json'], 'USAGE', 'give --faults or --fault-profile, not both'],
  ])('refuses %s with a clear error and its code, starting nothing', async (_name, args, code, message) => {
    const result = await backflow(['sandbox', '--json', ...args]);
    expect(result.code).toBe(1);
    // No ready line: stdout carries the error, for a script that parses it, with a code it can act on
    // (it was "ERROR", which every unexpected failure also says).
    expect(JSON.parse(result.stdout)).toEqual({ error: { code, message: expect.stringContaining(message) as unknown } });
    expect(result.stderr).toContain(`error: ${code}: `);
    expect(result.stderr).toContain(message);
  });

  it('sandbox and codec-server on a port in use, or an unknown --host: an error naming the flag, not Node\'s listen error', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    const keyEnv = { BACKFLOW_PAYLOAD_KEY: randomBytes(32).toString('base64') };
    try {
      for (const [args, message] of [
        [['sandbox', '--port', String(port)], `--port ${port}: 127.0.0.1:${port} is already in use (another server listens there); choose another --port (0: any free port)`],
        [['codec-server', '--port', String(port)], `--port ${port}: 127.0.0.1:${port} is already in use (another server listens there); choose another --port (0: any free port)`],
        [['codec-server', '--port', '0', '--host', 'nonsense.invalid'], "--host nonsense.invalid: no such host name; give one of this machine's interfaces (127.0.0.1, 0.0.0.0 for all)"],
      ] as const) {
        const result = await backflow([...args, '--json'], keyEnv);
        expect([args, result.code, JSON.parse(result.stdout)]).toEqual([args, 1, { error: { code: 'CONFIG_INVALID', message } }]);
      }
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});

describeStoreIndependent('logs of a command running its own worker', () => {
  // A failed run whose alert cannot be delivered: the worker logs a warning while the CLI waits.
  const failingRun = () => {
    fx.project.write('backflow.yaml', `${fx.project.read('backflow.yaml')}alerts:\n  webhook: http://127.0.0.1:9/hook\n`);
    return { ...fx.project.env, SALESFORCE_ACCESS_TOKEN: 'revoked' };
  };

  // One run shows both: `backflow worker` keeps JSON lines (secrets.integration reads them at debug).
  it('backflow run --json: stdout is the summary alone, the worker’s warnings readable lines on stderr, not JSON', async () => {
    const result = await backflow(['run', SYNC, '--project', fx.project.dir, '--json'], failingRun());
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ sync: SYNC, status: 'failed' });
    expect(result.stderr).toMatch(/^WARN: alert delivery failed \{"channel":"webhook","err":".+","sync":"accounts_to_salesforce"\}$/m);
    expect(result.stderr).not.toMatch(/^\{/m);
  });
});

describe('history commands on a large run, and on values a terminal would act on', () => {
  const ESC = '\u001b';
  /** Anything a terminal acts on rather than shows, but the newlines between lines. */
  const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
  /** Lines of the per-record table (the summary's table has no status column). */
  const resultLines = (stdout: string) => stdout.split('\n').filter((line) => /^│ .* │ (added|changed) +│ (synced|rejected) +│/.test(line));

  /** `count` more rejected results in `runId`, keys k1…, after the run's own. */
  async function addResults(runId: string, keys: string[]): Promise<void> {
    const state = fx.project.deps.state;
    for (let i = 0; i < keys.length; i += 200) {
      await state
        .insertInto('record_results')
        .values(
          keys.slice(i, i + 200).map((key) => ({
            run_id: runId,
            key,
            batch_no: 1,
            change: 'added' as const,
            status: 'rejected' as const,
            destination_id: null,
            created: null,
            error_code: 'STRING_TOO_LONG',
            error_message: `Account Name: data value too large: ${key}${ESC}]0;pwned\u0007 (max length=255)`,
            error_fields: '["Name"]',
            payload: JSON.stringify({ Name: key }),
            recorded_at: new Date().toISOString(),
          })),
        )
        .execute();
    }
  }

  it('runs show: the first 1,000 records, a line for the rest; --json all of them; --limit N; control characters escaped', async () => {
    const run = await runOnWorker('large-run');
    const keys = ['line1\nline2', `${ESC}[2J${ESC}]0;pwned\u0007`, 'abc\u202edcba', ...Array.from({ length: 1_200 }, (_, i) => `k${i + 1}`)];
    await addResults(run.runId, keys);
    const total = 4 + keys.length;

    const shown = await backflow(['runs', 'show', run.runId, '--project', fx.project.dir], fx.project.env);
    expectSucceeded(shown);
    const lines = resultLines(shown.stdout);
    expect(lines).toHaveLength(1_000);
    expect(shown.stdout).not.toMatch(RAW_CONTROL);
    // One line each, as a terminal will show them; the error's code and fields before its message.
    expect(lines[4]).toMatch(/^│ line1\\nline2 +│ added +│ rejected +│ +│ STRING_TOO_LONG \[Name\]: Account Name: data value too large: line1\\nline2\\u001b\]0;pwned\\u0007 \(max length=255\) +│$/);
    expect(lines[5]).toMatch(/^│ \\u001b\[2J\\u001b\]0;pwned\\u0007 +│/);
    expect(lines[6]).toMatch(/^│ abc\\u202edcba +│/);
    expect(shown.stdout).toContain(`… ${(total - 1_000).toLocaleString('en')} more records: --json for all, --failed for the rejected, --limit N for more here`);

    const limited = await backflow(['runs', 'show', run.runId, '--failed', '--limit', '10', '--project', fx.project.dir], fx.project.env);
    expectSucceeded(limited);
    expect(resultLines(limited.stdout)).toHaveLength(10);
    expect(limited.stdout).toContain(`… ${(keys.length - 10).toLocaleString('en')} more records: --json for all, --limit N for more here`);

    // JSON is exact and complete.
    const json = await backflow(['runs', 'show', run.runId, '--json', '--project', fx.project.dir], fx.project.env);
    expectSucceeded(json);
    const parsed = JSON.parse(json.stdout) as { summary: { runId: string }; records: Array<{ key: string; error: { message: string } | null }> };
    expect(parsed.summary.runId).toBe(run.runId);
    expect(parsed.records).toHaveLength(total);
    expect(parsed.records.slice(4, 7).map((record) => record.key)).toEqual(keys.slice(0, 3));
    expect(parsed.records[5]?.error?.message).toContain(`${ESC}]0;pwned\u0007`);
    const jsonLimited = await backflow(['runs', 'show', run.runId, '--json', '--limit', '2', '--project', fx.project.dir], fx.project.env);
    expect((JSON.parse(jsonLimited.stdout) as { records: unknown[] }).records).toHaveLength(2);

    const bad = await backflow(['runs', 'show', run.runId, '--limit', '0', '--json', '--project', fx.project.dir], fx.project.env);
    expect([bad.code, JSON.parse(bad.stdout)]).toEqual([1, { error: { code: 'CONFIG_INVALID', message: '--limit 0: not a whole number of 1 or more' } }]);
  });

  it('runs show --json into a reader that stops early (| head): stops quietly with 141, no stack trace', async () => {
    const run = await runOnWorker('closed-pipe');
    // Far more than a pipe's 64 KB buffer: the command is still writing when the reader goes.
    await addResults(run.runId, Array.from({ length: 2_000 }, (_, i) => `k${i + 1}`));
    const child = spawn(process.execPath, [path.resolve(__dirname, '..', '..', 'bin', 'backflow.js'), 'runs', 'show', run.runId, '--json', '--project', fx.project.dir], {
      env: { ...process.env, ...fx.project.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const [code] = (await once(child, 'close')) as [number | null];
    expect({ code, stderr }).toEqual({ code: 141, stderr: '' });
  });

  it('records --key: the latest 100 results and a line for the earlier ones; --limit N; --json all; the key escaped', async () => {
    const run = await runOnWorker('long-history');
    const key = 'line1\nline2';
    await addResults(run.runId, Array.from({ length: 130 }, () => key));
    const shown = await backflow(['records', SYNC, '--key', key, '--project', fx.project.dir], fx.project.env);
    expectSucceeded(shown);
    expect(shown.stdout).not.toMatch(RAW_CONTROL);
    expect(shown.stdout).toContain('… 30 earlier results: --json for all, --limit N for more here');
    expect(shown.stdout.split('\n').filter((line) => line.startsWith(`│ ${run.runId}`))).toHaveLength(100);
    expect(shown.stdout).toContain('STRING_TOO_LONG [Name]: Account Name: data value too large: line1\\nline2\\u001b]0;pwned\\u0007');
    const limited = await backflow(['records', SYNC, '--key', key, '--limit', '5', '--project', fx.project.dir], fx.project.env);
    expect(limited.stdout.split('\n').filter((line) => line.startsWith(`│ ${run.runId}`))).toHaveLength(5);
    const json = await backflow(['records', SYNC, '--key', key, '--json', '--project', fx.project.dir], fx.project.env);
    expect((JSON.parse(json.stdout) as { history: unknown[] }).history).toHaveLength(130);
  });

  it('runs <sync>: a failed run with its error, a run in progress as running, --limit N', async () => {
    const run = await runOnWorker('runs-list');
    const state = fx.project.deps.state;
    const original = await state.selectFrom('runs').selectAll().where('run_id', '=', run.runId).executeTakeFirstOrThrow();
    const at = (seconds: number) => new Date(Date.parse(run.startedAt) + seconds * 1000).toISOString();
    await state
      .insertInto('runs')
      .values([
        { ...original, run_id: `${run.runId}~2`, status: 'failed', started_at: at(60), finished_at: at(61), error_code: 'DESTINATION_AUTH_FAILED', error_message: `Salesforce login refused: ${'x'.repeat(500)}\n${ESC}[2J` },
        { ...original, run_id: `${run.runId}~3`, status: 'running', started_at: at(120), finished_at: null, error_code: null, error_message: null },
      ])
      .execute();
    const list = await backflow(['runs', SYNC, '--project', fx.project.dir], fx.project.env);
    expectSucceeded(list);
    expect(list.stdout).not.toMatch(RAW_CONTROL);
    expect(list.stdout).toMatch(/│ error +│/);
    expect(list.stdout).toMatch(/│ failed +│ .* │ 1\.0s +│ .* │ DESTINATION_AUTH_FAILED: Salesforce login refused: x+… \(\d+ more characters; --json shows all\) +│/);
    expect(list.stdout).toMatch(/│ running +│ .* │ running \d+\.\ds +│/);
    expect(list.stdout).not.toContain('…s');
    const limited = await backflow(['runs', SYNC, '--limit', '2', '--json', '--project', fx.project.dir], fx.project.env);
    expect((JSON.parse(limited.stdout) as Array<{ runId: string }>).map((r) => r.runId)).toEqual([`${run.runId}~3`, `${run.runId}~2`]);
  });
});
