import { Writable } from 'node:stream';
import pino from 'pino';
import { loadProject } from '../../src/config/load';
import type { EngineDeps } from '../../src/engine/context';
import { observeStaleness } from '../../src/ops/incidents';
import { runMaintenance } from '../../src/ops/maintenance';
import { openStateStore, type StateDb } from '../../src/state/database';
import { closeRun, openRun } from '../../src/state/runs';
import type { FireCounter } from '../../src/temporal/missedRuns';
import { countPagedFires, type FirePage } from '../../src/temporal/scheduleFires';
import { startAlertReceiver, type AlertReceiver } from '../support/alertReceiver';
import { PROJECT, SYNC, writeProject } from '../support/configProject';

const MINUTE = 60_000;
const at = (iso: string) => new Date(iso);

/** A schedule firing every minute, listed as Temporal does: after `after`, up to `until`, `limit` a call at most. */
function minutelyPages(limit: number): { page: FirePage; calls: [Date, Date][] } {
  const calls: [Date, Date][] = [];
  const page: FirePage = async (after, until) => {
    calls.push([after, until]);
    const fires: Date[] = [];
    for (let fire = (Math.floor(after.getTime() / MINUTE) + 1) * MINUTE; fire <= until.getTime() && fires.length < limit; fire += MINUTE) fires.push(new Date(fire));
    return fires;
  };
  return { page, calls };
}

describe('countPagedFires', () => {
  it('counts every fire of the window across pages: the first end excluded, the last included', async () => {
    const { page, calls } = minutelyPages(3);
    expect(await countPagedFires(page, at('2027-01-01T00:00:00Z'), at('2027-01-01T00:07:00Z'), 100)).toEqual({ count: 7, capped: false, firstAt: at('2027-01-01T00:01:00Z') });
    // Each page from the last time of the one before; the empty one says the window is done.
    expect(calls.map(([after]) => after.toISOString())).toEqual(['2027-01-01T00:00:00.000Z', '2027-01-01T00:03:00.000Z', '2027-01-01T00:06:00.000Z', '2027-01-01T00:07:00.000Z']);
  });

  it('stops at the cap, asking no more pages than it takes to pass it (a minutely schedule down for weeks)', async () => {
    const { page, calls } = minutelyPages(1000);
    expect(await countPagedFires(page, at('2027-01-01T00:00:00Z'), at('2027-02-01T00:00:00Z'), 100)).toEqual({ count: 100, capped: true, firstAt: at('2027-01-01T00:01:00Z') });
    expect(calls).toHaveLength(1);
    expect(await countPagedFires(minutelyPages(60).page, at('2027-01-01T00:00:00Z'), at('2027-02-01T00:00:00Z'), 100)).toMatchObject({ count: 100, capped: true });
  });

  it('is not capped when the window holds exactly the cap', async () => {
    expect(await countPagedFires(minutelyPages(1000).page, at('2027-01-01T00:00:00Z'), at('2027-01-01T01:40:00Z'), 100)).toMatchObject({ count: 100, capped: false });
  });

  it('counts nothing in a window without fires', async () => {
    expect(await countPagedFires(async () => [], at('2027-01-01T00:00:00Z'), at('2027-01-02T00:00:00Z'), 100)).toEqual({ count: 0, capped: false });
  });
});

describe('observeStaleness with the schedule\'s own count (Temporal\'s)', () => {
  // 30 2 * * * in New York; 2027-03-14 springs forward at 2:00, so that day has no 2:30.
  const base = { schedule: { cron: '30 2 * * *', timezone: 'America/New_York' }, lastSuccessAt: '2027-03-12T12:00:00.000Z', since: '2027-01-01T00:00:00.000Z', staleAfter: 4, now: at('2027-03-16T12:00:00Z') };

  it('asks it for the fires after the reference and a grace before now, up to the cap, and judges on its count', async () => {
    const asked: [string, string, number][] = [];
    const temporal: FireCounter = async (after, until, cap) => {
      asked.push([after.toISOString(), until.toISOString(), cap]);
      return { count: 3, capped: false };
    };
    expect(await observeStaleness({ ...base, countFires: temporal })).toEqual({ kind: 'stale', active: false, detail: 'missed 3 scheduled runs since the last success at 2027-03-12T12:00:00.000Z; alerts at 4' });
    expect(asked).toEqual([['2027-03-12T12:00:00.000Z', '2027-03-16T11:59:00.000Z', 100]]);
  });

  it('does not ask when the window is empty (the last success within the grace)', async () => {
    const temporal: FireCounter = async () => {
      throw new Error('not to be asked');
    };
    expect(await observeStaleness({ ...base, lastSuccessAt: '2027-03-16T11:59:30.000Z', countFires: temporal })).toMatchObject({ active: false });
  });

  it('without it, counts on the sync\'s schedule here (cron-parser keeps the 2:30 that never came)', async () => {
    expect(await observeStaleness(base)).toMatchObject({ active: true, detail: 'missed 4 scheduled runs since the last success at 2027-03-12T12:00:00.000Z; alerts at 4' });
  });
});

describe('maintenance counting a sync\'s missed fires', () => {
  let hooks: AlertReceiver;
  let state: StateDb;
  let deps: EngineDeps;
  let warnings: string[];
  beforeEach(async () => {
    hooks = await startAlertReceiver();
    state = await openStateStore('sqlite::memory:');
    const dir = writeProject({
      'backflow.yaml': `${PROJECT}alerts:\n  webhook: ${hooks.url}/hook\n  staleAfter: 4\n`,
      'syncs/accounts.yaml': `${SYNC}schedule: { cron: '30 2 * * *', timezone: America/New_York }\n`,
    });
    warnings = [];
    const lines = new Writable({
      write(chunk: Buffer, _encoding, done) {
        warnings.push(String(chunk));
        done();
      },
    });
    deps = { projectDir: dir, state, logger: pino({ level: 'warn' }, lines), env: {}, now: () => at('2027-03-16T12:00:00Z') };
    const spec = loadProject(dir, { strict: false }).syncs.get('accounts')!;
    await openRun(state, { runId: 'r1', spec, full: false, now: '2027-03-12T11:59:50.000Z', lease: true });
    await closeRun(state, { runId: 'r1', now: '2027-03-12T12:00:00.000Z' });
  });
  afterEach(async () => {
    await hooks.close();
    await state.destroy();
  });

  it('takes Temporal\'s count of the schedule\'s fires over its own', async () => {
    const temporal: FireCounter = async () => ({ count: 3, capped: false });
    expect(await runMaintenance(deps, async () => ({ paused: false, fires: temporal }))).toMatchObject({ stale: [] });
    expect(hooks.posts).toEqual([]);
  });

  it('counts on the sync\'s schedule, with a warning, when Temporal does not list the fire times', async () => {
    const temporal: FireCounter = async () => {
      throw new Error('12 UNIMPLEMENTED: unknown method ListScheduleMatchingTimes');
    };
    expect(await runMaintenance(deps, async () => ({ paused: false, fires: temporal }))).toMatchObject({ stale: ['accounts'] });
    expect(hooks.posts.map((post) => post.body['detail'])).toEqual(['missed 4 scheduled runs since the last success at 2027-03-12T12:00:00.000Z; alerts at 4']);
    expect(warnings.join('')).toContain("Temporal did not list the schedule's fire times");
    expect(warnings.join('')).toContain('UNIMPLEMENTED');
  });
});
