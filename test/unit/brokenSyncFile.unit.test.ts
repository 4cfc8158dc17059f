import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { loadProjectCached } from '../../src/config/cache';
import { getSync, loadProject } from '../../src/config/load';
import { syncSpec, type EngineDeps } from '../../src/engine/context';
import { formatConfigIssue } from '../../src/errors';
import { alertOnRun } from '../../src/ops/alerts';
import { runMaintenance } from '../../src/ops/maintenance';
import { handleStartFailure } from '../../src/ops/startFailure';
import { openStateStore, type StateDb } from '../../src/state/database';
import { startAlertReceiver, type AlertReceiver } from '../support/alertReceiver';
import { closeRun, openRun } from '../../src/state/runs';
import { configIssuesOf, PROJECT, SYNC, writeProject } from '../support/configProject';

/** A new sync with a typo (`mapings:`): schema problems at `mappings` and at the unknown key. */
const TYPO = SYNC.replace('mappings:', 'mapings:');
const TYPO_ISSUES = ['syncs/new_sync.yaml: mappings: ', 'syncs/new_sync.yaml: Unrecognized key: "mapings"'];

function expectTypoIssues(lines: string[]): void {
  expect(lines).toHaveLength(2);
  expect(lines[0]?.startsWith(TYPO_ISSUES[0] as string)).toBe(true);
  expect(lines[1]).toBe(TYPO_ISSUES[1]);
}

describe('loadProject with an invalid sync file among valid ones', () => {
  it('strict (the default, for validate and schedules apply) still throws every problem of every file, with file and path', () => {
    const dir = writeProject({
      'backflow.yaml': PROJECT,
      'syncs/accounts.yaml': SYNC,
      'syncs/new_sync.yaml': TYPO,
      'syncs/other.yaml': SYNC.replace('connection: salesforce', 'connection: nowhere'),
    });
    const lines = configIssuesOf(() => loadProject(dir));
    expect(lines).toHaveLength(3);
    expectTypoIssues(lines.slice(0, 2));
    expect(lines[2]).toMatch(/^syncs\/other\.yaml: destination\.connection: unknown connection "nowhere"/);
  });

  it('lenient: the valid syncs load, each invalid file is kept with its own problems under the name it would define', () => {
    const dir = writeProject({
      'backflow.yaml': PROJECT,
      'syncs/accounts.yaml': SYNC,
      'syncs/new_sync.yaml': TYPO,
      'syncs/renamed.yaml': `name: contacts\n${SYNC.replace('primaryKey: id\n', '')}`,
      'syncs/unreadable.yaml': 'source: [unclosed',
    });
    const project = loadProject(dir, { strict: false });
    expect([...project.syncs.keys()]).toEqual(['accounts']);
    expect([...project.invalidSyncs.keys()].sort()).toEqual(['contacts', 'new_sync', 'unreadable']);
    expect(project.invalidSyncs.get('contacts')).toMatchObject({ file: 'syncs/renamed.yaml', issues: [{ file: 'syncs/renamed.yaml', path: 'primaryKey' }] });
    expectTypoIssues(project.invalidSyncs.get('new_sync')!.issues.map(formatConfigIssue));
    expect(project.invalidSyncs.get('unreadable')?.issues[0]?.message).toMatch(/^invalid YAML: /);
    // A run of the valid sync needs nothing else; the invalid one's run gets its own file's problems.
    expect(getSync(project, 'accounts').name).toBe('accounts');
    expectTypoIssues(configIssuesOf(() => getSync(project, 'new_sync')));
    expect(configIssuesOf(() => getSync(project, 'nope'))).toEqual(['syncs/: no sync named "nope" (defined: accounts)']);
  });

  it('lenient: a sync named by an invalid file is not taken over by a later file of the same name', () => {
    const dir = writeProject({ 'backflow.yaml': PROJECT, 'syncs/a.yaml': `name: x\n${TYPO}`, 'syncs/b.yaml': `name: x\n${SYNC}` });
    const project = loadProject(dir, { strict: false });
    expect(project.syncs.has('x')).toBe(false);
    expect(project.invalidSyncs.get('x')?.file).toBe('syncs/a.yaml');
    expect(configIssuesOf(() => loadProject(dir))).toContain('syncs/b.yaml: name: sync "x" is already defined in syncs/a.yaml');
    // Every file's problems stay known (for validate and run's note), the second file's too.
    expect(new Set(project.syncFileIssues.map((issue) => issue.file))).toEqual(new Set(['syncs/a.yaml', 'syncs/b.yaml']));
    expect(project.syncFileIssues.map(formatConfigIssue)).toContain('syncs/b.yaml: name: sync "x" is already defined in syncs/a.yaml');
  });

  it('lenient: an invalid backflow.yaml (connections, alerts) still fails the whole project', () => {
    const dir = writeProject({ 'backflow.yaml': PROJECT.replace('type: duckdb', 'type: nosuchdb'), 'syncs/accounts.yaml': SYNC, 'syncs/new_sync.yaml': TYPO });
    const lines = configIssuesOf(() => loadProject(dir, { strict: false }));
    expect(lines.some((line) => line.startsWith('backflow.yaml: connections.warehouse'))).toBe(true);
    expect(lines.some((line) => line.startsWith('syncs/new_sync.yaml'))).toBe(true);
  });
});

