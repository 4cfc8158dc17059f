import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveModelSql } from '../../src/sources/dbt';

function projectWithManifest(nodes: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'backflow-dbt-'));
  mkdirSync(path.join(dir, 'target'));
  writeFileSync(path.join(dir, 'target', 'manifest.json'), JSON.stringify({ metadata: {}, nodes }));
  return dir;
}

const model = (name: string, extra: Record<string, unknown> = {}) => ({
  resource_type: 'model',
  name,
  database: 'warehouse',
  schema: 'marts',
  alias: name,
  relation_name: `"warehouse"."marts"."${name}"`,
  config: { materialized: 'table' },
  ...extra,
});

describe('dbt model references', () => {
  it('passes SQL through untouched', () => {
    expect(resolveModelSql('SELECT 1', '/nowhere', 'syncs/a.yaml')).toBe('SELECT 1');
  });

  it('reads the relation a dbt model materialised into from manifest.json', () => {
    const dir = projectWithManifest({ 'model.shop.accounts': model('accounts'), 'seed.shop.raw': { resource_type: 'seed', name: 'accounts' } });
    expect(resolveModelSql({ dbt: 'accounts', manifest: 'target/manifest.json' }, dir, 'syncs/a.yaml')).toBe(
      'SELECT * FROM "warehouse"."marts"."accounts"',
    );
  });

  it('falls back to database.schema.alias when dbt wrote no relation_name', () => {
    const dir = projectWithManifest({ 'model.shop.accounts': model('accounts', { relation_name: null, alias: 'dim_accounts' }) });
    expect(resolveModelSql({ dbt: 'accounts', manifest: 'target/manifest.json' }, dir, 'syncs/a.yaml')).toBe(
      'SELECT * FROM warehouse.marts.dim_accounts',
    );
  });

  it('names the file and path when the model is missing, ephemeral, or the manifest is absent', () => {
    const dir = projectWithManifest({ 'model.shop.tmp': model('tmp', { config: { materialized: 'ephemeral' } }) });
    expect(() => resolveModelSql({ dbt: 'accounts', manifest: 'target/manifest.json' }, dir, 'syncs/a.yaml')).toThrow(
      'syncs/a.yaml: model.dbt: no dbt model named "accounts" in target/manifest.json',
    );
    expect(() => resolveModelSql({ dbt: 'tmp', manifest: 'target/manifest.json' }, dir, 'syncs/a.yaml')).toThrow('is ephemeral');
    expect(() => resolveModelSql({ dbt: 'accounts', manifest: 'missing.json' }, dir, 'syncs/a.yaml')).toThrow(
      /syncs\/a\.yaml: model\.dbt: cannot read dbt manifest missing\.json/,
    );
  });
});
