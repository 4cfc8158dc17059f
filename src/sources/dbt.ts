import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ModelRef } from '../config/schema';
import { ConfigError } from '../errors';
import { SourceUnavailable } from './sourceErrors';

/** What `ref()` resolves to: models, and the seeds and snapshots dbt builds tables for too. */
const REFERABLE = new Set(['model', 'seed', 'snapshot']);

/** How a resolved dbt model reads its relation (resolveModelSql). */
const READ_RELATION = 'SELECT * FROM ';

const nodeSchema = z
  .object({
    resource_type: z.string(),
    name: z.string(),
    relation_name: z.string().nullable().optional(),
    database: z.string().nullable().optional(),
    schema: z.string().nullable().optional(),
    alias: z.string().nullable().optional(),
    package_name: z.string().optional(),
    /** Set on versioned models (dbt ≥ 1.5): one node per version, all with the model's name. */
    version: z.union([z.number(), z.string()]).nullable().optional(),
    latest_version: z.union([z.number(), z.string()]).nullable().optional(),
    config: z.object({ materialized: z.string().optional() }).passthrough().optional(),
  })
  .passthrough();

/** The part of dbt's manifest.json backflow reads: each node and the relation it built, and the disabled ones. */
const manifestSchema = z.object({
  nodes: z.record(z.string(), nodeSchema),
  /** Disabled nodes, by unique id (a list each: one per config that disabled it). */
  disabled: z.record(z.string(), z.array(z.object({ resource_type: z.string(), name: z.string(), package_name: z.string().optional() }).passthrough())).nullable().optional(),
});

/** How the warehouse quotes an identifier: BigQuery with backticks, PostgreSQL and DuckDB with double quotes. */
export type IdentifierQuoting = 'double' | 'backtick';

/**
 * database.schema.alias quoted part by part, as dbt's adapters write relation_name: a manifest
 * without one (dbt before 1.5 fills it only at compile, not at `dbt parse`) gave the name unquoted,
 * and a database named after its file (`jaffle-shop.duckdb`) or a mixed-case alias broke the query.
 */
function quotedRelation(parts: string[], quoting: IdentifierQuoting): string {
  return parts.map((part) => (quoting === 'backtick' ? `\`${part}\`` : `"${part.replace(/"/g, '""')}"`)).join('.');
}

/**
 * The SQL a sync's model stands for: the SQL itself, or for `{ dbt: <model> }` a SELECT from the
 * relation dbt materialised that model into (read from manifest.json).
 */
export function resolveModelSql(model: ModelRef, projectDir: string, file: string, quoting: IdentifierQuoting = 'double'): string {
  if (typeof model === 'string') return model;
  // The field to change: the manifest when it cannot be read, the version or package when that is what is missing.
  const failAt = (field: 'dbt' | 'manifest' | 'version' | 'package', message: string): never => {
    throw new ConfigError([{ file, path: `model.${field}`, message }]);
  };
  const fail = (message: string): never => failAt('dbt', message);
  const manifestPath = path.resolve(projectDir, model.manifest);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (err) {
    if (err instanceof SyntaxError && writtenJustNow(manifestPath)) {
      // dbt rewrites manifest.json in place (truncate, then write) at each parse and run: one read
      // mid-write is waited out (retried, as a warehouse dbt holds is), not a broken config.
      throw new SourceUnavailable(`${file}: model.manifest: dbt manifest ${model.manifest} is incomplete and was written in the last minute (dbt is writing it): ${err.message}`, 'SOURCE_UNAVAILABLE');
    }
    return failAt('manifest', `cannot read dbt manifest ${model.manifest}: ${(err as Error).message} (run \`dbt compile\` or \`dbt run\` first)`);
  }
  const manifest = manifestSchema.safeParse(raw);
  if (!manifest.success) return failAt('manifest', `${model.manifest} is not a dbt manifest: ${manifest.error.issues[0]?.message ?? ''}`);
  const matches = (node: { resource_type: string; name: string; package_name?: string | undefined }) =>
    REFERABLE.has(node.resource_type) && node.name === model.dbt && (model.package === undefined || node.package_name === model.package);
  const found = Object.values(manifest.data.nodes).filter(matches);
  // A model first, as the name is mostly one's; else the seed or snapshot of that name.
  const models = found.filter((node) => node.resource_type === 'model');
  const named = models.length > 0 ? models : found;
  const inPackage = model.package === undefined ? '' : ` in package "${model.package}"`;
  if (named.length === 0) {
    const disabled = Object.values(manifest.data.disabled ?? {}).flat().find(matches);
    if (disabled) return fail(`dbt ${disabled.resource_type} "${model.dbt}"${inPackage} is disabled in ${model.manifest} (enabled: false): it builds no relation to read`);
    return fail(`no dbt model, seed or snapshot named "${model.dbt}"${inPackage} in ${model.manifest}`);
  }
  const packages = [...new Set(named.map((node) => node.package_name ?? '?'))];
  if (packages.length > 1) {
    return failAt('package', `several dbt packages define a model named "${model.dbt}" (${packages.join(', ')}); name one with \`package:\``);
  }
  const node = pickVersion(named, model, (message) => failAt('version', message));
  if (node.config?.materialized === 'ephemeral') return fail(`dbt model "${model.dbt}" is ephemeral: it builds no relation to read`);
  const relation = node.relation_name ?? quotedRelation([node.database, node.schema, node.alias ?? node.name].filter((part): part is string => Boolean(part)), quoting);
  return `${READ_RELATION}${relation}`;
}

/** The relation a dbt model resolved by resolveModelSql reads, for messages that name it. */
export function relationOfModelSql(sql: string): string {
  return sql.startsWith(READ_RELATION) ? sql.slice(READ_RELATION.length) : sql;
}

/** How recent a change to an unparseable manifest means dbt is still writing it, rather than that it is broken. */
const MANIFEST_WRITE_WINDOW_MS = 60_000;

function writtenJustNow(manifestPath: string): boolean {
  try {
    return Date.now() - statSync(manifestPath).mtimeMs < MANIFEST_WRITE_WINDOW_MS;
  } catch {
    return false;
  }
}

type ManifestNode = z.infer<typeof manifestSchema>['nodes'][string];

/**
 * The node a reference means, as dbt's `ref` resolves it: the version asked for, else the model's
 * latest version (`latest_version`, which need not be the highest). Unversioned models have one node.
 */
function pickVersion(nodes: readonly ManifestNode[], model: { dbt: string; version?: number | string | undefined }, fail: (message: string) => never): ManifestNode {
  const versions = nodes.map((node) => (node.version === null || node.version === undefined ? null : String(node.version)));
  const listed = versions.filter((version) => version !== null).join(', ');
  if (model.version !== undefined) {
    const wanted = String(model.version);
    const node = nodes.find((_, index) => versions[index] === wanted);
    return node ?? fail(`dbt model "${model.dbt}" has no version ${wanted}${listed ? ` (its versions: ${listed})` : ' (it is not versioned)'}`);
  }
  if (nodes.length === 1) return nodes[0] as ManifestNode;
  const latest = nodes.find((node, index) => node.latest_version !== null && node.latest_version !== undefined && versions[index] === String(node.latest_version));
  return latest ?? fail(`dbt model "${model.dbt}" has several versions (${listed}) and the manifest names none latest; set \`version:\``);
}

/** The SQL of a resolved spec (every run stores its spec with the model resolved). */
export function sqlOf(model: ModelRef): string {
  if (typeof model !== 'string') throw new Error(`model ${model.dbt} was not resolved to SQL before the run`);
  return model;
}
