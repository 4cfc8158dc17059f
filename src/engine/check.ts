import type { SyncSpec } from '../config/schema';
import { operationsOf } from '../destinations/modes';
import { missingColumns } from '../diff/mapping';
import { BackflowError, ConfigError, type ConfigIssue } from '../errors';
import { openDestination, openSource, project, resolvedConnection, type EngineDeps } from './context';
import { writeBackTableProblem } from '../ops/writeBack';
import { PROJECT_FILE, getSync } from '../config/load';
import { pgConnectTimeoutMs } from '../state/stateUrl';
import { relationOfModelSql, resolveModelSql, sqlOf } from '../sources/dbt';
import { SourceUnavailable } from '../sources/sourceErrors';

/** The sync as a run records it (`runs.spec_json`): its file's spec, a dbt `ref` resolved to SQL. */
export function runSpecOf(deps: EngineDeps, name: string): { spec: SyncSpec; file: string; declared: SyncSpec } {
  const loaded = project(deps);
  const declared = getSync(loaded, name);
  const file = syncFileOf(deps, declared.name);
  const quoting = loaded.connections[declared.source]?.type === 'bigquery' ? 'backtick' : 'double';
  return { spec: { ...declared, model: resolveModelSql(declared.model, loaded.dir, file, quoting) }, file, declared };
}

/** The file a sync is written in, relative to the project (where a config error points). */
export function syncFileOf(deps: EngineDeps, name: string): string {
  let file: string | undefined;
  try {
    file = project(deps).syncFiles.get(name);
  } catch {
    // backflow.yaml broken since: the usual place still says which sync.
  }
  return file ?? `syncs/${name}.yaml`;
}

/**
 * Everything about a sync that can be checked without writing anything or asking the destination:
 * the spec, the secrets it references, what the destination checks offline (templates, keys), the
 * model's SQL and the columns the spec reads. Throws a ConfigError (file + path) or
 * the warehouse's own error.
 */
export async function checkSync(deps: EngineDeps, name: string): Promise<{ spec: SyncSpec; file: string; columns: string[] }> {
  const { spec, file, declared } = runSpecOf(deps, name);
  const issues: ConfigIssue[] = [];
  // Collect config problems from every part instead of stopping at the first.
  const attempt = <T>(work: () => T): T | undefined => {
    try {
      return work();
    } catch (err) {
      if (err instanceof ConfigError) issues.push(...err.issues);
      else throw err;
      return undefined;
    }
  };
  const destination = attempt(() => openDestination(deps, spec));
  for (const issue of destination?.checkOffline?.(spec) ?? []) issues.push({ file, ...issue });
  const missing = destination ? operationsOf(spec.mode).filter((op) => !destination.operations.includes(op)) : [];
  if (missing.length > 0) {
    issues.push({ file, path: 'mode', message: `${spec.mode} mode needs ${missing.join(', ')}, which this destination cannot do` });
  }
  const source = attempt(() => openSource(deps, spec));
  if (!source) throw new ConfigError(issues);
  let columns: string[];
  try {
    columns = (await source.describe(sqlOf(spec.model))).map((column) => column.name);
  } catch (err) {
    // Locked or unreachable: retried as it is, not made a final query failure.
    if (err instanceof SourceUnavailable) throw issues.length > 0 ? new ConfigError(issues) : err;
    const warehouseMessage = err instanceof Error ? err.message : String(err);
    // A dbt model's relation comes from the manifest, not the sync file: say so, and what usually
    // makes it missing (a model renamed, or not built since), or the user hunts a table they never wrote.
    const message =
      typeof declared.model === 'string'
        ? warehouseMessage
        : `dbt model "${declared.model.dbt}" is read from ${relationOfModelSql(sqlOf(spec.model))}, as ${declared.model.manifest} names it (a manifest older than the warehouse, or a model not built since: \`dbt run\`): ${warehouseMessage}`;
    // The connection's own setting (its URL's connect_timeout), not the model's.
    if (err instanceof BackflowError && err.code === 'CONFIG_INVALID') throw new ConfigError([...issues, { file: PROJECT_FILE, path: `connections.${spec.source}.url`, message: warehouseMessage }]);
    // With the spec's other problems, all of them at once (a fixed secret then showed the SQL's).
    const modelPath = typeof declared.model === 'string' ? 'model' : 'model.dbt';
    if (issues.length > 0) throw new ConfigError([...issues, { file, path: modelPath, message }]);
    throw new BackflowError('SOURCE_QUERY_FAILED', `${file}: ${modelPath}: ${message}`);
  } finally {
    await source.close();
  }
  // Rows are read by column name: a second column of the same name would be read as the first.
  const repeated = [...new Set(columns.filter((column, index) => columns.indexOf(column) !== index))];
  for (const column of repeated) {
    issues.push({ file, path: 'model', message: `the model returns more than one column named "${column}"; give each its own name (… AS another_name)` });
  }
  for (const { path, column } of missingColumns(spec, columns)) {
    issues.push({ file, path, message: `column "${column}" is not returned by the model (it returns: ${columns.join(', ')})` });
  }
  const writeBack = spec.writeBack;
  const logWarehouse = writeBack && attempt(() => resolvedConnection(deps, writeBack.connection));
  if (writeBack && logWarehouse) {
    // Read by every write-back: malformed, each failed and stayed owed, the runs succeeding.
    if (logWarehouse.type === 'postgres') {
      try {
        pgConnectTimeoutMs(logWarehouse.url, 'URL');
      } catch (err) {
        issues.push({ file: PROJECT_FILE, path: `connections.${writeBack.connection}.url`, message: (err as Error).message });
      }
    }
    const problem = await writeBackTableProblem(writeBack.table, logWarehouse, deps.projectDir);
    if (problem !== undefined) issues.push({ file, path: 'writeBack.table', message: problem });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { spec, file, columns };
}
