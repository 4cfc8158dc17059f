/**
 * BigQuery REST API sandbox: an in-process emulator of the parts of BigQuery's v2 REST API a
 * reverse-ETL source uses (jobs.query, jobs.insert, jobs.get, jobs.getQueryResults, tables.get),
 * executing GoogleSQL on DuckDB so the official `@google-cloud/bigquery` client runs against it
 * unchanged in CI: `new BigQuery({ projectId: sandbox.projectId, apiEndpoint: sandbox.apiEndpoint })`.
 *
 * A BigQuery dataset is a DuckDB schema; seed data with `exec` (plain DuckDB SQL).
 */

import { Warehouse } from './engine';
import { BigQuerySandboxServer, parseQueryDelay } from './server';
import type { BigQuerySandbox, BigQuerySandboxOptions } from './types';

export type { BigQueryRequestLogEntry, BigQuerySandbox, BigQuerySandboxOptions } from './types';

export async function startBigQuerySandbox(options: BigQuerySandboxOptions = {}): Promise<BigQuerySandbox> {
  const projectId = options.projectId ?? 'backflow-sandbox';
  // BigQuery caps a page without maxResults by its size (10 MB) only, not by a number of rows.
  const defaultPageSize = options.defaultPageSize ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(defaultPageSize) || defaultPageSize < 1) throw new Error('defaultPageSize must be a positive integer');
  const warehouse = await Warehouse.open(options.duckdbPath ?? ':memory:');
  const server = new BigQuerySandboxServer({ projectId, defaultPageSize, warehouse, queryDelayMs: parseQueryDelay(options.queryDelayMs ?? 0) });
  const host = options.host ?? '127.0.0.1';
  let port: number;
  try {
    port = await server.listen(options.port ?? 0, host);
  } catch (err) {
    await warehouse.close();
    throw err;
  }
  // A wildcard bind address is not something a client can connect to.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const apiEndpoint = `http://${urlHost}:${port}`;
  server.setApiEndpoint(apiEndpoint);
  return {
    apiEndpoint,
    projectId,
    exec: (sql) => warehouse.exec(sql),
    setQueryDelay: (ms) => server.setQueryDelay(ms),
    requests: () => server.requests(),
    close: async () => {
      await server.close();
      await warehouse.close();
    },
  };
}
