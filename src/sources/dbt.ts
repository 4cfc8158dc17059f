import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ModelRef } from '../config/schema';
import { ConfigError } from '../errors';

/** The part of dbt's manifest.json backflow reads: each model node and the relation it built. */
const manifestSchema = z.object({
  nodes: z.record(
    z.string(),
    z.object({
      resource_type: z.string(),
      name: z.string(),
      relation_name: z.string().nullable().optional(),
      database: z.string().nullable().optional(),
      schema: z.string().nullable().optional(),
      alias: z.string().nullable().optional(),
      config: z.object({ materialized: z.string().optional() }).passthrough().optional(),
    }).passthrough(),
  ),
});

/**
 * The SQL a sync's model stands for: the SQL itself, or for `{ dbt: <model> }` a SELECT from the
 * relation dbt materialised that model into (read from manifest.json).
 */
export function resolveModelSql(model: ModelRef, projectDir: string, file: string): string {
  if (typeof model === 'string') return model;
  const fail = (message: string): never => {
    throw new ConfigError([{ file, path: 'model.dbt', message }]);
  };
  const manifestPath = path.resolve(projectDir, model.manifest);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (err) {
    return fail(`cannot read dbt manifest ${model.manifest}: ${(err as Error).message} (run \`dbt compile\` or \`dbt run\` first)`);
  }
  const manifest = manifestSchema.safeParse(raw);
  if (!manifest.success) return fail(`${model.manifest} is not a dbt manifest: ${manifest.error.issues[0]?.message ?? ''}`);
  const candidates = Object.values(manifest.data.nodes).filter((node) => node.resource_type === 'model' && node.name === model.dbt);
  if (candidates.length === 0) return fail(`no dbt model named "${model.dbt}" in ${model.manifest}`);
  if (candidates.length > 1) return fail(`several dbt packages define a model named "${model.dbt}"`);
  const node = candidates[0] as (typeof candidates)[number];
  if (node.config?.materialized === 'ephemeral') return fail(`dbt model "${model.dbt}" is ephemeral: it builds no relation to read`);
  const relation = node.relation_name ?? [node.database, node.schema, node.alias ?? node.name].filter(Boolean).join('.');
  return `SELECT * FROM ${relation}`;
}

/** The SQL of a resolved spec (every run stores its spec with the model resolved). */
export function sqlOf(model: ModelRef): string {
  if (typeof model !== 'string') throw new Error(`model ${model.dbt} was not resolved to SQL before the run`);
  return model;
}
