import type { Logger } from 'pino';
import { getSync, loadProject, PROJECT_FILE, type Project } from '../config/load';
import { resolveSecrets } from '../config/secrets';
import type { Connection, SyncSpec } from '../config/schema';
import { createDestination } from '../destinations';
import type { Destination } from '../destinations/destination';
import type { WriteOperation } from '../destinations/modes';
import { createSource } from '../sources';
import type { Source } from '../sources/source';
import type { StateDb } from '../state/database';

/** What the engine needs from the outside world; activities receive it from the worker. */
export interface EngineDeps {
  projectDir: string;
  state: StateDb;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

export function nowIso(deps: EngineDeps): string {
  return (deps.now?.() ?? new Date()).toISOString();
}

/** Reads the project from disk each time, so edited YAML applies to the next run without a restart. */
export function project(deps: EngineDeps): Project {
  return loadProject(deps.projectDir);
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
  return createSource(resolvedConnection(deps, spec.source), deps.projectDir);
}

export function openDestination(deps: EngineDeps, spec: SyncSpec): Destination {
  const connection = resolvedConnection(deps, spec.destination.connection);
  return createDestination(connection, spec.destination);
}

/**
 * Records per batch for a verb taking `records` records: the sync's own choice, never above what the
 * destination takes for that many (a destination with a bulk API takes more when there are many).
 */
export function batchSizeFor(spec: SyncSpec, destination: Destination): (operation: WriteOperation, records: number) => number {
  return (operation, records) => {
    const max = destination.maxBatchSize?.(operation, records) ?? destination.limits.maxBatchSize;
    return Math.min(spec.batchSize ?? max, max);
  };
}
