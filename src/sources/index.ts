import path from 'node:path';
import type { Connection } from '../config/schema';
import { BackflowError } from '../errors';
import type { Source } from './source';

/* eslint-disable @typescript-eslint/no-require-imports -- loaded when a connection of the type is used: each client library costs ~0.1-0.2 s to load */
const duckdb = () => require('./duckdb') as typeof import('./duckdb');
const postgres = () => require('./postgres') as typeof import('./postgres');
const bigquery = () => require('./bigquery') as typeof import('./bigquery');
/* eslint-enable @typescript-eslint/no-require-imports */

/** Builds the source for a connection whose secrets are already resolved. */
export function createSource(connection: Connection, projectDir: string): Source {
  switch (connection.type) {
    case 'duckdb':
      return new (duckdb().DuckdbSource)(duckdb().duckdbPath(connection, projectDir));
    case 'postgres':
      return new (postgres().PostgresSource)(connection);
    case 'bigquery':
      return new (bigquery().BigquerySource)({
        ...connection,
        ...(connection.keyFilename ? { keyFilename: path.resolve(projectDir, connection.keyFilename) } : {}),
      });
    default:
      throw new BackflowError('CONFIG_INVALID', `connection type ${connection.type} is not a source`);
  }
}
