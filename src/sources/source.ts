/** A JSON-safe value as every source normalises it (big integers and decimals as exact strings). */
export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };
export type Row = Record<string, Value>;

export interface Column {
  name: string;
  type: string;
}

/** The contract every warehouse implements. */
export interface Source {
  /** Fails with a clear message when the warehouse cannot be reached. */
  check(): Promise<void>;
  /** The columns the SQL returns, without running it to completion; throws the warehouse's error. */
  describe(sql: string): Promise<Column[]>;
  /** The rows of the SQL in pages, never the whole result in memory. */
  stream(sql: string): AsyncIterable<Row[]>;
  close(): Promise<void>;
}
