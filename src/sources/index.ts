import type { Connection } from '../config/schema';
import { BackflowError } from '../errors';
import { DuckdbSource, duckdbPath } from './duckdb';
import type { Source } from './source';

/** Builds the source for a connection whose secrets are already resolved. */
export function createSource(connection: Connection, projectDir: string): Source {
  switch (connection.type) {
    case 'duckdb':
      return new DuckdbSource(duckdbPath(connection, projectDir));
    default:
      throw new BackflowError('CONFIG_INVALID', `connection type ${connection.type} is not a source`);
  }
}
