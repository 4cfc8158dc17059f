import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getSync, loadProject } from '../../src/config/load';
import { resolveSecrets } from '../../src/config/secrets';
import { PROJECT, SYNC, loadIssuesOf, writeProject } from '../support/configProject';

const project = writeProject;

const issuesOf = loadIssuesOf;

describe('loadProject', () => {
  it('loads a valid project with the sync named after its file and upsert as the default mode', () => {
    const loaded = loadProject(project({ 'backflow.yaml': PROJECT, 'syncs/accounts.yaml': SYNC }));
    const sync = loaded.syncs.get('accounts');
    expect(sync).toMatchObject({ name: 'accounts', mode: 'upsert', primaryKey: 'id', destination: { object: 'Account' } });
    expect(loaded.syncFiles.get('accounts')).toBe('syncs/accounts.yaml');
  });

  it('reads sync files whatever the letter case of their extension (`.YAML` was skipped without a word)', () => {
    const loaded = loadProject(project({ 'backflow.yaml': PROJECT, 'syncs/accounts.YAML': SYNC, 'syncs/contacts.Yml': SYNC, 'syncs/notes.txt': 'not a sync' }));
    expect([...loaded.syncs.keys()].sort()).toEqual(['accounts', 'contacts']);
    expect(loaded.syncFiles.get('accounts')).toBe('syncs/accounts.YAML');
  });

  it('reads the syncs of subfolders of syncs/, each named after its file, and no hidden file', () => {
    const loaded = loadProject(
      project({
        'backflow.yaml': PROJECT,
        'syncs/accounts.yaml': SYNC,
        'syncs/sales/contacts.yaml': SYNC,
        'syncs/sales/emea/leads.yml': SYNC,
        'syncs/.git/stale.yaml': 'not: [a sync',
        'syncs/sales/.contacts.yaml.swp': 'not: [a sync',
      }),
    );
    expect([...loaded.syncs.keys()].sort()).toEqual(['accounts', 'contacts', 'leads']);
    expect(loaded.syncFiles.get('leads')).toBe('syncs/sales/emea/leads.yml');
  });

  it('follows symbolic links to folders and files of syncs, each folder once (a linked folder was skipped without a word)', () => {
    const shared = project({ 'syncs/leads.yaml': SYNC, 'syncs/notes/contacts.yaml': SYNC });
    const dir = project({ 'backflow.yaml': PROJECT, 'syncs/accounts.yaml': SYNC });
    symlinkSync(path.join(shared, 'syncs'), path.join(dir, 'syncs', 'shared'));
    symlinkSync(path.join(shared, 'syncs', 'leads.yaml'), path.join(dir, 'syncs', 'linked_leads.yaml'));
    // A link back up the tree: walked once, not forever.
    symlinkSync('..', path.join(shared, 'syncs', 'notes', 'up'));
    const loaded = loadProject(dir);
    expect([...loaded.syncs.keys()].sort()).toEqual(['accounts', 'contacts', 'leads', 'linked_leads']);
    expect(loaded.syncFiles.get('contacts')).toBe('syncs/shared/notes/contacts.yaml');
  });

  it('reports a syncs/ it cannot read as a folder, rather than loading no syncs', () => {
    const dir = project({ 'backflow.yaml': PROJECT });
    rmSync(path.join(dir, 'syncs'), { recursive: true });
    // No syncs/ folder at all is a project without syncs (validate and schedules apply say so).
    expect(loadProject(dir).syncs.size).toBe(0);
    writeFileSync(path.join(dir, 'syncs'), 'not a folder');
    expect(issuesOf(dir)).toEqual(['syncs/: : cannot read this folder of sync files (ENOTDIR); none of its syncs is loaded']);
  });

  it('refuses a duration over 100 years (a retention whose cutoff is no date, an interval Temporal clamps so it never fires)', () => {
    const dir = project({
      'backflow.yaml': `${PROJECT}retention: { records: 999999999d }\n`,
      'syncs/accounts.yaml': `${SYNC}schedule: { every: 99999999999d }\n`,
    });
    expect(issuesOf(dir)).toEqual([
      'backflow.yaml: retention.records: must be at most 36500d (100 years)',
      'syncs/accounts.yaml: schedule.every: must be at most 36500d (100 years)',
    ]);
  });

  it('reads renamedFrom, and refuses one naming the sync itself, a sync still defined, or a name another file took over', () => {
    const renamed = loadProject(project({ 'backflow.yaml': PROJECT, 'syncs/accounts_crm.yaml': `renamedFrom: accounts\n${SYNC}` }));
    expect(renamed.syncs.get('accounts_crm')).toMatchObject({ name: 'accounts_crm', renamedFrom: 'accounts' });

    const dir = project({
      'backflow.yaml': PROJECT,
      'syncs/accounts.yaml': SYNC,
      'syncs/accounts_v2.yaml': `renamedFrom: accounts\n${SYNC}`,
      'syncs/contacts.yaml': `renamedFrom: contacts\n${SYNC}`,
      'syncs/leads_a.yaml': `renamedFrom: leads\n${SYNC}`,
      'syncs/leads_b.yaml': `renamedFrom: leads\n${SYNC}`,
    });
    expect(issuesOf(dir)).toEqual([
      'syncs/accounts_v2.yaml: renamedFrom: sync "accounts" is still defined in syncs/accounts.yaml: remove that file when renaming it (two syncs cannot take over one\'s records)',
      'syncs/contacts.yaml: renamedFrom: names this sync itself (renamedFrom is the name the sync had before)',
      'syncs/leads_b.yaml: renamedFrom: "leads" is taken over by syncs/leads_a.yaml already',
    ]);
    // A lenient load (what `run` does) runs the others; each refused one says why.
    const lenient = loadProject(dir, { strict: false });
    expect([...lenient.syncs.keys()].sort()).toEqual(['accounts', 'leads_a']);
    expect(() => getSync(lenient, 'leads_b')).toThrow('"leads" is taken over by syncs/leads_a.yaml already');
  });

  it('refuses one sync name in two folders, naming both files', () => {
    const dir = project({ 'backflow.yaml': PROJECT, 'syncs/a/accounts.yaml': SYNC, 'syncs/b/accounts.yaml': SYNC, 'syncs/contacts.yaml': SYNC });
    const issues = issuesOf(dir);
    expect(issues).toEqual(['syncs/b/accounts.yaml: name: sync "accounts" is already defined in syncs/a/accounts.yaml']);
    // A lenient load (what `run` does) runs neither: it ran the first file's without a word.
    const lenient = loadProject(dir, { strict: false });
    expect([...lenient.syncs.keys()]).toEqual(['contacts']);
    expect(() => getSync(lenient, 'accounts')).toThrow('sync "accounts" is already defined in syncs/a/accounts.yaml');
  });

  it('reports every problem of every file at once, each with file and path', () => {
    const badSync = SYNC.replace('primaryKey: id\n', '').replace('connection: salesforce', 'connection: nowhere').replace('to: Name', 'to: 7');
    const issues = issuesOf(
      project({
        'backflow.yaml': PROJECT.replace('accessToken: ${env:SF_TOKEN}', 'accessToken: hunter2'),
        'syncs/a.yaml': badSync,
        'syncs/b.yaml': 'source: [unclosed',
      }),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^backflow\.yaml: connections\.salesforce\.accessToken: must be a secret reference/),
        expect.stringMatching(/^syncs\/a\.yaml: primaryKey: /),
        expect.stringMatching(/^syncs\/a\.yaml: mappings\[0\]\.to: /),
        expect.stringMatching(/^syncs\/b\.yaml: : invalid YAML/),
      ]),
    );
  });

  it("reports a file's references and destination block in the same round as its schema problems", () => {
    const sync = SYNC.replace('source: warehouse', 'source: warehous')
      .replace('object: Account', 'objct: Account')
      .concat('mode: upsrt\n', 'writeBack: { connection: warehose, tabel: x }\n');
    const issues = issuesOf(project({ 'backflow.yaml': PROJECT, 'syncs/a.yaml': sync }));
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^syncs\/a\.yaml: mode: /),
        'syncs/a.yaml: source: unknown connection "warehous" (backflow.yaml defines: warehouse, salesforce)',
        expect.stringMatching(/^syncs\/a\.yaml: destination\.object: /),
        expect.stringMatching(/^syncs\/a\.yaml: destination: .*objct/),
        expect.stringMatching(/^syncs\/a\.yaml: writeBack: .*tabel/),
        'syncs/a.yaml: writeBack.connection: unknown connection "warehose" (backflow.yaml defines: warehouse, salesforce)',
      ]),
    );
  });

  it("reports a file's cross-field problems (a field mapped twice, a bad cron or time zone) in the same round as a typo elsewhere", () => {
    // zod skips an object's refinements once one of its fields failed: fixing `mode: upsrt` used to reveal the rest.
    const sync = SYNC.concat('  - { from: title, to: Name }\n', 'mode: upsrt\n', 'schedule: { cron: "0 * * *", timezone: Europe/Pari, overlap: skipp }\n');
    expect(issuesOf(project({ 'backflow.yaml': PROJECT, 'syncs/a.yaml': sync }))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^syncs\/a\.yaml: mode: /),
        expect.stringMatching(/^syncs\/a\.yaml: schedule\.overlap: /),
        'syncs/a.yaml: mappings[1].to: field Name is already mapped by mappings[0]',
        'syncs/a.yaml: schedule.cron: invalid cron "0 * * *": must have 5 fields (minute hour day-of-month month day-of-week), got 4',
        'syncs/a.yaml: schedule.timezone: unknown timezone "Europe/Pari" (use an IANA name like Europe/Paris)',
      ]),
    );
  });

  it('reports a Salesforce connection missing its credentials in the same round as a wrong setting of it', () => {
    const issues = issuesOf(project({ 'backflow.yaml': PROJECT.replace('accessToken: ${env:SF_TOKEN}', 'refreshToken: ${env:SF_REFRESH}\n    apiVersion: 62'), 'syncs/a.yaml': SYNC }));
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^backflow\.yaml: connections\.salesforce\.apiVersion: /),
        "backflow.yaml: connections.salesforce.clientId: a refreshToken needs the connected app's clientId (and clientSecret if the app requires it)",
      ]),
    );
  });

  it('refuses a Salesforce API version older than sObject Collections upsert (45.0 failed every batch past 10 records)', () => {
    const withVersion = (version: string) => PROJECT.replace('accessToken: ${env:SF_TOKEN}', `accessToken: \${env:SF_TOKEN}\n    apiVersion: "${version}"`);
    expect(issuesOf(project({ 'backflow.yaml': withVersion('45.0'), 'syncs/a.yaml': SYNC }))).toEqual([
      'backflow.yaml: connections.salesforce.apiVersion: must be 46.0 or later: backflow upserts through sObject Collections, which older versions lack',
    ]);
    expect(loadProject(project({ 'backflow.yaml': withVersion('46.0'), 'syncs/a.yaml': SYNC })).connections['salesforce']).toMatchObject({ apiVersion: '46.0' });
  });

  it('reports a reference to a connection that does not exist or has the wrong role', () => {
    const issues = issuesOf(
      project({
        'backflow.yaml': PROJECT,
        'syncs/a.yaml': SYNC.replace('connection: salesforce', 'connection: nowhere').replace('source: warehouse', 'source: salesforce'),
      }),
    );
    expect(issues).toEqual([
      'syncs/a.yaml: source: connection "salesforce" is a salesforce, not a source',
      'syncs/a.yaml: destination.connection: unknown connection "nowhere" (backflow.yaml defines: warehouse, salesforce)',
    ]);
  });

  it('reports a connection with a wrong setting once: syncs naming it are not told it does not exist', () => {
    const issues = issuesOf(
      project({
        'backflow.yaml': `${PROJECT}    timeoutMs: -5\n`,
        'syncs/a.yaml': SYNC,
        'syncs/b.yaml': SYNC.replace('source: warehouse', 'source: nowhere'),
      }),
    );
    expect(issues).toEqual([
      'backflow.yaml: connections.salesforce.timeoutMs: Too small: expected number to be >0',
      'syncs/b.yaml: source: unknown connection "nowhere" (backflow.yaml defines: warehouse, salesforce)',
    ]);
  });

  it('refuses a webhook header value HTTP cannot carry (fetch refused it on every attempt, retried as a network error)', () => {
    const hook = '  hook:\n    type: webhook\n    url: https://hooks.example.com/in\n    headers:\n      X-Team: "customer\u2014success"\n      X-Ok: "caf\u00e9"\n';
    const issues = issuesOf(project({ 'backflow.yaml': `${PROJECT}${hook}`, 'syncs/a.yaml': SYNC }));
    expect(issues).toEqual(['backflow.yaml: connections.hook.headers.X-Team: must be Latin-1 text without line breaks (a header cannot carry a character such as — or ’)']);
  });

  it('takes maxDeletes as a number of records or a share, and says what it takes otherwise', () => {
    expect(loadProject(project({ 'backflow.yaml': PROJECT, 'syncs/a.yaml': `${SYNC}maxDeletes: "10%"\n` })).syncs.get('a')).toMatchObject({ maxDeletes: '10%' });
    expect(loadProject(project({ 'backflow.yaml': PROJECT, 'syncs/a.yaml': `${SYNC}maxDeletes: 25\n` })).syncs.get('a')).toMatchObject({ maxDeletes: 25 });
    expect(issuesOf(project({ 'backflow.yaml': PROJECT, 'syncs/a.yaml': `${SYNC}maxDeletes: lots\n` })).join('\n')).toContain('syncs/a.yaml: maxDeletes: ');
  });

  it('rejects unknown keys and an unknown destination type', () => {
    const issues = issuesOf(
      project({
        'backflow.yaml': PROJECT.replace('type: salesforce', 'type: marketo'),
        'syncs/a.yaml': `${SYNC}shedule: 15m\n`,
      }),
    );
    expect(issues.some((i) => i.startsWith('backflow.yaml: connections.salesforce.type:'))).toBe(true);
    expect(issues.some((i) => i.startsWith('syncs/a.yaml: : ') && i.includes('shedule'))).toBe(true);
  });

  it("checks the destination block against its destination type's settings", () => {
    const issues = issuesOf(
      project({
        'backflow.yaml': PROJECT,
        'syncs/a.yaml': SYNC.replace('object: Account, externalIdField: External_Id__c', 'objet: Account, externalIdField: 7'),
      }),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^syncs\/a\.yaml: destination\.object: /),
        expect.stringMatching(/^syncs\/a\.yaml: destination\.externalIdField: /),
        expect.stringMatching(/^syncs\/a\.yaml: destination: .*objet/),
      ]),
    );
  });

  it('accepts every sync mode and rejects others', () => {
    for (const mode of ['upsert', 'update', 'insert', 'mirror']) {
      const loaded = loadProject(project({ 'backflow.yaml': PROJECT, 'syncs/a.yaml': `${SYNC}mode: ${mode}\n` }));
      expect(loaded.syncs.get('a')?.mode).toBe(mode);
    }
    expect(issuesOf(project({ 'backflow.yaml': PROJECT, 'syncs/a.yaml': `${SYNC}mode: merge\n` }))[0]).toMatch(/^syncs\/a\.yaml: mode: /);
  });

  it('refuses to map onto the external id field, and mapping one field twice', () => {
    const issues = issuesOf(
      project({
        'backflow.yaml': PROJECT,
        'syncs/a.yaml': `${SYNC}  - { from: name, to: Name }\n  - { from: id, to: External_Id__c }\n`,
      }),
    );
    expect(issues).toEqual([
      'syncs/a.yaml: mappings[1].to: field Name is already mapped by mappings[0]',
      'syncs/a.yaml: mappings[2].to: External_Id__c is the external id field; it is filled from primaryKey (id)',
    ]);
  });
});

describe('resolveSecrets', () => {
  it('resolves ${env:…} references and reports each unset one with its place', () => {
    const connection = { type: 'salesforce', instanceUrl: '${env:SF_URL}', accessToken: '${env:SF_TOKEN}' };
    expect(resolveSecrets(connection, { file: 'backflow.yaml', path: 'connections.sf' }, { SF_URL: 'http://x', SF_TOKEN: 't' })).toEqual({
      type: 'salesforce',
      instanceUrl: 'http://x',
      accessToken: 't',
    });
    expect(() => resolveSecrets(connection, { file: 'backflow.yaml', path: 'connections.sf' }, {})).toThrow(
      'backflow.yaml: connections.sf.instanceUrl: environment variable SF_URL is not set (referenced as ${env:SF_URL})\n' +
        'backflow.yaml: connections.sf.accessToken: environment variable SF_TOKEN is not set (referenced as ${env:SF_TOKEN})',
    );
  });
});
