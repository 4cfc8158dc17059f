import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { EngineDeps } from '../../src/engine/context';
import { applyObservations, openIncidentKinds } from '../../src/ops/alerts';
import { runMaintenance } from '../../src/ops/maintenance';
import { opsDb } from '../../src/ops/schema';
import { openStateStore, type StateDb } from '../../src/state/database';
import { answerBusy, answerOk, startAlertReceiver, type AlertReceiver } from '../support/alertReceiver';
import { PROJECT, SYNC, writeProject } from '../support/configProject';

const REMOVED = /^sync removed: no file in syncs\/ defines "accounts" any more$/;

describe('maintenance and the incidents of a sync deleted from the project', () => {
  let hooks: AlertReceiver;
  let state: StateDb;
  let dir: string;
  let deps: EngineDeps;
  let now: Date;
  const alertDeps = () => ({ state, logger: pino({ level: 'silent' }), env: {}, now: () => now });
  const posts = () => hooks.posts.map((post) => [post.path, post.body['type'], post.body['sync'], post.body['kind']]);
  /** The sync's alerts, as loaded while its file was there. */
  const failIt = async (alerts: { webhook: string }, detail = 'run r1 failed: SOURCE_QUERY_FAILED: no table') =>
    applyObservations(alertDeps(), 'accounts', alerts, [{ kind: 'failed', active: true, detail }], 'r1');

  beforeEach(async () => {
    hooks = await startAlertReceiver();
    state = await openStateStore('sqlite::memory:');
    now = new Date('2026-11-26T10:00:30Z');
  });
  afterEach(async () => {
    await hooks.close();
    await state.destroy();
  });

  function project(backflowAlerts: string, syncAlerts = ''): void {
    dir = writeProject({ 'backflow.yaml': `${PROJECT}${backflowAlerts}`, 'syncs/accounts.yaml': `${SYNC}${syncAlerts}`, 'syncs/other.yaml': SYNC });
    deps = { projectDir: dir, state, logger: pino({ level: 'silent' }), env: {}, now: () => now };
  }

  it('resolves a failing sync\'s open incident once its file is deleted, telling the channel its opening went to, once', async () => {
    project(`alerts:\n  webhook: ${hooks.url}/hook\n`);
    await failIt({ webhook: `${hooks.url}/hook` });
    expect(posts()).toEqual([['/hook', 'incident.opened', 'accounts', 'failed']]);

    rmSync(path.join(dir, 'syncs/accounts.yaml'));
    for (let pass = 0; pass < 2; pass++) await runMaintenance(deps);
    expect(posts()).toEqual([
      ['/hook', 'incident.opened', 'accounts', 'failed'],
      ['/hook', 'incident.resolved', 'accounts', 'failed'],
    ]);
    expect(String(hooks.posts[1]?.body['detail'])).toMatch(REMOVED);
    expect(await openIncidentKinds(state, 'accounts')).toEqual(new Set());
  });

  it('delivers an opening still owed, then its resolution, in order, once the channel answers', async () => {
    project(`alerts:\n  webhook: ${hooks.url}/hook\n`);
    hooks.answer = answerBusy;
    await failIt({ webhook: `${hooks.url}/hook` });
    rmSync(path.join(dir, 'syncs/accounts.yaml'));
    await runMaintenance(deps);
    expect(posts()).toEqual([]);
    hooks.answer = answerOk;
    await runMaintenance(deps);
    expect(posts()).toEqual([
      ['/hook', 'incident.opened', 'accounts', 'failed'],
      ['/hook', 'incident.resolved', 'accounts', 'failed'],
    ]);
    // Nothing is owed any more: resolved and delivered, the incident is pruned with retention.
    const owed = await (await opsDb(state)).selectFrom('alert_incidents').select(['open_pending', 'resolve_pending']).execute();
    expect(owed).toEqual([{ open_pending: null, resolve_pending: null }]);
  });

  it('resolves it without a message when the sync alerted through a channel of its own file (gone with it); a new sync of that name alerts anew', async () => {
    project('', `alerts:\n  webhook: ${hooks.url}/own\n`);
    await failIt({ webhook: `${hooks.url}/own` });
    rmSync(path.join(dir, 'syncs/accounts.yaml'));
    await runMaintenance(deps);
    expect(await openIncidentKinds(state, 'accounts')).toEqual(new Set());
    const rows = await (await opsDb(state)).selectFrom('alert_incidents').select(['resolved_detail', 'resolve_pending']).execute();
    expect(rows).toEqual([{ resolved_detail: expect.stringMatching(REMOVED) as unknown, resolve_pending: null }]);

    // Weeks later a new sync takes the name; its first failure is a new incident, alerted.
    now = new Date('2026-12-20T09:00:00Z');
    writeFileSync(path.join(dir, 'syncs/accounts.yaml'), `${SYNC}alerts:\n  webhook: ${hooks.url}/new\n`);
    await failIt({ webhook: `${hooks.url}/new` }, 'run r9 failed: SOURCE_QUERY_FAILED: no column tier');
    expect(posts()).toEqual([
      ['/own', 'incident.opened', 'accounts', 'failed'],
      ['/new', 'incident.opened', 'accounts', 'failed'],
    ]);
  });

  it('leaves the incidents of a sync renamed (its new file names it in renamedFrom) to the new name\'s first run, and those of an invalid file', async () => {
    project(`alerts:\n  webhook: ${hooks.url}/hook\n`);
    await failIt({ webhook: `${hooks.url}/hook` });
    await applyObservations(alertDeps(), 'other', { webhook: `${hooks.url}/hook` }, [{ kind: 'failed', active: true, detail: 'run r2 failed' }], 'r2');
    rmSync(path.join(dir, 'syncs/accounts.yaml'));
    writeFileSync(path.join(dir, 'syncs/accounts_v2.yaml'), `renamedFrom: accounts\n${SYNC}`);
    writeFileSync(path.join(dir, 'syncs/other.yaml'), `${SYNC}bogus: 1\n`);
    await runMaintenance(deps);
    expect(await openIncidentKinds(state, 'accounts')).toEqual(new Set(['failed']));
    expect(await openIncidentKinds(state, 'other')).toEqual(new Set(['failed']));
    expect(posts().filter(([, type]) => type === 'incident.resolved')).toEqual([]);
  });

  it('leaves every incident alone while the folder of sync files cannot be read: its syncs are missing, not deleted', async () => {
    project(`alerts:\n  webhook: ${hooks.url}/hook\n`);
    await failIt({ webhook: `${hooks.url}/hook` });
    // A mount gone wrong: syncs/ is no folder any more.
    rmSync(path.join(dir, 'syncs'), { recursive: true });
    writeFileSync(path.join(dir, 'syncs'), '');
    await runMaintenance(deps);
    expect(await openIncidentKinds(state, 'accounts')).toEqual(new Set(['failed']));
    expect(posts()).toEqual([['/hook', 'incident.opened', 'accounts', 'failed']]);
  });
});
