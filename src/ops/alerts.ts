import type { Logger } from 'pino';
import { PROJECT_FILE } from '../config/load';
import type { AlertsConfig } from '../config/schema';
import type { StateDb } from '../state/database';
import type { RunSummary } from '../state/summary';
import { decideIncidents, observeRun, type IncidentKind, type Observation } from './incidents';
import { sendAlert, type AlertEvent } from './notify';
import { opsDb } from './schema';

export interface AlertDeps {
  state: StateDb;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

function hasChannel(alerts: AlertsConfig | undefined): alerts is AlertsConfig {
  return alerts !== undefined && (alerts.slack !== undefined || alerts.webhook !== undefined);
}

export async function openIncidentKinds(state: StateDb, sync: string): Promise<Set<IncidentKind>> {
  const db = await opsDb(state);
  const rows = await db.selectFrom('alert_incidents').select('kind').where('sync_name', '=', sync).where('resolved_at', 'is', null).execute();
  return new Set(rows.map((row) => row.kind as IncidentKind));
}

/**
 * Applies what was observed to the sync's incidents: opens new ones and resolves cleared ones in
 * the state store first (so a retried activity never alerts twice), then notifies.
 */
export async function applyObservations(
  deps: AlertDeps,
  sync: string,
  alerts: AlertsConfig | undefined,
  observations: readonly Observation[],
  runId?: string,
): Promise<AlertEvent[]> {
  if (!hasChannel(alerts)) return [];
  const db = await opsDb(deps.state);
  const at = deps.now().toISOString();
  const events = await db.transaction().execute(async (trx) => {
    const open = await trx.selectFrom('alert_incidents').select('kind').where('sync_name', '=', sync).where('resolved_at', 'is', null).execute();
    const actions = decideIncidents(new Set(open.map((row) => row.kind as IncidentKind)), observations);
    const happened: AlertEvent[] = [];
    for (const observation of actions.open) {
      await trx
        .insertInto('alert_incidents')
        .values({ sync_name: sync, kind: observation.kind, opened_at: at, resolved_at: null, detail: observation.detail, run_id: runId ?? null })
        .execute();
      happened.push({ type: 'incident.opened', sync, kind: observation.kind, detail: observation.detail, at, ...(runId ? { runId } : {}) });
    }
    for (const observation of actions.resolve) {
      await trx
        .updateTable('alert_incidents')
        .set({ resolved_at: at })
        .where('sync_name', '=', sync)
        .where('kind', '=', observation.kind)
        .where('resolved_at', 'is', null)
        .execute();
      happened.push({ type: 'incident.resolved', sync, kind: observation.kind, detail: observation.detail, at, ...(runId ? { runId } : {}) });
    }
    return happened;
  });
  for (const event of events) await sendAlert(alerts, event, { env: deps.env, logger: deps.logger, file: PROJECT_FILE });
  return events;
}

/** After a run: a failure or a rejected share above the threshold opens an incident; a success resolves them. */
export async function alertOnRun(deps: AlertDeps, summary: RunSummary, alerts: AlertsConfig | undefined): Promise<AlertEvent[]> {
  if (!hasChannel(alerts)) return [];
  return applyObservations(deps, summary.sync, alerts, observeRun(summary, alerts), summary.runId);
}
