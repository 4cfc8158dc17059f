import { createHash, randomUUID } from 'node:crypto';
import type { Selectable, WhereInterface } from 'kysely';
import type { Logger } from 'pino';
import { PROJECT_FILE } from '../config/load';
import type { AlertsConfig } from '../config/schema';
import type { StateDb } from '../state/database';
import type { RunSummary } from '../state/summary';
import { decideIncidents, observeRun, type IncidentKind, type Observation } from './incidents';
import { alertChannels, sendAlert, type AlertChannel, type AlertEvent } from './notify';
import { opsDb, type AlertIncidentsTable, type OpsDb, type OpsSchema } from './schema';

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

/** How long a worker delivering an incident's alerts holds it: longer than a delivery pass takes. */
const DELIVERY_LEASE_MS = 2 * 60_000;

function channelList(text: string | null): AlertChannel[] {
  return text ? (text.split(',').filter((c) => c === 'slack' || c === 'webhook') as AlertChannel[]) : [];
}

function channelText(channels: readonly AlertChannel[]): string | null {
  return channels.length > 0 ? channels.join(',') : null;
}

/**
 * Each configured channel with a digest of where it points (`webhook#3fa1…`), as an incident records
 * the channels its opening went to: a sync file invalid alerts through backflow.yaml's webhook, its
 * fixed sync's run through its own, and the recovery went to that other URL by type alone.
 */
function channelIdentities(alerts: AlertsConfig): string[] {
  return alertChannels(alerts).map((channel) => `${channel}#${createHash('sha256').update(alerts[channel] ?? '').digest('hex').slice(0, 16)}`);
}

/** The configured channels the opening (its opened_channels) went to; by type alone for incidents recorded before digests. */
function channelsOpenedTo(alerts: AlertsConfig, opened: string): AlertChannel[] {
  const entries = opened.split(',');
  const identities = channelIdentities(alerts);
  return alertChannels(alerts).filter((channel, index) => entries.includes(identities[index] ?? '') || entries.includes(channel));
}

/**
 * The opening's channels once it went late to `delivered`: at the URL each has now, which a late
 * opening goes to (a revoked Slack webhook replaced), so its recovery follows it there.
 */
function openedChannelsAfter(alerts: AlertsConfig, opened: string | null, delivered: readonly AlertChannel[]): string | null {
  if (opened === null || delivered.length === 0) return opened;
  const identities = channelIdentities(alerts);
  const now = alertChannels(alerts).flatMap((channel, index) => (delivered.includes(channel) ? [identities[index] ?? channel] : []));
  const kept = opened.split(',').filter((entry) => entry !== '' && !delivered.includes(entry.split('#')[0] as AlertChannel));
  return [...kept, ...now].join(',');
}

type IncidentRow = Selectable<AlertIncidentsTable>;

function openedEvent(row: IncidentRow): AlertEvent {
  return { type: 'incident.opened', sync: row.sync_name, kind: row.kind as IncidentKind, detail: row.detail, at: row.opened_at, ...(row.run_id ? { runId: row.run_id } : {}) };
}

function resolvedEvent(row: IncidentRow): AlertEvent {
  const runId = row.resolved_run_id;
  return { type: 'incident.resolved', sync: row.sync_name, kind: row.kind as IncidentKind, detail: row.resolved_detail ?? row.detail, at: row.resolved_at ?? row.opened_at, ...(runId ? { runId } : {}) };
}