describe('the worker side (loadProjectCached, syncSpec): another sync\'s broken file does not stop a run', () => {
  it('serves the valid syncs, throws a sync\'s own problems, and picks up the fix', () => {
    const dir = writeProject({ 'backflow.yaml': PROJECT, 'syncs/accounts.yaml': SYNC, 'syncs/new_sync.yaml': TYPO });
    const deps = { projectDir: dir } as EngineDeps;
    expect(syncSpec(deps, 'accounts').name).toBe('accounts');
    expect(loadProjectCached(dir).invalidSyncs.has('new_sync')).toBe(true);
    expectTypoIssues(configIssuesOf(() => syncSpec(deps, 'new_sync')));
    writeFileSync(path.join(dir, 'syncs/new_sync.yaml'), SYNC);
    utimesSync(path.join(dir, 'syncs/new_sync.yaml'), new Date(), new Date(Date.now() + 5_000));
    expect(syncSpec(deps, 'new_sync').name).toBe('new_sync');
    expect(loadProjectCached(dir).invalidSyncs.size).toBe(0);
  });

  it('picks up a sync added in a subfolder of syncs/', () => {
    const dir = writeProject({ 'backflow.yaml': PROJECT, 'syncs/accounts.yaml': SYNC, 'syncs/sales/.keep': '' });
    expect([...loadProjectCached(dir).syncs.keys()]).toEqual(['accounts']);
    writeFileSync(path.join(dir, 'syncs/sales/contacts.yaml'), SYNC);
    expect(syncSpec({ projectDir: dir } as EngineDeps, 'contacts').name).toBe('contacts');
  });

  it('still fails every run when backflow.yaml is invalid', () => {
    const dir = writeProject({ 'backflow.yaml': `${PROJECT}bogus: 1\n`, 'syncs/accounts.yaml': SYNC });
    expect(configIssuesOf(() => syncSpec({ projectDir: dir } as EngineDeps, 'accounts'))[0]).toMatch(/^backflow\.yaml: /);
  });
});

