import pino from 'pino';
import { loadProject } from '../../src/config/load';
import type { EngineDeps } from '../../src/engine/context';
import { openIncidentKinds } from '../../src/ops/alerts';
import { runMaintenance } from '../../src/ops/maintenance';
import { openStateStore, type StateDb } from '../../src/state/database';
import { closeRun, openRun } from '../../src/state/runs';
import type { ScheduleFacts } from '../../src/temporal/scheduleFacts';
import { startAlertReceiver, type AlertReceiver } from '../support/alertReceiver';
import { PROJECT, SYNC, writeProject } from '../support/configProject';

describe('a stale sync whose schedule is paused, or given a new cadence, and then resumed', () => {
  let hooks: AlertReceiver;
  let state: StateDb;
  let now: Date;
  let deps: EngineDeps;
  const posts = () => hooks.posts.map((post) => [post.body['type'], post.body['kind']]);
  const facts = (value: ScheduleFacts) => async () => value;

  beforeEach(async () => {
    hooks = await startAlertReceiver();
    state = await openStateStore('sqlite::memory:');
    const dir = writeProject({ 'backflow.yaml': `${PROJECT}alerts:\n  webhook: ${hooks.url}/hook\n`, 'syncs/accounts.yaml': `${SYNC}schedule: { every: 15m }\n` });
    deps = { projectDir: dir, state, logger: pino({ level: 'silent' }), env: {}, now: () => now };
    const spec = loadProject(dir, { strict: false }).syncs.get('accounts')!;
    await openRun(state, { runId: 'r1', spec, full: false, now: '2026-11-26T10:00:00.000Z', lease: true });
    await closeRun(state, { runId: 'r1', now: '2026-11-26T10:00:05.000Z' });
    // Two hours without a run: stale.
    now = new Date('2026-11-26T12:00:00Z');
    await runMaintenance(deps);
    expect(posts()).toEqual([['incident.opened', 'stale']]);
  });
  afterEach(async () => {
    await hooks.close();
    await state.destroy();
  });

  it('keeps the incident open after the resume (nothing ran), and resolves it once a run completes', async () => {
    now = new Date('2026-11-26T13:00:00Z');
    await runMaintenance(deps, facts({ paused: true }));
    now = new Date('2026-11-26T14:00:00Z');
    await runMaintenance(deps, facts({ paused: false, resumedAt: '2026-11-26T13:55:00.000Z' }));
    // Before, this pass sent "recovered" though the sync had not run since it went stale.
    expect(posts()).toEqual([['incident.opened', 'stale']]);
    expect(await openIncidentKinds(state, 'accounts')).toEqual(new Set(['stale']));

    const spec = loadProject(deps.projectDir, { strict: false }).syncs.get('accounts')!;
    await openRun(state, { runId: 'r2', spec, full: false, now: '2026-11-26T14:10:00.000Z', lease: true });
    await closeRun(state, { runId: 'r2', now: '2026-11-26T14:10:05.000Z' });
    now = new Date('2026-11-26T14:20:00Z');
    await runMaintenance(deps, facts({ paused: false, resumedAt: '2026-11-26T13:55:00.000Z' }));
    expect(posts()).toEqual([
      ['incident.opened', 'stale'],
      ['incident.resolved', 'stale'],
    ]);
    expect(String(hooks.posts[1]?.body['detail'])).toMatch(/^missed 1 scheduled run since the last success at 2026-11-26T14:10:05/);
  });

  it('keeps it open when the schedule took a new cadence (schedules apply) with nothing run since', async () => {
    now = new Date('2026-11-26T12:30:00Z');
    await runMaintenance(deps, facts({ paused: false, scheduledAt: '2026-11-26T12:20:00.000Z' }));
    expect(posts()).toEqual([['incident.opened', 'stale']]);
    expect(await openIncidentKinds(state, 'accounts')).toEqual(new Set(['stale']));
  });
});
