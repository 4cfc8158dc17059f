/**
 * Config input that must fail naming the file and field and lose nothing: secrets at any depth (no
 * literal `${env:…}` sent), alert secrets, and a backflow.yaml that cannot be read (no silent defaults,
 * no false follow-on errors).
 */
import { loadProject } from '../../src/config/load';
import { alertSecretIssues, resolveSecrets } from '../../src/config/secrets';
import { formatConfigIssue } from '../../src/errors';
import { readTemporalConfig } from '../../src/temporal/connection';
import { configIssuesOf, PROJECT, SYNC, writeProject } from '../support/configProject';

const project = writeProject;
const issuesOf = configIssuesOf;

describe('resolveSecrets at any depth', () => {
  const hook = {
    type: 'webhook',
    url: 'https://${env:HOOK_HOST}/in',
    headers: { Authorization: '${env:HOOK_TOKEN}', 'X-Team': 'Bearer ${env:HOOK_TEAM} v1' },
    extra: [{ token: '${env:HOOK_TOKEN}' }],
  };
  const at = { file: 'backflow.yaml', path: 'connections.hook' };

  it('resolves nested objects and arrays, and interpolates references inside longer strings', () => {
    expect(resolveSecrets(hook, at, { HOOK_HOST: 'h.example', HOOK_TOKEN: 'tok', HOOK_TEAM: 'team' })).toEqual({
      type: 'webhook',
      url: 'https://h.example/in',
      headers: { Authorization: 'tok', 'X-Team': 'Bearer team v1' },
      extra: [{ token: 'tok' }],
    });
  });

  it('reports every unset variable with its file and field path', () => {
    expect(issuesOf(() => resolveSecrets(hook, at, { HOOK_HOST: 'h.example' }))).toEqual([
      'backflow.yaml: connections.hook.headers.Authorization: environment variable HOOK_TOKEN is not set (referenced as ${env:HOOK_TOKEN})',
      'backflow.yaml: connections.hook.headers.X-Team: environment variable HOOK_TEAM is not set (referenced as ${env:HOOK_TEAM})',
      'backflow.yaml: connections.hook.extra[0].token: environment variable HOOK_TOKEN is not set (referenced as ${env:HOOK_TOKEN})',
    ]);
    expect(issuesOf(() => resolveSecrets(hook, at, { HOOK_TOKEN: 'tok', HOOK_TEAM: 'team' }))).toEqual([
      'backflow.yaml: connections.hook.url: environment variable HOOK_HOST is not set (referenced as ${env:HOOK_HOST})',
    ]);
  });

  it('refuses a secret with a line break, surrounding space or a character outside ASCII, naming the variable and never the value', () => {
    const issues = issuesOf(() =>
      resolveSecrets(
        { accessToken: '${env:SF_TOKEN}', header: 'Bearer ${env:HOOK_TOKEN}', apiKey: '${env:PASTED}' },
        at,
        // A pasted curly quote: an HTTP client's error quoted the whole header, token and all.
        { SF_TOKEN: '00Dsecret!tok\n', HOOK_TOKEN: ' tok', PASTED: 'secret!tok\u2019' },
      ),
    );
    const refused = (field: string, name: string) =>
      `backflow.yaml: connections.hook.${field}: environment variable ${name} (referenced as \${env:${name}}) has a line break, control character, surrounding space or a character outside ASCII; remove it, or percent-encode it in a URL (the value is not shown)`;
    expect(issues).toEqual([refused('accessToken', 'SF_TOKEN'), refused('header', 'HOOK_TOKEN'), refused('apiKey', 'PASTED')]);
    expect(issues.join('\n')).not.toContain('secret!tok');
  });

  it('refuses a user or password in an http(s) URL (fetch refuses it, quoting the password in its error), not in a PostgreSQL one', () => {
    const urls = { url: '${env:HOOK_URL}', instanceUrl: 'https://me:hunter2@acme.my.salesforce.com' };
    const issues = issuesOf(() => resolveSecrets(urls, at, { HOOK_URL: 'https://hook:sekrit@hooks.example/in' }));
    expect(issues).toEqual([
      'backflow.yaml: connections.hook.url: a user or password in an http(s) URL is not sent by HTTP clients: put it in a header instead (Authorization: Basic ${env:…})',
      'backflow.yaml: connections.hook.instanceUrl: a user or password in an http(s) URL is not sent by HTTP clients: put it in a header instead (Authorization: Basic ${env:…})',
    ]);
    expect(issues.join('\n')).not.toContain('sekrit');
    expect(() => resolveSecrets({ url: '${env:PG_URL}' }, at, { PG_URL: 'postgres://u:hunter2@db/x' })).not.toThrow();
  });

  it('refuses an endpoint that is not an absolute URL of its kind, showing a secret one by its reference only', () => {
    const issues = issuesOf(() =>
      resolveSecrets(
        { url: '${env:HOOK_URL}', instanceUrl: 'acme.my.salesforce.com', graphUrl: 'localhost:8080', basePath: 'https://api.hubapi.com' },
        at,
        { HOOK_URL: 'hooks.slack.com/services/T0SECRET/B0SECRET/XXXX' },
      ),
    );
    expect(issues).toEqual([
      'backflow.yaml: connections.hook.url: ${env:HOOK_URL} is not an absolute URL (http://, https://, postgres://, postgresql://…)',
      "backflow.yaml: connections.hook.instanceUrl: 'acme.my.salesforce.com' is not an absolute URL (http://, https://…)",
      "backflow.yaml: connections.hook.graphUrl: 'localhost:8080' is not an absolute URL (http://, https://…)",
    ]);
    expect(issues.join('\n')).not.toContain('T0SECRET');
    // A PostgreSQL URL whose port is out of range, named by its field rather than by the model it breaks.
    expect(issuesOf(() => resolveSecrets({ url: 'postgres://u:hunter2@db:99999/x' }, { file: 'backflow.yaml', path: 'connections.pg' }, {}))).toEqual([
      "backflow.yaml: connections.pg.url: 'postgres://u:***@db:99999/x' is not an absolute URL (http://, https://, postgres://, postgresql://…)",
    ]);
  });

  it('refuses a malformed reference instead of sending it as text', () => {
    expect(issuesOf(() => resolveSecrets({ headers: { A: '${env:1BAD}' } }, at, {}))).toEqual([
      'backflow.yaml: connections.hook.headers.A: malformed secret reference: write ${env:NAME} (NAME: letters, digits and _, not starting with a digit)',
    ]);
  });

  it("refuses another tool's reference form (${NAME}, ${ENV:NAME}), which was sent as it is written, suggesting ours", () => {
    const headers = { Authorization: 'Bearer ${HOOK_TOKEN}', 'X-Api-Key': '${ENV:HOOK_KEY}' };
    expect(issuesOf(() => resolveSecrets({ url: '${HOOK_URL}', headers }, at, { HOOK_TOKEN: 't', HOOK_KEY: 'k', HOOK_URL: 'https://x' }))).toEqual([
      'backflow.yaml: connections.hook.url: ${HOOK_URL} is not a secret reference: write ${env:HOOK_URL}',
      'backflow.yaml: connections.hook.headers.Authorization: ${HOOK_TOKEN} is not a secret reference: write ${env:HOOK_TOKEN}',
      'backflow.yaml: connections.hook.headers.X-Api-Key: ${ENV:HOOK_KEY} is not a secret reference: write ${env:HOOK_KEY}',
    ]);
  });
});

