/**
 * Bad input, each through the CLI as a user meets it: a clear message naming the file, field or
 * record, exit code 1 (or 2 for rejected records), and nothing lost — the snapshot is untouched.
 * Each case here is a row of the README's "Troubleshooting" table.
 */
import { execFile } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { backflow, expectSucceeded, type CliResult } from '../support/cli';
import { runOnTestWorker, useSyncFixture } from '../support/fixture';
import { startSilentServer } from '../support/silentServer';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'backflow.js');
const SYNC = 'accounts_to_salesforce';
const SYNC_FILE = 'syncs/accounts_to_salesforce.yaml';
const fx = useSyncFixture();

/** The demo project with its Salesforce sync alone (its other syncs need other sandboxes). */
const CONNECTIONS = `version: 1
connections:
  warehouse:
    type: duckdb
    path: warehouse.duckdb
  salesforce:
    type: salesforce
    instanceUrl: \${env:SALESFORCE_INSTANCE_URL}
    accessToken: \${env:SALESFORCE_ACCESS_TOKEN}
    apiVersion: "62.0"
`;
beforeEach(() => {
  for (const file of readdirSync(path.join(fx.project.dir, 'syncs'))) {
    if (file !== 'accounts_to_salesforce.yaml') rmSync(path.join(fx.project.dir, 'syncs', file));
  }
  fx.project.write('backflow.yaml', CONNECTIONS);
});

const run = (...extra: string[]): Promise<CliResult> => backflow(['run', SYNC, '--project', fx.project.dir, ...extra], fx.project.env);
const output = (r: CliResult) => `${r.stdout}\n${r.stderr}`;

async function snapshotCount(): Promise<number> {
  const rows = await fx.project.deps.state.selectFrom('snapshots').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  return Number(rows?.n ?? 0);
}

const edit = (file: string, from: string, to: string) => {
  const text = fx.project.read(file);
  if (!text.includes(from)) throw new Error(`${file} has no "${from}"`);
  fx.project.write(file, text.replace(from, to));
};

/** Config errors: the run never starts — exit 1, the message names file and path, nothing is sent or committed. */
describe('bad configuration is refused before any run', () => {
  it.each([
    ['malformed YAML', () => fx.project.write(SYNC_FILE, 'source: warehouse\nmodel: [unclosed\n'),
      'syncs/accounts_to_salesforce.yaml: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 3, column 1'],
    ['backflow.yaml: wrong version', () => edit('backflow.yaml', 'version: 1', 'version: 7'), 'backflow.yaml: version: Invalid input: expected 1'],
    ['backflow.yaml: a connection field of the wrong type', () => edit('backflow.yaml', 'apiVersion: "62.0"', 'apiVersion: 62'),
      'backflow.yaml: connections.salesforce.apiVersion: expected string, found number'],
    ['an unknown destination type', () => edit('backflow.yaml', 'type: salesforce', 'type: marketo'),
      "backflow.yaml: connections.salesforce.type: Invalid discriminator value. Expected 'duckdb' | 'postgres' | 'bigquery' | 'salesforce'"],
    ['a missing ${env:…} secret', () => edit('backflow.yaml', 'SALESFORCE_ACCESS_TOKEN', 'SF_TOKEN_NOT_SET'),
      'backflow.yaml: connections.salesforce.accessToken: environment variable SF_TOKEN_NOT_SET is not set (referenced as ${env:SF_TOKEN_NOT_SET})'],
    ['sync: a mapping without `to`', () => edit(SYNC_FILE, '- { from: name, to: Name }', '- { from: name }'),
      'syncs/accounts_to_salesforce.yaml: mappings[0].to: missing: this field is required (string)'],
    ['sync: an unknown mode', () => edit(SYNC_FILE, 'mode: upsert', 'mode: sideways'),
      'syncs/accounts_to_salesforce.yaml: mode: Invalid option: expected one of "upsert"|"update"|"insert"|"mirror"'],
    ['sync: a negative batch size', () => fx.project.write(SYNC_FILE, `${fx.project.read(SYNC_FILE)}batchSize: -3\n`),
      'syncs/accounts_to_salesforce.yaml: batchSize: Too small: expected number to be >0'],
    ['sync: a source that is not a connection', () => edit(SYNC_FILE, 'source: warehouse', 'source: lake'),
      'syncs/accounts_to_salesforce.yaml: source: unknown connection "lake"'],
    ['a SQL syntax error', () => edit(SYNC_FILE, 'FROM accounts', 'FROM accounts WHERE'),
      'SOURCE_QUERY_FAILED: syncs/accounts_to_salesforce.yaml: model: DuckDB: Parser Error: syntax error at end of input'],
    ['a model without its primary key column', () => edit(SYNC_FILE, 'SELECT id, name', 'SELECT name'),
      'syncs/accounts_to_salesforce.yaml: primaryKey: column "id" is not returned by the model (it returns: name, health, segment, mrr)'],
    // "Société Générale" saved as Latin-1 on line 2: 0xe9 is not UTF-8.
    ['a sync file that is not UTF-8', () => writeFileSync(
      path.join(fx.project.dir, SYNC_FILE),
      Buffer.concat([Buffer.from('# owner: data team\n# Soci'), Buffer.from([0xe9]), Buffer.from('t\xe9 G\xe9n\xe9rale\n', 'latin1'), Buffer.from(fx.project.read(SYNC_FILE))]),
    ), 'syncs/accounts_to_salesforce.yaml: invalid UTF-8: byte 0xe9 at offset 25 (line 2, column 7); save the file as UTF-8'],
  ] as Array<[string, () => void, string]>)('%s', async (_name, mutate, message) => {
    mutate();
    const result = await run('--json');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    // `--json` callers get the same failure on stdout, with its code.
    const { error } = JSON.parse(result.stdout) as { error: { code: string; message: string } };
    expect(`${error.code}: ${error.message}`).toContain(message);
    expect(fx.sandbox.requests().filter((r) => r.method !== 'GET')).toHaveLength(0);
    expect(await snapshotCount()).toBe(0);
  });
});

