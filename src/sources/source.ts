/** A JSON-safe value as every source normalises it (big integers and decimals as exact strings). */
export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };
export type Row = Record<string, Value>;

export interface Column {
  name: string;
  type: string;
}

export interface StreamOptions {
  /** Tags the warehouse records with the query (BigQuery job labels): the sync and the run. */
  labels?: Record<string, string>;
}

/** The contract every warehouse implements. */
export interface Source {
  /** Fails with a clear message when the warehouse cannot be reached. */
  check(): Promise<void>;
  /** The columns the SQL returns, without running it to completion; throws the warehouse's error. */
  describe(sql: string): Promise<Column[]>;
  /** The rows of the SQL in pages, never the whole result in memory. */
  stream(sql: string, options?: StreamOptions): AsyncIterable<Row[]>;
  /** Bytes the warehouse would scan for the SQL, where it can tell (BigQuery). */
  estimateBytes?(sql: string): Promise<number>;
  close(): Promise<void>;
}