/**
 * Applies what was observed to the sync's incidents: opens new ones and resolves cleared ones in
 * the state store first (so a retried activity never alerts twice), then delivers every alert of
 * the sync still owed to a channel (this observation's, and any an earlier one could not deliver).
 * Returns the events this observation decided.
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
  const channels = channelText(alertChannels(alerts));
  const identities = channelIdentities(alerts).join(',');
  const events = await db.transaction().execute(async (trx) => {
    const open = await trx.selectFrom('alert_incidents').select('kind').where('sync_name', '=', sync).where('resolved_at', 'is', null).execute();
    const actions = decideIncidents(new Set(open.map((row) => row.kind as IncidentKind)), observations);
    const happened: AlertEvent[] = [];
    for (const observation of actions.open) {
      // Another worker may have opened it since the read (PostgreSQL, READ COMMITTED): the unique
      // index over open incidents makes this insert wait for it and then do nothing.
      const inserted = await trx
        .insertInto('alert_incidents')
        .values({
          sync_name: sync,
          kind: observation.kind,
          opened_at: at,
          resolved_at: null,
          detail: observation.detail,
          run_id: runId ?? null,
          open_pending: channels,
          opened_channels: identities,
          resolve_pending: null,
          resolved_detail: null,
          resolved_run_id: null,
          delivery_lease_until: null,
        })
        .onConflict((oc) => oc.columns(['sync_name', 'kind']).where('resolved_at', 'is', null).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) continue;
      happened.push({ type: 'incident.opened', sync, kind: observation.kind, detail: observation.detail, at, ...(runId ? { runId } : {}) });
    }
    // Still failing, perhaps otherwise: an open incident says what is wrong now (no second alert). Else
    // maintenance took an invalid file's incident, whose file was fixed, for recovered while the runs
    // failed on (a broken model), and alerted "recovered" then "failed" again.
    for (const observation of observations) {
      if (!observation.active || !open.some((row) => row.kind === observation.kind)) continue;
      await trx
        .updateTable('alert_incidents')
        .set({ detail: observation.detail })
        .where('sync_name', '=', sync)
        .where('kind', '=', observation.kind)
        .where('resolved_at', 'is', null)
        .where('detail', '<>', observation.detail)
        .execute();
    }
    for (const observation of actions.resolve) {
      const opening = await trx
        .selectFrom('alert_incidents')
        .select('opened_channels')
        .where('sync_name', '=', sync)
        .where('kind', '=', observation.kind)
        .where('resolved_at', 'is', null)
        .executeTakeFirst();
      // A recovery message only where the opening alert was meant to go.
      const opened = opening?.opened_channels ?? null;
      const recoveryChannels = opened === null ? channels : channelText(channelsOpenedTo(alerts, opened));
      const updated = await trx
        .updateTable('alert_incidents')
        .set({ resolved_at: at, resolve_pending: recoveryChannels, resolved_detail: observation.detail, resolved_run_id: runId ?? null })
        .where('sync_name', '=', sync)
        .where('kind', '=', observation.kind)
        .where('resolved_at', 'is', null)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) continue;
      happened.push({ type: 'incident.resolved', sync, kind: observation.kind, detail: observation.detail, at, ...(runId ? { runId } : {}) });
    }
    return happened;
  });
  await deliverOwedAlerts(deps, db, sync, alerts, at);
  return events;
}

/**
 * Delivers the sync's alerts still owed to a channel, oldest incident first. An incident's opening
 * reaches a channel before its recovery message does (both go in the same pass when the opening was
 * late), and a channel that fails gets nothing more in this pass, so it never receives them out of
 * order; what it did not get stays owed for the sync's next observation. Each incident is leased
 * while delivered, so two workers observing the sync at once do not both send it.
 */
async function deliverOwedAlerts(deps: AlertDeps, db: OpsDb, sync: string, alerts: AlertsConfig, at: string): Promise<void> {
  const owed = await db
    .selectFrom('alert_incidents')
    .select(['kind', 'opened_at'])
    .where('sync_name', '=', sync)
    .where((eb) => eb.or([eb('open_pending', 'is not', null), eb('resolve_pending', 'is not', null)]))
    .orderBy('opened_at')
    .orderBy('kind')
    .execute();
  const failedChannels = new Set<AlertChannel>();
  for (const incident of owed) await deliverIncident(deps, db, { sync, ...incident }, alerts, at, failedChannels);
}