describe('a DuckDB path in backflow.yaml that names no file (a typo)', () => {
  it('validate, run and --dry-run name backflow.yaml and the connection’s path, not the sync’s model; nothing is sent', async () => {
    edit('backflow.yaml', 'path: warehouse.duckdb', 'path: warehous.duckdb');
    const message = `backflow.yaml: connections.warehouse.path: no DuckDB database file at ${path.join(fx.project.dir, 'warehous.duckdb')} (the path is relative to the project directory)`;
    const validated = await backflow(['validate', '--offline', '--project', fx.project.dir], fx.project.env);
    expect([validated.code, validated.stderr]).toEqual([1, `  ${message}\n`]);
    for (const extra of [[], ['--dry-run']]) {
      const result = await run('--json', ...extra);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`error: invalid configuration\n  ${message}\n`);
      expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'CONFIG_INVALID', issues: [{ file: 'backflow.yaml', path: 'connections.warehouse.path' }] } });
    }
    expect(fx.sandbox.requests().filter((r) => r.method !== 'GET')).toHaveLength(0);
    expect(await snapshotCount()).toBe(0);
  });
});

describe('a PostgreSQL state store that never answers', () => {
  it('fails the command after the connect timeout (connect_timeout in the URL), naming the store with its password masked', async () => {
    const silent = await startSilentServer();
    const { port } = silent;
    try {
      // libpq's connect_timeout, in seconds, shortens the 10 s default.
      const url = `postgres://backflow:hunter2@127.0.0.1:${port}/state?connect_timeout=2`;
      const started = Date.now();
      const result = await backflow(['runs', SYNC, '--project', fx.project.dir], { ...fx.project.env, BACKFLOW_STATE_URL: url });
      expect(result.code).toBe(1);
      expect(output(result)).toContain(
        `cannot reach the PostgreSQL state store postgres://backflow:***@127.0.0.1:${port}/state?connect_timeout=2: Connection terminated due to connection timeout`,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
      expect(output(result)).not.toContain('hunter2');
    } finally {
      await silent.close();
    }
  });
});

/** The run's invalid rows as the store recorded them. */
async function invalidResults() {
  return fx.project.deps.state.selectFrom('record_results').select(['key', 'status', 'error_code', 'error_message']).where('status', '=', 'invalid').execute();
}

describe('a value the warehouse holds but no destination can take (an infinite date)', () => {
  it('makes that row invalid, naming row, column and value; the other rows sync and the run is partial', async () => {
    edit(SYNC_FILE, 'SELECT id, name, health', "SELECT id, CASE WHEN id = 2 THEN DATE 'infinity' ELSE DATE '2026-11-01' END AS name, health");
    const result = await run('--json');
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'partial', counts: { extracted: 4, invalid: 1, synced: 3 } });
    const failed = await invalidResults();
    expect(failed).toEqual([{ key: '2', status: 'invalid', error_code: 'UNREADABLE_VALUE', error_message: 'row 2: column name: cannot read "5881580-07-11" as date' }]); // DuckDB's node API renders DATE 'infinity' so
  });

  it('a JSON value naming a key twice with different values: the message says so, naming the column and the key', async () => {
    // A json column (not jsonb) keeps its text as written; which of the two values is meant is unknown.
    edit(SYNC_FILE, 'SELECT id, name, health', `SELECT id, CASE WHEN id = 2 THEN '{"tier": "gold", "tier": "silver"}'::JSON ELSE to_json(name) END AS name, health`);
    const result = await run('--json');
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'partial', counts: { extracted: 4, invalid: 1, synced: 3 } });
    const failed = await invalidResults();
    expect(failed).toEqual([
      {
        key: '2',
        status: 'invalid',
        error_code: 'UNREADABLE_VALUE',
        error_message: 'row 2: column name: cannot read "{\\"tier\\": \\"gold\\", \\"tier\\": \\"silver\\"}" as json: key "tier" appears twice with different values',
      },
    ]);
  });

  it('in mirror mode, keeps the record of that row: its key is still in the model', async () => {
    edit(SYNC_FILE, 'mode: upsert', 'mode: mirror');
    await runOnTestWorker(fx, SYNC, 'mirror-first-run');
    expect(fx.sandbox.records('Account')).toHaveLength(4);
    edit(SYNC_FILE, 'SELECT id, name, health', "SELECT id, CASE WHEN id = 2 THEN DATE 'infinity' ELSE DATE '2026-11-01' END AS name, health");
    const result = await run('--json');
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'partial', counts: { extracted: 4, invalid: 1, removed: 0, synced: 3, deleted: 0 } });
    expect(fx.sandbox.records('Account').map((account) => account['External_Id__c']).sort()).toEqual(['1', '2', '3', '4']);
  });
});

