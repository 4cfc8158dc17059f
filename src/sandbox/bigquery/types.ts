/** Public surface of the BigQuery REST API sandbox (used by CI setups and tests). */

export interface BigQuerySandboxOptions {
  /** 0 / undefined picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The one project the sandbox serves; default 'backflow-sandbox'. */
  projectId?: string;
  /** DuckDB database file backing the datasets; ':memory:' (default) for a throwaway one. */
  duckdbPath?: string;
  /** Rows per page when the client gives no maxResults; by default none: pages are capped at 10 MB, as BigQuery's. */
  defaultPageSize?: number;
  /**
   * How long each query job runs before it is DONE (default 0): a slow warehouse. Meanwhile
   * jobs.get says RUNNING, and jobs.query / jobs.getQueryResults wait up to the request's
   * `timeoutMs` (default 10 s) and answer `jobComplete: false` without rows, as BigQuery does.
   */
  queryDelayMs?: number;
}

/** One API request the sandbox answered. */
export interface BigQueryRequestLogEntry {
  method: string;
  /** Path without the query string, e.g. `/bigquery/v2/projects/backflow-sandbox/queries/job_x`. */
  path: string;
  status: number;
  at: string;
}

export interface BigQuerySandbox {
  /** e.g. http://127.0.0.1:PORT — pass as `new BigQuery({ projectId, apiEndpoint })`. */
  readonly apiEndpoint: string;
  readonly projectId: string;
  /** Runs DuckDB SQL directly (seed data), e.g. `CREATE SCHEMA analytics; CREATE TABLE analytics.accounts AS ...`. */
  exec(sql: string): Promise<void>;
  /** Query jobs created from now on run this long (as `queryDelayMs`; also `PUT /__sandbox/settings`). */
  setQueryDelay(ms: number): void;
  /** API requests answered so far: method, path (no query string), status. */
  requests(): BigQueryRequestLogEntry[];
  close(): Promise<void>;
}