describe("another tool's reference form throughout backflow.yaml", () => {
  it('is reported at every field in one round, a secret field too, with the reference to write', () => {
    // Written as a shell or another reverse-ETL tool would: the schema refuses the secret field, and the
    // instance URL and alert URL, checked only once the file parsed, were told a round later.
    const written = PROJECT.replace('${env:SF_URL}', '${ENV:SF_URL}').replace('${env:SF_TOKEN}', '${SF_TOKEN}').concat('alerts:\n  webhook: https://${HOOK_HOST}/in\n');
    expect(issuesOf(() => loadProject(project({ 'backflow.yaml': written, 'syncs/a.yaml': SYNC })))).toEqual([
      'backflow.yaml: connections.salesforce.accessToken: ${SF_TOKEN} is not a secret reference: write ${env:SF_TOKEN}',
      'backflow.yaml: connections.salesforce.instanceUrl: ${ENV:SF_URL} is not a secret reference: write ${env:SF_URL}',
      'backflow.yaml: alerts.webhook: ${HOOK_HOST} is not a secret reference: write ${env:HOOK_HOST}',
    ]);
  });
});

describe('secret references in a sync file', () => {
  it('refuses ${env:…} outside its alerts (sent as written: a channel, a URL path, the SQL), naming each field', () => {
    const sync = `${SYNC.replace('SELECT', 'SELECT * FROM ${env:SCHEMA}.x --')}alerts:\n  webhook: \${env:B_HOOK}\n`;
    expect(issuesOf(() => loadProject(project({ 'backflow.yaml': PROJECT, 'syncs/a.yaml': sync })))).toEqual([
      "syncs/a.yaml: model: secret references (${env:…}) are resolved in backflow.yaml (connections, alerts) and in a sync's alerts only; put this value in its connection there",
    ]);
  });
});