async function deliverIncident(
  deps: AlertDeps,
  db: OpsDb,
  key: { sync: string; kind: string; opened_at: string },
  alerts: AlertsConfig,
  at: string,
  failedChannels: Set<AlertChannel>,
): Promise<void> {
  const configured = new Set(alertChannels(alerts));
  // On the clock, not at `at` (when the caller observed things): a maintenance pass minutes long
  // wrote a lease already expired, and a worker finishing a run took the incident too (sent twice).
  const nowMs = Date.now();
  const clock = new Date(nowMs).toISOString();
  const lease = `${new Date(nowMs + DELIVERY_LEASE_MS).toISOString()} ${randomUUID()}`;
  const byKey = <Q extends WhereInterface<OpsSchema, 'alert_incidents'>>(query: Q): Q =>
    query.where('sync_name', '=', key.sync).where('kind', '=', key.kind).where('opened_at', '=', key.opened_at) as Q;
  // Twice at most: the incident may resolve (another worker) while this one delivers its opening.
  for (let pass = 0; pass < 2; pass++) {
    const claimed = await byKey(db.updateTable('alert_incidents').set({ delivery_lease_until: lease }))
      .where((eb) => eb.or([eb('open_pending', 'is not', null), eb('resolve_pending', 'is not', null)]))
      .where((eb) => eb.or([eb('delivery_lease_until', 'is', null), eb('delivery_lease_until', '<', clock)]))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return;
    const row = await byKey(db.selectFrom('alert_incidents').selectAll()).executeTakeFirstOrThrow();
    // A channel no longer configured is owed nothing.
    const openPending = channelList(row.open_pending).filter((c) => configured.has(c));
    const resolvePending = channelList(row.resolve_pending).filter((c) => configured.has(c));
    const send = async (event: AlertEvent, pending: AlertChannel[], ready: (c: AlertChannel) => boolean): Promise<AlertChannel[]> => {
      const channels = pending.filter((c) => ready(c) && !failedChannels.has(c));
      if (channels.length === 0) return pending;
      const delivery = await sendAlert(alerts, event, { env: deps.env, logger: deps.logger, file: PROJECT_FILE, channels });
      for (const failure of delivery.failed) failedChannels.add(failure.channel);
      return pending.filter((c) => !delivery.delivered.includes(c));
    };
    let stillOpen = openPending;
    let stillResolve = resolvePending;
    let lateOpened: AlertChannel[] = [];
    try {
      stillOpen = await send(openedEvent(row), openPending, () => true);
      lateOpened = openPending.filter((c) => !stillOpen.includes(c));
      // The recovery message only where the opening went first: also where it just went late (the
      // recovery was owed by where the opening was meant to go, a URL the channel may no longer have).
      const owedRecovery = [...resolvePending, ...lateOpened.filter((c) => !resolvePending.includes(c))];
      if (row.resolved_at !== null) stillResolve = await send(resolvedEvent(row), owedRecovery, (c) => !stillOpen.includes(c));
    } finally {
      // resolve_pending is this worker's to write only once the incident had resolved when it read it
      // (an incident resolves once; before that another worker's resolve sets it).
      await byKey(
        db.updateTable('alert_incidents').set({
          open_pending: channelText(stillOpen),
          delivery_lease_until: null,
          ...(lateOpened.length > 0 ? { opened_channels: openedChannelsAfter(alerts, row.opened_channels, lateOpened) } : {}),
          ...(row.resolved_at !== null ? { resolve_pending: channelText(stillResolve) } : {}),
        }),
      )
        .where('delivery_lease_until', '=', lease)
        .execute();
    }
    if (row.resolved_at !== null) return;
    const now = await byKey(db.selectFrom('alert_incidents').select('resolved_at')).executeTakeFirst();
    if (now?.resolved_at == null) return;
  }
}

/** After a run: a failure or a rejected share above the threshold opens an incident; a success resolves them. */
export async function alertOnRun(deps: AlertDeps, summary: RunSummary, alerts: AlertsConfig | undefined): Promise<AlertEvent[]> {
  if (!hasChannel(alerts)) return [];
  return applyObservations(deps, summary.sync, alerts, observeRun(summary, alerts), summary.runId);
}