describe('a model that decodes invalid UTF-8 bytes', () => {
  // DuckDB strings are always UTF-8: invalid bytes can only come from a BLOB, and decoding one is refused.
  it('fails the run at extraction with DuckDB’s message; nothing is sent or committed', async () => {
    edit(SYNC_FILE, 'SELECT id, name', "SELECT id, decode('\\xFF'::BLOB) AS name");
    const result = await run('--json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      status: 'failed',
      counts: { extracted: 0, synced: 0 },
      error: { code: 'SOURCE_QUERY_FAILED', message: expect.stringContaining('Failure in decode: could not convert blob to UTF8 string') as unknown },
    });
    // Failing while it streams, the model is named as one failing before it starts is, and how far it got.
    expect((JSON.parse(result.stdout) as { error: { message: string } }).error.message).toMatch(/^syncs\/accounts_to_salesforce\.yaml: model: DuckDB: .* \(after 0 rows\)$/s);
    expect(fx.sandbox.requests().filter((r) => r.method !== 'GET')).toHaveLength(0);
    expect(await snapshotCount()).toBe(0);
  });
});

describe('a destination object that does not exist', () => {
  it('a run fails with the destination’s answer and commits nothing', async () => {
    edit(SYNC_FILE, 'object: Account', 'object: Acount');
    const result = await run('--json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      status: 'failed',
      error: { code: 'DESTINATION_REQUEST_INVALID', message: 'Salesforce describe Acount failed: NOT_FOUND: The requested resource does not exist' },
    });
    expect(await snapshotCount()).toBe(0);
  });
});

