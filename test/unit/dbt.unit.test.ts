import { mkdtempSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { resolveModelSql } from '../../src/sources/dbt';
import { DuckdbSource } from '../../src/sources/duckdb';
import { runSpecOf } from '../../src/engine/check';
import type { EngineDeps } from '../../src/engine/context';
import { readAllRows } from '../support/sourceRows';
import { ConfigError } from '../../src/errors';
import { SourceUnavailable } from '../../src/sources/sourceErrors';

function projectWithManifest(nodes: Record<string, unknown>, disabled: Record<string, unknown[]> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'backflow-dbt-'));
  mkdirSync(path.join(dir, 'target'));
  writeFileSync(path.join(dir, 'target', 'manifest.json'), JSON.stringify({ metadata: {}, nodes, disabled }));
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

  it('falls back to database.schema.alias when dbt wrote no relation_name, quoted as dbt quotes it', () => {
    const dir = projectWithManifest({ 'model.shop.accounts': model('accounts', { relation_name: null, alias: 'dim_accounts' }) });
    expect(resolveModelSql({ dbt: 'accounts', manifest: 'target/manifest.json' }, dir, 'syncs/a.yaml')).toBe(
      'SELECT * FROM "warehouse"."marts"."dim_accounts"',
    );
    expect(resolveModelSql({ dbt: 'accounts', manifest: 'target/manifest.json' }, dir, 'syncs/a.yaml', 'backtick')).toBe(
      'SELECT * FROM `warehouse`.`marts`.`dim_accounts`',
    );
  });

  it('reads a model of a manifest without relation_name (dbt < 1.5 after `dbt parse`) from a DuckDB file whose name is no bare identifier', async () => {
    // dbt-duckdb names the database after the file: `jaffle-shop`, which unquoted is `jaffle - shop`.
    const dir = projectWithManifest({ 'model.jaffle.customers': model('customers', { database: 'jaffle-shop', schema: 'main', alias: 'Customers', relation_name: null }) });
    const instance = await DuckDBInstance.create(path.join(dir, 'jaffle-shop.duckdb'));
    const connection = await instance.connect();
    await connection.run('CREATE TABLE main."Customers" AS SELECT 1 AS id');
    connection.closeSync();
    instance.closeSync();
    writeFileSync(path.join(dir, 'backflow.yaml'), `version: 1\nconnections:\n  warehouse: { type: duckdb, path: jaffle-shop.duckdb }\n  salesforce: { type: salesforce, instanceUrl: 'https://example.my.salesforce.com', accessToken: '\${env:SF_TOKEN}' }\n`);
    mkdirSync(path.join(dir, 'syncs'));
    writeFileSync(
      path.join(dir, 'syncs', 'customers.yaml'),
      'source: warehouse\nmodel: { dbt: customers }\nprimaryKey: id\ndestination: { connection: salesforce, object: Account, externalIdField: External_Id__c }\nmappings:\n  - { from: id, to: Name }\n',
    );
    const { spec } = runSpecOf({ projectDir: dir } as EngineDeps, 'customers');
    expect(spec.model).toBe('SELECT * FROM "jaffle-shop"."main"."Customers"');
    const source = new DuckdbSource(path.join(dir, 'jaffle-shop.duckdb'));
    expect(await readAllRows(source, spec.model as string)).toEqual([{ id: 1 }]);
  });

  it('quotes with backticks for a BigQuery warehouse, as dbt-bigquery writes relation_name', () => {
    const dir = projectWithManifest({ 'model.shop.accounts': model('accounts', { database: 'acme-prod', schema: 'marts', relation_name: null }) });
    writeFileSync(path.join(dir, 'backflow.yaml'), `version: 1\nconnections:\n  warehouse: { type: bigquery, projectId: acme-prod }\n  salesforce: { type: salesforce, instanceUrl: 'https://example.my.salesforce.com', accessToken: '\${env:SF_TOKEN}' }\n`);
    mkdirSync(path.join(dir, 'syncs'));
    writeFileSync(
      path.join(dir, 'syncs', 'accounts.yaml'),
      'source: warehouse\nmodel: { dbt: accounts }\nprimaryKey: id\ndestination: { connection: salesforce, object: Account, externalIdField: External_Id__c }\nmappings:\n  - { from: id, to: Name }\n',
    );
    expect(runSpecOf({ projectDir: dir } as EngineDeps, 'accounts').spec.model).toBe('SELECT * FROM `acme-prod`.`marts`.`accounts`');
  });

  it('names the file and the field to change when the model is missing, ephemeral, or the manifest is absent or not one', () => {
    const dir = projectWithManifest({ 'model.shop.tmp': model('tmp', { config: { materialized: 'ephemeral' } }) });
    expect(() => resolveModelSql({ dbt: 'accounts', manifest: 'target/manifest.json' }, dir, 'syncs/a.yaml')).toThrow(
      'syncs/a.yaml: model.dbt: no dbt model, seed or snapshot named "accounts" in target/manifest.json',
    );
    expect(() => resolveModelSql({ dbt: 'tmp', manifest: 'target/manifest.json' }, dir, 'syncs/a.yaml')).toThrow('is ephemeral');
    expect(() => resolveModelSql({ dbt: 'accounts', manifest: 'missing.json' }, dir, 'syncs/a.yaml')).toThrow(
      /syncs\/a\.yaml: model\.manifest: cannot read dbt manifest missing\.json/,
    );
    writeFileSync(path.join(dir, 'target', 'other.json'), JSON.stringify({ metadata: {} }));
    expect(() => resolveModelSql({ dbt: 'accounts', manifest: 'target/other.json' }, dir, 'syncs/a.yaml')).toThrow(
      /^syncs\/a\.yaml: model\.manifest: target\/other\.json is not a dbt manifest/,
    );
  });

  it('waits out a manifest dbt is writing (cut short, written just now), and refuses one left cut short', () => {
    const dir = projectWithManifest({ 'model.shop.accounts': model('accounts') });
    const manifest = path.join(dir, 'target', 'manifest.json');
    const whole = JSON.stringify({ metadata: {}, nodes: { 'model.shop.accounts': model('accounts') } });
    // dbt truncates the file, then writes it: a read in between sees the first part of it.
    writeFileSync(manifest, whole.slice(0, 40));
    const ref = () => resolveModelSql({ dbt: 'accounts', manifest: 'target/manifest.json' }, dir, 'syncs/a.yaml');
    expect(ref).toThrow(SourceUnavailable);
    expect(ref).toThrow(/^syncs\/a\.yaml: model\.manifest: dbt manifest target\/manifest\.json is incomplete and was written in the last minute/);
    // Left so for minutes: broken, not being written.
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    utimesSync(manifest, tenMinutesAgo, tenMinutesAgo);
    expect(ref).toThrow(ConfigError);
    expect(ref).toThrow(/^syncs\/a\.yaml: model\.manifest: cannot read dbt manifest target\/manifest\.json/);
    writeFileSync(manifest, whole);
    expect(ref()).toBe('SELECT * FROM "warehouse"."marts"."accounts"');
  });

  it('reads a seed or a snapshot as ref() does, and says a disabled model is disabled', () => {
    const dir = projectWithManifest(
      {
        'seed.shop.countries': model('countries', { resource_type: 'seed', relation_name: '"warehouse"."seeds"."countries"' }),
        'snapshot.shop.accounts_snap': model('accounts_snap', { resource_type: 'snapshot', relation_name: '"warehouse"."snapshots"."accounts_snap"' }),
      },
      { 'model.shop.old_scores': [model('old_scores', { config: { enabled: false } })] },
    );
    const ref = (name: string) => resolveModelSql({ dbt: name, manifest: 'target/manifest.json' }, dir, 'syncs/a.yaml');
    expect(ref('countries')).toBe('SELECT * FROM "warehouse"."seeds"."countries"');
    expect(ref('accounts_snap')).toBe('SELECT * FROM "warehouse"."snapshots"."accounts_snap"');
    expect(() => ref('old_scores')).toThrow(
      'syncs/a.yaml: model.dbt: dbt model "old_scores" is disabled in target/manifest.json (enabled: false): it builds no relation to read',
    );
  });

  describe('versioned models (dbt 1.5+: one node per version, all with the model name)', () => {
    // As dbt writes them: each version its own relation, latest_version on every node (here not the highest).
    const versioned = (version: number | string) =>
      model('dim_customers', {
        package_name: 'shop',
        version,
        latest_version: 2,
        alias: `dim_customers_v${version}`,
        relation_name: `"warehouse"."marts"."dim_customers_v${version}"`,
      });
    const dir = () =>
      projectWithManifest({
        'model.shop.dim_customers.v1': versioned(1),
        'model.shop.dim_customers.v2': versioned(2),
        'model.shop.dim_customers.v3': versioned(3),
      });
    const ref = (extra: { version?: number | string } = {}) => ({ dbt: 'dim_customers', manifest: 'target/manifest.json', ...extra });

    it('reads the latest version when none is named, as an unpinned ref does', () => {
      expect(resolveModelSql(ref(), dir(), 'syncs/a.yaml')).toBe('SELECT * FROM "warehouse"."marts"."dim_customers_v2"');
    });

    it('reads the version named, given as a number or a string', () => {
      expect(resolveModelSql(ref({ version: 3 }), dir(), 'syncs/a.yaml')).toBe('SELECT * FROM "warehouse"."marts"."dim_customers_v3"');
      expect(resolveModelSql(ref({ version: '1' }), dir(), 'syncs/a.yaml')).toBe('SELECT * FROM "warehouse"."marts"."dim_customers_v1"');
    });

    it('names the versions there are when the one asked for is not', () => {
      expect(() => resolveModelSql(ref({ version: 4 }), dir(), 'syncs/a.yaml')).toThrow(
        'syncs/a.yaml: model.version: dbt model "dim_customers" has no version 4 (its versions: 1, 2, 3)',
      );
    });
  });

  it('tells models of the same name in two packages apart by `package`, and names the packages otherwise', () => {
    const dir = projectWithManifest({
      'model.shop.accounts': model('accounts', { package_name: 'shop' }),
      'model.crm.accounts': model('accounts', { package_name: 'crm', relation_name: '"warehouse"."crm"."accounts"' }),
    });
    expect(() => resolveModelSql({ dbt: 'accounts', manifest: 'target/manifest.json' }, dir, 'syncs/a.yaml')).toThrow(
      'syncs/a.yaml: model.package: several dbt packages define a model named "accounts" (shop, crm); name one with `package:`',
    );
    expect(resolveModelSql({ dbt: 'accounts', manifest: 'target/manifest.json', package: 'crm' }, dir, 'syncs/a.yaml')).toBe(
      'SELECT * FROM "warehouse"."crm"."accounts"',
    );
  });
});
