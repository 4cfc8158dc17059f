import { PROJECT, SYNC, loadIssuesOf, writeProject } from '../support/configProject';

const issuesOf = (files: Record<string, string>): string[] => loadIssuesOf(writeProject(files));

describe('config problems in the terms of the YAML written', () => {
  it('says a field is missing, or empty because a # began a comment', () => {
    expect(issuesOf({ 'backflow.yaml': '' })).toEqual(['backflow.yaml: connections: missing: this field is required (record)']);
    expect(issuesOf({ 'backflow.yaml': PROJECT, 'syncs/a.yaml': SYNC.replace('primaryKey: id', 'primaryKey: #id') })).toEqual([
      'syncs/a.yaml: primaryKey: empty: give it a value (string); a value starting with # must be quoted, as # begins a YAML comment',
    ]);
    // The model, which takes SQL or a dbt reference, said "found undefined" / "found null" in zod's terms.
    expect(issuesOf({ 'backflow.yaml': PROJECT, 'syncs/a.yaml': SYNC.replace('model: SELECT id, name FROM accounts\n', '') })).toEqual([
      'syncs/a.yaml: model: missing: this field is required (string or object)',
    ]);
    expect(issuesOf({ 'backflow.yaml': PROJECT, 'syncs/a.yaml': SYNC.replace('model: SELECT id, name FROM accounts', 'model:   # TODO') })).toEqual([
      'syncs/a.yaml: model: empty: give it a value (string or object); a value starting with # must be quoted, as # begins a YAML comment',
    ]);
  });

  it('says an unquoted {{ template }} was read as a mapping, without a Node warning on the terminal', () => {
    const warned = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      expect(issuesOf({ 'backflow.yaml': PROJECT, 'syncs/a.yaml': SYNC.replace('object: Account', 'object: {{ name }}') })).toEqual([
        'syncs/a.yaml: destination.object: expected text, found a mapping: quote text that starts with { (e.g. template: "{{ name }}"), which YAML reads as a mapping',
      ]);
      expect(warned).not.toHaveBeenCalled();
    } finally {
      warned.mockRestore();
    }
  });

  it("gives a refused connection name's reason, a field's accepted forms, and one document per file", () => {
    expect(issuesOf({ 'backflow.yaml': PROJECT.replace('  warehouse:', '  my-warehouse:'), 'syncs/a.yaml': SYNC.replace('warehouse', 'my-warehouse') })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^backflow\.yaml: connections\.my-warehouse: this name is not allowed: /)]),
    );
    expect(issuesOf({ 'backflow.yaml': PROJECT, 'syncs/a.yaml': SYNC.replace('model: SELECT id, name FROM accounts', 'model: 42') })).toEqual([
      'syncs/a.yaml: model: expected string or object, found number',
    ]);
    expect(issuesOf({ 'backflow.yaml': `${PROJECT}  slack: { type: slack, token: \${env:SLACK_BOT_TOKEN} }\n`, 'syncs/a.yaml': SYNC })).toEqual([
      'backflow.yaml: : invalid YAML at line 8: a ${env:…} reference inside { … } must be quoted ("${env:NAME}"), as { and } end the mapping there',
    ]);
    expect(issuesOf({ 'backflow.yaml': PROJECT, 'syncs/a.yaml': `${SYNC}---\n${SYNC}` })).toEqual([
      'syncs/a.yaml: : invalid YAML: more than one YAML document (a line of --- starts another): a file holds one',
    ]);
  });
});
