import { getSync, loadProject, type Project } from '../../config/load';
import { BackflowError, ConfigError } from '../../errors';
import { connectTemporal, projectTemporalSettings, type TemporalSettings } from '../../temporal/connection';
import { installTemporalRuntime } from '../../temporal/runtime';
import type { TemporalServer } from '../../temporal/server';
import {
  applySchedules,
  backfillSchedule,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  triggerSchedule,
} from '../../temporal/schedules';
import { cliContext, requireProject, type CliContext } from '../context';
import { isoDateOption } from '../options';
import { logTo } from '../output';
import { noteWithoutWorkers } from '../workerNote';
import { displayCell, tableText } from '../render';

/** Schedules live on a cluster that outlives the command: TEMPORAL_ADDRESS (or backflow.yaml temporal.address) is required. */
export async function connectCluster<T>(ctx: CliContext, work: (server: TemporalServer, settings: TemporalSettings) => Promise<T>): Promise<T> {
  const settings = projectTemporalSettings(ctx);
  if (!settings.remote) {
    throw new BackflowError(
      'TEMPORAL_REQUIRED',
      'set TEMPORAL_ADDRESS (or temporal.address in backflow.yaml) to your Temporal cluster; `backflow worker` prints the address of the dev server it starts',
    );
  }
  installTemporalRuntime(ctx.logger);
  const server = await connectTemporal(settings.remote, ctx.env.TEMPORAL_UI_URL);
  try {
    return await work(server, settings);
  } finally {
    await server.stop();
  }
}

/** A backfill's `--from` and `--to`, both required, in that order. */
function backfillWindow(options: { from?: string; to?: string }): { from: Date; to: Date } {
  if (!options.from || !options.to) throw new BackflowError('USAGE', 'usage: backflow schedules backfill <sync> --from <date> --to <date>');
  const window = { from: isoDateOption('--from', options.from), to: isoDateOption('--to', options.to) };
  if (window.from >= window.to) throw new BackflowError('CONFIG_INVALID', `--from ${options.from} is not before --to ${options.to}`);
  return window;
}

const SCHEDULE_ACTIONS = ['apply', 'list', 'pause', 'resume', 'trigger', 'backfill'];

function unknownAction(action: string): BackflowError {
  return new BackflowError('USAGE', `unknown schedules action "${action}" (${SCHEDULE_ACTIONS.join(', ')})`);
}

export interface SchedulesOptions {
  project?: string;
  json?: boolean;
  dryRun?: boolean;
  from?: string;
  to?: string;
}

/** `backflow schedules apply | list | pause | resume | trigger <sync> | backfill <sync> --from --to`. */
export async function schedulesCommand(action: string, sync: string | undefined, options: SchedulesOptions): Promise<number> {
  const ctx = cliContext(options);
  const needSync = (): string => {
    if (!sync) throw new BackflowError('USAGE', `usage: backflow schedules ${action} <sync>`);
    return sync;
  };
  // Usage errors are said before anything is asked of the cluster (or its address): a typo, a
  // missing sync, a backfill's missing or unreadable dates.
  if (!SCHEDULE_ACTIONS.includes(action)) throw unknownAction(action);
  if (['pause', 'resume', 'trigger', 'backfill'].includes(action)) needSync();
  // `schedules apply <sync>` applied every sync's schedule (and deleted those gone) while naming one.
  else if (sync !== undefined) throw new BackflowError('USAGE', `unexpected argument "${sync}": backflow schedules ${action} takes no sync (it covers every sync)`);
  if (action === 'backfill') backfillWindow(options);
  // Before the cluster's address, which backflow.yaml may hold: a wrong directory is the problem.
  if (action === 'apply') requireProject(ctx);
  try {
    return await scheduleAction(ctx, action, options, needSync);
  } catch (err) {
    throw sync !== undefined ? misspeltSync(err, ctx, sync) : err;
  }
}

/**
 * A schedule not found for a name the project defines no sync of is a typo: said as `run` says it,
 * with the syncs defined, rather than advice to add `schedule:` to a YAML file that does not exist.
 */
function misspeltSync(err: unknown, ctx: CliContext, sync: string): unknown {
  if (!(err instanceof BackflowError) || err.code !== 'SCHEDULE_NOT_FOUND') return err;
  let project: Project;
  try {
    project = loadProject(ctx.projectDir, { strict: false });
  } catch {
    // No project to tell a typo by (a broken backflow.yaml): the cluster's answer stands.
    return err;
  }
  if (project.syncs.has(sync) || project.invalidSyncs.has(sync)) return err;
  try {
    getSync(project, sync);
  } catch (unknown) {
    if (unknown instanceof ConfigError) return unknown;
  }
  return err;
}