describe('an apiVersion the Salesforce org does not serve', () => {
  it('validate and run name backflow.yaml connections.salesforce.apiVersion, not a missing object; nothing is sent or committed', async () => {
    edit('backflow.yaml', 'apiVersion: "62.0"', 'apiVersion: "65.0"');
    const named = `backflow.yaml: connections.salesforce.apiVersion: ${fx.sandbox.instanceUrl} does not serve Salesforce API version 65.0: it serves 31.0 to 64.0 (GET /services/data); set apiVersion to one of them`;
    const validated = await backflow(['validate', '--project', fx.project.dir], fx.project.env);
    expect(validated.code).toBe(1);
    expect(validated.stderr).toContain(named);
    expect(validated.stderr).not.toContain('has no object');
    const result = await run('--json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'failed', error: { code: 'CONFIG_INVALID', message: named } });
    expect(fx.sandbox.requests().filter((r) => r.method !== 'GET')).toHaveLength(0);
    expect(await snapshotCount()).toBe(0);
  });
});

describe('a mapped field the destination lacks', () => {
  it('validate names it by file and path; run does not ask first: each record is rejected with the destination’s error, nothing committed', async () => {
    edit(SYNC_FILE, 'to: Segment__c', 'to: Segmint__c');
    const validated = await backflow(['validate', '--project', fx.project.dir], fx.project.env);
    expect(validated.code).toBe(1);
    expect(validated.stderr).toContain(`${SYNC_FILE}: mappings[2].to: Account has no field Segmint__c`);
    const result = await run('--json');
    expect(result.code).toBe(2);
    const summary = JSON.parse(result.stdout) as { runId: string };
    expect(summary).toMatchObject({ status: 'partial', counts: { extracted: 4, synced: 0, rejected: 4 } });
    const rejected = await fx.project.deps.state.selectFrom('record_results').select(['error_code', 'error_message']).where('run_id', '=', summary.runId).execute();
    expect(rejected).toEqual(Array.from({ length: 4 }, () => ({ error_code: 'INVALID_FIELD', error_message: "No such column 'Segmint__c' on sobject of type Account" })));
    expect(await snapshotCount()).toBe(0);
  });
});

/** Bad values: the destination rejects the record, which is reported with its field and retried next run; the rest land. */
describe('bad values are rejected per record, the rest of the batch lands', () => {
  it.each([
    ['a value of the wrong type for the field', "SELECT id, name, CASE WHEN id = 2 THEN 'high' ELSE health::VARCHAR END AS health, segment, mrr FROM accounts",
      '2', "INVALID_FIELD_VALUE: Health_Score__c: 'high' is not a number", "INVALID_FIELD_VALUE [Health_Score__c]: Health_Score__c: 'high' is not"],
    ['a string over the field length', "SELECT id, CASE WHEN id = 2 THEN repeat('n', 300) ELSE name END AS name, health, segment, mrr FROM accounts",
      '2', 'STRING_TOO_LONG: Account Name: data value too large', 'STRING_TOO_LONG [Name]: Account Name: data value too large'],
    ['a 10 MB value', "SELECT id, CASE WHEN id = 2 THEN repeat('n', 10485760) ELSE name END AS name, health, segment, mrr FROM accounts",
      '2', 'STRING_TOO_LONG: Account Name: data value too large', 'STRING_TOO_LONG [Name]: Account Name: data value too large'],
  ])('%s', async (_name, model, key, message, displayed) => {
    edit(SYNC_FILE, 'SELECT id, name, health, segment, mrr\n  FROM accounts', model);
    const result = await run('--json');
    expect(result.code).toBe(2);
    const summary = JSON.parse(result.stdout) as { runId: string };
    expect(summary).toMatchObject({ status: 'partial', counts: { extracted: 4, synced: 3, rejected: 1 } });
    const [rejected] = await fx.project.deps.state
      .selectFrom('record_results')
      .select(['key', 'error_code', 'error_message', 'error_fields'])
      .where('run_id', '=', summary.runId)
      .where('status', '=', 'rejected')
      .execute();
    expect(rejected?.key).toBe(key);
    expect(`${rejected?.error_code ?? ''}: ${rejected?.error_message ?? ''}`).toContain(message);
    // The rejected record is not in the snapshot: the next run sends it again.
    const committed = await fx.project.deps.state.selectFrom('snapshots').select(['key']).execute();
    expect(committed.map((r) => r.key).sort()).toEqual(['1', '2', '3', '4'].filter((k) => k !== key));
    // `runs show --failed` shows the rejection without flooding the terminal; `--json` keeps the whole stored message.
    const shown = await backflow(['runs', 'show', summary.runId, '--failed', '--project', fx.project.dir], fx.project.env);
    expectSucceeded(shown);
    // Code and fields first, so a cut message keeps them.
    expect(shown.stdout).toContain(displayed);
    expect(shown.stdout.length).toBeLessThan(5_000);
    // Over the CLI helper's 10 MB buffer: read it directly.
    const full = await promisify(execFile)(process.execPath, [BIN, 'runs', 'show', summary.runId, '--failed', '--json', '--project', fx.project.dir], {
      env: { ...process.env, ...fx.project.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    const [fullRecord] = (JSON.parse(full.stdout) as { records: Array<{ error: { message: string } }> }).records;
    expect(fullRecord?.error.message).toBe(rejected?.error_message);
  });
});
