import { SYNCS_DIR, type Project } from '../config/load';
import type { AlertsConfig } from '../config/schema';
import type { EngineDeps } from '../engine/context';
import { applyObservations, type AlertDeps } from './alerts';
import type { IncidentKind } from './incidents';
import { alertChannels } from './notify';
import { opsDb } from './schema';

/** Why a removed sync's incidents resolved, as the recovery message says it. */
function removedDetail(sync: string): string {
  return `sync removed: no file in ${SYNCS_DIR}/ defines "${sync}" any more`;
}

/**
 * Names the project still accounts for: its syncs, its invalid files' (their file is there, only
 * unreadable) and those a sync was renamed from (their incidents move to it at its first run).
 */
function namesKept(project: Project): Set<string> {
  const kept = new Set([...project.syncs.keys(), ...project.invalidSyncs.keys()]);
  for (const spec of project.syncs.values()) if (spec.renamedFrom !== undefined) kept.add(spec.renamedFrom);
  return kept;
}

/**
 * A sync deleted from the project has no run or check left to clear its incidents: a failed or stale
 * one stayed open for good (the sync's alerts owed never went out either), and a new sync given the
 * name later was never alerted of its own failures, the kind being open already. Maintenance resolves
 * them, `sync removed: …`, and delivers what is owed through backflow.yaml's `alerts:` — the recovery
 * only to a channel its opening went to, at the same URL, as any recovery; a channel of the deleted
 * file's own is gone with it, so its incident resolves unannounced. What no configured channel can
 * take is owed no more. Skipped while a folder of sync files cannot be read: its syncs are missing,
 * not deleted.
 */
export async function resolveRemovedSyncs(deps: EngineDeps, project: Project, alertDeps: AlertDeps): Promise<string[]> {
  if (project.syncFileIssues.some((issue) => issue.file.endsWith('/') && issue.path === '')) return [];
  const db = await opsDb(deps.state);
  const kept = namesKept(project);
  const rows = await db
    .selectFrom('alert_incidents')
    .select(['sync_name', 'kind', 'resolved_at'])
    .where((eb) => eb.or([eb('resolved_at', 'is', null), eb('open_pending', 'is not', null), eb('resolve_pending', 'is not', null)]))
    .execute();
  const removed = new Map<string, IncidentKind[]>();
  for (const row of rows) {
    if (kept.has(row.sync_name)) continue;
    const open = removed.get(row.sync_name) ?? [];
    if (row.resolved_at === null) open.push(row.kind as IncidentKind);
    removed.set(row.sync_name, open);
  }
  for (const [sync, open] of removed) {
    const detail = removedDetail(sync);
    if (open.length > 0) deps.logger.info({ sync, kinds: open }, 'maintenance: sync removed from the project; its open incidents resolved');
    await applyObservations(alertDeps, sync, project.alerts, open.map((kind) => ({ kind, active: false, detail })));
    await dropUndeliverable(deps, project.alerts, sync, detail, alertDeps.now().toISOString());
  }
  return [...removed.keys()];
}

/**
 * What is left of a removed sync's incidents for a channel backflow.yaml does not configure (none at
 * all, or not that kind): resolved, and owed to no one, so retention prunes it in time and a sync
 * later given the name gets no stranger's recovery message.
 */
async function dropUndeliverable(deps: EngineDeps, alerts: AlertsConfig | undefined, sync: string, detail: string, at: string): Promise<void> {
  const db = await opsDb(deps.state);
  const configured = new Set<string>(alerts ? alertChannels(alerts) : []);
  const keepOnly = (text: string | null): string | null => {
    const left = (text ?? '').split(',').filter((channel) => configured.has(channel));
    return left.length > 0 ? left.join(',') : null;
  };
  await db
    .updateTable('alert_incidents')
    .set({ resolved_at: at, resolved_detail: detail, resolve_pending: null })
    .where('sync_name', '=', sync)
    .where('resolved_at', 'is', null)
    .execute();
  const owed = await db
    .selectFrom('alert_incidents')
    .select(['kind', 'opened_at', 'open_pending', 'resolve_pending'])
    .where('sync_name', '=', sync)
    .where((eb) => eb.or([eb('open_pending', 'is not', null), eb('resolve_pending', 'is not', null)]))
    .execute();
  for (const row of owed) {
    const openPending = keepOnly(row.open_pending);
    const resolvePending = keepOnly(row.resolve_pending);
    if (openPending === row.open_pending && resolvePending === row.resolve_pending) continue;
    await db
      .updateTable('alert_incidents')
      .set({ open_pending: openPending, resolve_pending: resolvePending })
      .where('sync_name', '=', sync)
      .where('kind', '=', row.kind)
      .where('opened_at', '=', row.opened_at)
      .execute();
  }
}
