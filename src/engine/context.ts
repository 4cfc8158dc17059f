import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { loadProjectCached } from '../config/cache';
import { getSync, PROJECT_FILE, type Project } from '../config/load';
import { resolveSecrets } from '../config/secrets';
import type { Connection, DestinationLimitsOverride, SyncSpec } from '../config/schema';
import { createDestination } from '../destinations';
import { ConfigError } from '../errors';
import type { Destination, DestinationLimits } from '../destinations/destination';
import type { WriteOperation } from '../destinations/modes';
import { createSource } from '../sources';
import type { Source } from '../sources/source';
import type { StateDb } from '../state/database';
import { StoreChannelPacer } from './channelPacing';
import { scrubbingDestination } from './secretScrub';

/** What the engine needs from the outside world; activities receive it from the worker. */
export interface EngineDeps {
  projectDir: string;
  state: StateDb;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  /** How long one syncBatches activity sends before handing the rest of its range back (default TIME_SLICE_MS). */
  batchTimeSliceMs?: number;
  /** The first wait before a destination sends again records that met contention (default 1 s; tests shorten it). */
  recordRetryFirstWaitMs?: number;
}

export function nowIso(deps: EngineDeps): string {
  return (deps.now?.() ?? new Date()).toISOString();
}

/**
 * The project as on disk now (re-read when a file changed), so edited YAML applies without a restart.
 * Lenient: another sync's invalid file does not fail this one's run (syncSpec throws a sync's own problems).
 */
export function project(deps: EngineDeps): Project {
  return loadProjectCached(deps.projectDir);
}

export function syncSpec(deps: EngineDeps, name: string): SyncSpec {
  return getSync(project(deps), name);
}

/** A connection with its `${env:…}` secrets resolved; a missing one names file and path. */
export function resolvedConnection(deps: EngineDeps, name: string): Connection {
  const connections = project(deps).connections;
  const connection = connections[name];
  if (!connection) throw new Error(`connection ${name} disappeared from ${PROJECT_FILE}`);
  return resolveSecrets(connection, { file: PROJECT_FILE, path: `connections.${name}` }, deps.env ?? process.env);
}

export function openSource(deps: EngineDeps, spec: SyncSpec): Source {
  const connection = resolvedConnection(deps, spec.source);
  if (connection.type === 'duckdb' && connection.path !== ':memory:') {
    // Opened read-only, a mistyped path failed as the model's query error: name the setting instead.
    const file = path.resolve(deps.projectDir, connection.path);
    if (!existsSync(file)) {
      const relative = path.isAbsolute(connection.path) ? '' : ' (the path is relative to the project directory)';
      throw new ConfigError([{ file: PROJECT_FILE, path: `connections.${spec.source}.path`, message: `no DuckDB database file at ${file}${relative}` }]);
    }
  }
  return createSource(connection, deps.projectDir);
}

export function openDestination(deps: EngineDeps, spec: SyncSpec): Destination {
  return openTarget(deps, spec).destination;
}

/** A sync's destination with the limits in force: the destination's own, as its connection overrides them. */
export interface OpenTarget {
  destination: Destination;
  limits: DestinationLimits;
}

export function openTarget(deps: EngineDeps, spec: SyncSpec): OpenTarget {
  const connection = resolvedConnection(deps, spec.destination.connection);
  const written = project(deps).connections[spec.destination.connection] ?? {};
  const destination = scrubbingDestination(
    createDestination(
      connection,
      spec.destination,
      deps.projectDir,
      { channelPacer: new StoreChannelPacer(deps.state) },
      deps.recordRetryFirstWaitMs !== undefined ? { recordRetryFirstWaitMs: deps.recordRetryFirstWaitMs } : {},
    ),
    written,
    deps.env ?? process.env,
  );
  const override = 'limits' in connection ? (connection.limits as DestinationLimitsOverride | undefined) : undefined;
  return { destination, limits: effectiveLimits(destination.limits, override) };
}

/** Overrides may lower the batch size (never raise it past the API's own), and set concurrency and rate. */
export function effectiveLimits(own: DestinationLimits, override: DestinationLimitsOverride | undefined): DestinationLimits {
  const requestsPerSecond = override?.requestsPerSecond ?? own.requestsPerSecond;
  return {
    maxBatchSize: Math.min(override?.maxBatchSize ?? own.maxBatchSize, own.maxBatchSize),
    concurrency: override?.concurrency ?? own.concurrency,
    ...(requestsPerSecond !== undefined ? { requestsPerSecond } : {}),
  };
}

/**
 * Records per batch for a verb taking `records` records: the sync's own choice, never above what the
 * destination takes for that many (a destination with a bulk API takes more when there are many).
 */
export function batchSizeFor(spec: SyncSpec, target: OpenTarget): (operation: WriteOperation, records: number) => number {
  return (operation, records) => {
    const own = target.destination.maxBatchSize?.(operation, records) ?? target.destination.limits.maxBatchSize;
    // A connection's lower maxBatchSize applies to every verb; a bulk verb's larger size otherwise stands.
    const max = Math.min(own, target.limits.maxBatchSize === target.destination.limits.maxBatchSize ? own : target.limits.maxBatchSize);
    return Math.min(spec.batchSize ?? max, max);
  };
}
