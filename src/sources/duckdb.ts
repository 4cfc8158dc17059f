import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { DuckdbConnection } from '../config/schema';
import { BackflowError } from '../errors';
import type { Column, Row, Source } from './source';

/** Resolves a DuckDB path from config against the project directory (`:memory:` stays as is). */
export function duckdbPath(config: DuckdbConnection, projectDir: string): string {
  return config.path === ':memory:' ? config.path : path.resolve(projectDir, config.path);
}

/**
 * The embedded warehouse. Opened read-only so a sync never holds the write lock that the
 * modelling process (dbt, the demo's seeding) needs.
 */
export class DuckdbSource implements Source {
  private instance: DuckDBInstance | undefined;
  private connection: DuckDBConnection | undefined;

  constructor(private readonly file: string) {}

  private async connect(): Promise<DuckDBConnection> {
    if (this.connection) return this.connection;
    try {
      const options: Record<string, string> = this.file === ':memory:' ? {} : { access_mode: 'READ_ONLY' };
      this.instance = await DuckDBInstance.create(this.file, options);
      this.connection = await this.instance.connect();
      return this.connection;
    } catch (err) {
      throw new BackflowError('SOURCE_QUERY_FAILED', `cannot open DuckDB database ${this.file}: ${(err as Error).message}`);
    }
  }

  async check(): Promise<void> {
    const connection = await this.connect();
    await connection.run('SELECT 1');
  }

  async describe(sql: string): Promise<Column[]> {
    const connection = await this.connect();
    try {
      const statement = await connection.prepare(sql);
      const columns: Column[] = [];
      for (let i = 0; i < statement.columnCount; i++) {
        columns.push({ name: statement.columnName(i), type: statement.columnType(i).toString() });
      }
      return columns;
    } catch (err) {
      throw new BackflowError('SOURCE_QUERY_FAILED', `DuckDB: ${(err as Error).message}`);
    }
  }

  async *stream(sql: string): AsyncIterable<Row[]> {
    const connection = await this.connect();
    let result;
    try {
      result = await connection.stream(sql);
    } catch (err) {
      throw new BackflowError('SOURCE_QUERY_FAILED', `DuckDB: ${(err as Error).message}`);
    }
    // yieldRowObjectJson gives exact strings for BIGINT/DECIMAL and ISO text for dates: stable fingerprints.
    for await (const page of result.yieldRowObjectJson()) yield page as Row[];
  }

  async close(): Promise<void> {
    this.connection?.closeSync();
    this.instance?.closeSync();
    this.connection = undefined;
    this.instance = undefined;
  }
}