describe('alert secrets', () => {
  const alerting = project({
    'backflow.yaml': `${PROJECT}alerts:\n  slack: \${env:ALERT_SLACK}\n`,
    'syncs/a.yaml': SYNC,
    'syncs/b.yaml': `${SYNC}alerts:\n  webhook: \${env:B_HOOK}\n`,
  });
  const loaded = loadProject(alerting);

  it('reports an unset alert URL against the file that wrote it', () => {
    expect(alertSecretIssues(loaded, undefined, {}).map(formatConfigIssue)).toEqual([
      'backflow.yaml: alerts.slack: environment variable ALERT_SLACK is not set (referenced as ${env:ALERT_SLACK})',
    ]);
    expect(alertSecretIssues(loaded, 'b', {}).map(formatConfigIssue)).toEqual([
      'backflow.yaml: alerts.slack: environment variable ALERT_SLACK is not set (referenced as ${env:ALERT_SLACK})',
      'syncs/b.yaml: alerts.webhook: environment variable B_HOOK is not set (referenced as ${env:B_HOOK})',
    ]);
    expect(alertSecretIssues(loaded, 'b', { ALERT_SLACK: 'https://hooks.example/x', B_HOOK: 'https://b.example' })).toEqual([]);
  });
});

describe('alert URLs', () => {
  it('take ${env:…} references inside a URL (they said only "Invalid input"), and name what a bad one must be', () => {
    const embedded = loadProject(project({ 'backflow.yaml': `${PROJECT}alerts:\n  webhook: https://\${env:ALERT_HOST}/hooks/backflow\n`, 'syncs/a.yaml': SYNC }));
    expect(alertSecretIssues(embedded, undefined, { ALERT_HOST: 'alerts.example' })).toEqual([]);
    expect(alertSecretIssues(embedded, undefined, { ALERT_HOST: 'alerts example' }).map(formatConfigIssue)).toEqual([
      'backflow.yaml: alerts.webhook: https://${env:ALERT_HOST}/hooks/backflow is not an absolute URL (http://, https://…)',
    ]);
    expect(issuesOf(() => loadProject(project({ 'backflow.yaml': `${PROJECT}alerts:\n  webhook: hooks.example/x\n`, 'syncs/a.yaml': SYNC })))).toEqual([
      'backflow.yaml: alerts.webhook: must be an http(s) URL, or contain ${env:NAME} references',
    ]);
  });
});

describe('readTemporalConfig on a broken backflow.yaml', () => {
  it('fails with the YAML error and its line instead of falling back to defaults', () => {
    const dir = project({ 'backflow.yaml': 'version: 1\ntemporal:\n  namespace: prod\n   taskQueue: [oops\n' });
    const issues = issuesOf(() => readTemporalConfig(dir));
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatch(/^backflow\.yaml: invalid YAML: .* at line \d+, column \d+/);
  });

  it('refuses a top-level list', () => {
    const dir = project({ 'backflow.yaml': '- temporal\n' });
    expect(issuesOf(() => readTemporalConfig(dir))).toEqual(['backflow.yaml: must be a mapping (version, connections, temporal, …), not a list or a scalar']);
  });

  it('still reads a good temporal section', () => {
    const dir = project({ 'backflow.yaml': `${PROJECT}temporal:\n  namespace: prod\n` });
    expect(readTemporalConfig(dir)).toEqual({ namespace: 'prod' });
  });
});

describe('loadProject when backflow.yaml cannot be read at all', () => {
  it.each([
    ['a YAML syntax error', 'connections: [unclosed\n'],
    ['an empty file', ''],
    ['a top-level list', '- warehouse\n- salesforce\n'],
  ])('%s: reports backflow.yaml, not a false "unknown connection" per sync', (_, text) => {
    const issues = issuesOf(() => loadProject(project({ 'backflow.yaml': text, 'syncs/a.yaml': SYNC })));
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((issue) => issue.startsWith('backflow.yaml: '))).toBe(true);
  });

  it('a missing backflow.yaml is reported once, without unknown connections', () => {
    const dir = project({ 'syncs/a.yaml': SYNC });
    expect(issuesOf(() => loadProject(dir))).toEqual([`backflow.yaml: not found in ${dir}`]);
  });

  it('a readable backflow.yaml still reports a sync naming a connection it lacks', () => {
    const issues = issuesOf(() => loadProject(project({ 'backflow.yaml': PROJECT, 'syncs/a.yaml': SYNC.replace('source: warehouse', 'source: lake') })));
    expect(issues).toEqual(['syncs/a.yaml: source: unknown connection "lake" (backflow.yaml defines: warehouse, salesforce)']);
  });
});
