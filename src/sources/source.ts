/** A JSON-safe value as every source normalises it (big integers and decimals as exact strings). */
export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };
export type Row = Record<string, Value>;

/**
 * A value a source could not reduce to its canonical form (an 'infinity' or BC date, a year past
 * 9999, a NaN numeric): it stands in the row so that the mapper reports that row invalid, naming the
 * column and the value, and the rest of the model still syncs.
 */
export class UnreadableValue {
  constructor(
    /** The kind the column's type reads as (see normalize.ts). */
    readonly kind: string,
    /** The warehouse's own text of the value. */
    readonly raw: string,
    /** Why it cannot be read, when the text does not show it (a JSON key given twice, and which). */
    readonly reason?: string,
  ) {}

  /** An invalid row's stored copy shows the warehouse's text. */
  toJSON(): string {
    return this.raw;
  }
}

/** A row as a source yields it: canonical values, or an UnreadableValue where one could not be read. */
export type SourceRow = Record<string, Value | UnreadableValue>;

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
  /** The rows of the SQL in pages, never the whole result in memory; an unreadable value never fails the stream. */
  stream(sql: string, options?: StreamOptions): AsyncIterable<SourceRow[]>;
  /** Bytes the warehouse would scan for the SQL, where it can tell (BigQuery). */
  estimateBytes?(sql: string): Promise<number>;
  close(): Promise<void>;
}