describe('alerts and maintenance with an invalid sync file', () => {
  let hooks: AlertReceiver;
  const bodies = () => hooks.posts.map((post) => post.body);
  let state: StateDb;
  let now: Date;
  let dir: string;
  let deps: EngineDeps;
  beforeEach(async () => {
    hooks = await startAlertReceiver();
    state = await openStateStore('sqlite::memory:');
    now = new Date('2026-11-26T10:00:30Z');
    dir = writeProject({
      'backflow.yaml': `${PROJECT}alerts:\n  webhook: ${hooks.url}/hook\n`,
      'syncs/accounts.yaml': `${SYNC}schedule: { every: 15m }\n`,
      'syncs/new_sync.yaml': TYPO,
    });
    deps = { projectDir: dir, state, logger: pino({ level: 'silent' }), env: {}, now: () => now };
  });
  afterEach(async () => {
    await hooks.close();
    await state.destroy();
  });

  it('a run that failed to start on its own invalid file alerts through backflow.yaml\'s alerts; another sync\'s run still alerts', async () => {
    await handleStartFailure(deps, { runId: 'r1', sync: 'new_sync', error: { code: 'CONFIG_INVALID', message: 'syncs/new_sync.yaml: mappings: …' } });
    expect(bodies()).toEqual([expect.objectContaining({ type: 'incident.opened', sync: 'new_sync', kind: 'failed', runId: 'r1' })]);
    await handleStartFailure(deps, { runId: 'r2', sync: 'accounts', error: { code: 'SOURCE_QUERY_FAILED', message: 'no table' } });
    expect(bodies().map((post) => [post.sync, post.kind])).toEqual([
      ['new_sync', 'failed'],
      ['accounts', 'failed'],
    ]);
  });

  it('maintenance delivers an alert still owed to its channel for a sync it does not check (paused, or without a schedule)', async () => {
    const { applyObservations } = await import('../../src/ops/alerts');
    const { answerBusy, answerOk } = await import('../support/alertReceiver');
    const spec = loadProject(dir, { strict: false }).syncs.get('accounts')!;
    hooks.answer = answerBusy;
    const alertDeps = { state, logger: pino({ level: 'silent' }), env: {}, now: () => now };
    await applyObservations(alertDeps, 'accounts', spec.alerts, [{ kind: 'failed', active: true, detail: 'run r1 failed: token revoked' }], 'r1');
    expect(hooks.posts.filter((post) => post.body['sync'] === 'accounts')).toEqual([]);
    hooks.answer = answerOk;
    await runMaintenance(deps, async () => ({ paused: true }));
    expect(bodies().filter((post) => post['sync'] === 'accounts').map((post) => [post['type'], post['kind'], post['detail']])).toEqual([
      ['incident.opened', 'failed', 'run r1 failed: token revoked'],
    ]);
  });

  it('maintenance still prunes and checks the valid syncs, reports the invalid file once (file + path), and resolves it once fixed', async () => {
    const spec = loadProject(dir, { strict: false }).syncs.get('accounts')!;
    await openRun(state, { runId: 'r1', spec, full: false, now: '2026-11-26T10:00:00.000Z', lease: true });
    await closeRun(state, { runId: 'r1', now: '2026-11-26T10:00:05.000Z' });
    now = new Date('2026-11-26T12:00:00Z'); // 2 h later: 7 fires of accounts missed
    for (let pass = 0; pass < 2; pass++) {
      expect(await runMaintenance(deps)).toEqual({ pruned: expect.any(Object) as unknown, stale: ['accounts'], invalid: ['new_sync'], abandoned: [] });
    }
    expect(bodies().map((post) => [post.type, post.sync, post.kind])).toEqual([
      ['incident.opened', 'new_sync', 'failed'],
      ['incident.opened', 'accounts', 'stale'],
    ]);
    expect(String(bodies()[0]?.detail)).toContain('syncs/new_sync.yaml: mappings: ');
    expect(String(bodies()[0]?.detail)).toContain('syncs/new_sync.yaml: Unrecognized key: "mapings"');

    writeFileSync(path.join(dir, 'syncs/new_sync.yaml'), SYNC);
    expect(await runMaintenance(deps)).toMatchObject({ invalid: [] });
    expect(bodies().slice(2)).toEqual([expect.objectContaining({ type: 'incident.resolved', sync: 'new_sync', kind: 'failed', detail: 'syncs/new_sync.yaml is valid again' })]);
    // A deleted file is not reported any more either.
    rmSync(path.join(dir, 'syncs/new_sync.yaml'));
    await runMaintenance(deps);
    expect(bodies()).toHaveLength(3);
  });

  it('sends the recovery only to the channels the opening alert was for', async () => {
    // The invalid file's failure alerts through backflow.yaml's webhook alone.
    await handleStartFailure(deps, { runId: 'r1', sync: 'new_sync', error: { code: 'CONFIG_INVALID', message: 'syncs/new_sync.yaml: mappings: …' } });
    // Fixed, the sync has a Slack channel of its own too; its next run succeeds.
    writeFileSync(path.join(dir, 'syncs/new_sync.yaml'), `${SYNC}alerts:\n  slack: ${hooks.url}/slack\n`);
    const spec = syncSpec(deps, 'new_sync');
    const zero = { extracted: 0, added: 0, changed: 0, removed: 0, unchanged: 0, invalid: 0, synced: 0, rejected: 0, skipped: 0, created: 0, updated: 0, deleted: 0 };
    await alertOnRun({ state, logger: pino({ level: 'silent' }), env: {}, now: () => now }, { sync: 'new_sync', runId: 'r2', status: 'succeeded', startedAt: now.toISOString(), finishedAt: now.toISOString(), counts: zero, apiCalls: 0, batches: 0 }, spec.alerts);
    // Slack never got the opening: before, it got "recovered" out of the blue.
    expect(hooks.posts.map((post) => [post.path, post.body['type'] ?? 'slack text'])).toEqual([
      ['/hook', 'incident.opened'],
      ['/hook', 'incident.resolved'],
    ]);
  });

  it('maintenance does not call a fixed file recovered while the sync still fails, now otherwise', async () => {
    await runMaintenance(deps);
    expect(bodies().map((post) => [post.type, post.sync])).toEqual([['incident.opened', 'new_sync']]);
    writeFileSync(path.join(dir, 'syncs/new_sync.yaml'), SYNC);
    // The fixed file's run fails to start on its model: the incident stays open, saying so (no second alert).
    await handleStartFailure(deps, { runId: 'r2', sync: 'new_sync', error: { code: 'SOURCE_QUERY_FAILED', message: 'no table accounts_v2' } });
    await runMaintenance(deps);
    // Before, maintenance resolved it "syncs/new_sync.yaml is valid again", and the next run alerted anew.
    expect(bodies().map((post) => [post.type, post.sync])).toEqual([['incident.opened', 'new_sync']]);
  });
});
