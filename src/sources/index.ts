import path from 'node:path';
import type { Connection } from '../config/schema';
import { BackflowError } from '../errors';
import { BigquerySource } from './bigquery';
import { DuckdbSource, duckdbPath } from './duckdb';
import { PostgresSource } from './postgres';
import type { Source } from './source';

/** Builds the source for a connection whose secrets are already resolved. */
export function createSource(connection: Connection, projectDir: string): Source {
  switch (connection.type) {
    case 'duckdb':
      return new DuckdbSource(duckdbPath(connection, projectDir));
    case 'postgres':
      return new PostgresSource(connection);
    case 'bigquery':
      return new BigquerySource({
        ...connection,
        ...(connection.keyFilename ? { keyFilename: path.resolve(projectDir, connection.keyFilename) } : {}),
      });
    default:
      throw new BackflowError('CONFIG_INVALID', `connection type ${connection.type} is not a source`);
  }
}