/** The action, on the cluster. */
async function scheduleAction(ctx: CliContext, action: string, options: SchedulesOptions, needSync: () => string): Promise<number> {
  const json = options.json ?? false;
  const log = logTo(json);
  return connectCluster(ctx, async (server, settings) => {
    const client = server.client;
    switch (action) {
      case 'apply': {
        const project = loadProject(ctx.projectDir);
        const result = await applySchedules(client, project, { taskQueue: settings.taskQueue, ...(options.dryRun ? { dryRun: true } : {}) });
        if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else {
          const verb = options.dryRun ? 'would ' : '';
          for (const id of result.create) log(`${verb}create  ${id}`);
          const drift = new Map(result.drifted.map(({ scheduleId, differences }) => [scheduleId, differences]));
          for (const id of result.update) {
            const differences = drift.get(id);
            log(`${verb}update  ${id}${differences ? ` (changed on the cluster: ${differences.join(', ')})` : ''}`);
          }
          for (const id of result.delete) log(`${verb}delete  ${id}`);
          for (const id of result.conflicts) log(`skipped ${id}: a schedule with this id exists and was not created by backflow`);
          for (const { scheduleId, taskQueue } of result.heldByOtherTaskQueue) {
            log(
              `skipped ${scheduleId}: it belongs to the backflow deployment on task queue ${taskQueue}, not this one (${settings.taskQueue}); ` +
                `rename the sync in one of the projects, or if this project moved from ${taskQueue}, delete the old schedule ` +
                `(temporal schedule delete --schedule-id '${scheduleId}') and apply again`,
            );
          }
          if (result.noop) log(`schedules up to date (${result.unchanged.length} unchanged): nothing to do`);
        }
        // Failures go to stderr in both modes: with --json they are also in the result's `failed`.
        for (const failure of result.failed) process.stderr.write(`error: ${failure.message}\n`);
        return result.conflicts.length > 0 || result.heldByOtherTaskQueue.length > 0 || result.failed.length > 0 ? 1 : 0;
      }
      case 'list': {
        const schedules = await listSchedules(client);
        if (json) process.stdout.write(`${JSON.stringify(schedules)}\n`);
        else if (schedules.length === 0) log('no backflow schedules (add schedule: to a sync and run backflow schedules apply)');
        else {
          const rows = schedules.map((s) => {
            const queue = s.deploymentTaskQueue ? `${s.taskQueue} (not ${s.deploymentTaskQueue}: changed on the cluster, run backflow schedules apply)` : s.taskQueue;
            // A pause note is anyone's text, set on the cluster: cut as any long cell.
            return [s.scheduleId, s.sync ?? `(${s.kind})`, queue, s.when, s.paused ? displayCell(`paused${s.note ? `: ${s.note}` : ''}`) : 'active', s.nextRunAt ?? '', s.lastRun ? `${s.lastRun.workflowId}` : ''];
          });
          log(tableText(['schedule', 'sync', 'task queue', 'when', 'state', 'next run', 'last run'], rows));
        }
        return 0;
      }
      case 'pause':
        await pauseSchedule(client, needSync(), settings.taskQueue);
        log(`paused schedule of ${needSync()}`);
        return 0;
      case 'resume':
        log((await resumeSchedule(client, needSync(), settings.taskQueue)) ? `resumed schedule of ${needSync()}` : `schedule of ${needSync()} was not paused: nothing changed`);
        return 0;
      case 'trigger': {
        const overlap = await triggerSchedule(client, needSync(), settings.taskQueue);
        log(`triggered ${needSync()} under its overlap policy (${overlap.toLowerCase()}); see backflow runs ${needSync()}`);
        await noteWithoutWorkers(server, settings.taskQueue, 'its run waits');
        return 0;
      }
      case 'backfill': {
        const { from, to } = backfillWindow(options);
        await backfillSchedule(client, needSync(), from, to, settings.taskQueue);
        log(`backfill of ${needSync()} from ${options.from ?? ''} to ${options.to ?? ''} requested`);
        await noteWithoutWorkers(server, settings.taskQueue, 'its runs wait');
        return 0;
      }
      default:
        throw unknownAction(action);
    }
  });
}
