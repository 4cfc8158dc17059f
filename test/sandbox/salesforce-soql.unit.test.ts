import { OrgSchema } from '../../src/sandbox/salesforce/schema';
import { SoqlError, bindQuery, executeQuery, parseSoql } from '../../src/sandbox/salesforce/soql';
import type { StoredRecord } from '../../src/sandbox/salesforce/store';

const schema = new OrgSchema();

function soqlError(fn: () => unknown): SoqlError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SoqlError) return err;
    throw err;
  }
  throw new Error('expected a SoqlError');
}

function run(q: string, records: StoredRecord[]): StoredRecord[] {
  return executeQuery(bindQuery(parseSoql(q), schema), records);
}

const accounts: StoredRecord[] = [
  { Id: '001000000000001AAA', Name: 'Acme', External_Id__c: 'a-1', Health_Score__c: 80, Segment__c: 'healthy', CreatedDate: '2026-01-01T00:00:00.000+0000' },
  { Id: '001000000000002AAA', Name: "O'Brien Ltd", External_Id__c: 'A-2', Health_Score__c: 20, Segment__c: 'at-risk', CreatedDate: '2026-03-01T00:00:00.000+0000' },
  { Id: '001000000000003AAA', Name: 'Zeta', External_Id__c: 'a-3', Health_Score__c: null, Segment__c: null, CreatedDate: '2026-02-01T00:00:00.000+0000' },
];

describe('parseSoql', () => {
  it('parses a field list, object and clauses (keywords case-insensitive)', () => {
    const q = parseSoql("select Id, name FROM Account where Name = 'x' order by Name desc nulls last limit 10 offset 5");
    expect(q.select).toEqual({ kind: 'fields', fields: [{ name: 'Id', pos: 7 }, { name: 'name', pos: 11 }] });
    expect(q.from.name).toBe('Account');
    expect(q.where).toMatchObject({ kind: 'compare', op: '=', value: { kind: 'string', value: 'x' } });
    expect(q.orderBy).toEqual([{ field: { name: 'Name', pos: expect.any(Number) }, descending: true, nullsFirst: false }]);
    expect(q.limit).toBe(10);
    expect(q.offset?.value).toBe(5);
  });

  it('parses COUNT()', () => {
    expect(parseSoql('SELECT COUNT() FROM Contact').select.kind).toBe('count');
  });

  it("unescapes \\' inside string literals and keeps IN lists in order", () => {
    const q = parseSoql("SELECT Id FROM Account WHERE Name IN ('O\\'Brien Ltd', 'b\\\\c')");
    expect(q.where).toMatchObject({
      kind: 'in',
      negated: false,
      values: [
        { kind: 'string', value: "O'Brien Ltd" },
        { kind: 'string', value: 'b\\c' },
      ],
    });
  });

  it('parses AND chains, OR chains in parentheses, NOT IN, LIKE and literals', () => {
    const q = parseSoql(
      "SELECT Id FROM Account WHERE Health_Score__c >= 10.5 AND (Segment__c = null OR Segment__c NOT IN ('x')) AND Name LIKE 'A%' AND CreatedDate < 2026-02-01T00:00:00Z",
    );
    expect(q.where).toMatchObject({
      kind: 'and',
      operands: [
        { kind: 'compare', op: '>=', value: { kind: 'number', value: 10.5 } },
        { kind: 'or', operands: [{ kind: 'compare', op: '=', value: { kind: 'null' } }, { kind: 'in', negated: true }] },
        { kind: 'compare', op: 'LIKE' },
        { kind: 'compare', op: '<', value: { kind: 'datetime', value: '2026-02-01T00:00:00Z' } },
      ],
    });
  });

  it.each([
    ['SELECT FROM Account', 'unexpected token: FROM', 8],
    ['SELECT Id Account', 'unexpected token: Account', 11],
    ['SELECT Id FROM Account WHERE', 'unexpected token: <EOF>', 29],
    ['SELECT Id FROM Account WHERE Name = ', 'unexpected token: <EOF>', 37],
    ["SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'", 'unexpected token: OR', 56],
    ['SELECT Id FROM Account LIMIT ten', 'unexpected token: ten', 30],
    ['SELECT Id FROM Account extra', 'unexpected token: extra', 24],
    ['UPDATE Account SET Name = 1', 'unexpected token: UPDATE', 1],
  ])('rejects %j as MALFORMED_QUERY', (text, detail, column) => {
    const err = soqlError(() => parseSoql(text));
    expect(err.errorCode).toBe('MALFORMED_QUERY');
    expect(err.message).toContain(`ERROR at Row:1:Column:${column}\n${detail}`);
    // Salesforce echoes the query line with a caret under the offending column.
    expect(err.message.startsWith(`\n${text}\n${' '.repeat(column - 1)}^\n`)).toBe(true);
  });

  it('rejects unterminated strings and illegal escapes', () => {
    expect(soqlError(() => parseSoql("SELECT Id FROM Account WHERE Name = 'abc")).errorCode).toBe('MALFORMED_QUERY');
    expect(soqlError(() => parseSoql("SELECT Id FROM Account WHERE Name = 'a\\qb'")).errorCode).toBe('MALFORMED_QUERY');
  });

  it('reports the row of multi-line queries', () => {
    const err = soqlError(() => parseSoql('SELECT Id\nFROM Account\nWHERE'));
    expect(err.message).toContain('ERROR at Row:3:Column:6');
  });
});

describe('bindQuery', () => {
  it('resolves object and field names case-insensitively to their API names', () => {
    const bound = bindQuery(parseSoql('SELECT id, NAME, external_id__c FROM account'), schema);
    expect(bound.sobject.name).toBe('Account');
    expect(bound.fields.map((f) => f.name)).toEqual(['Id', 'Name', 'External_Id__c']);
  });

  it("rejects unknown columns with Salesforce's INVALID_FIELD message", () => {
    const err = soqlError(() => bindQuery(parseSoql('SELECT Id, Foo__c FROM Account'), schema));
    expect(err.errorCode).toBe('INVALID_FIELD');
    expect(err.message).toContain('ERROR at Row:1:Column:12');
    expect(err.message).toContain("No such column 'Foo__c' on entity 'Account'. If you are attempting to use a custom field");
    expect(soqlError(() => bindQuery(parseSoql("SELECT Id FROM Account WHERE Bar = 'x'"), schema)).errorCode).toBe('INVALID_FIELD');
  });

  it('rejects unknown objects with INVALID_TYPE', () => {
    const err = soqlError(() => bindQuery(parseSoql('SELECT Id FROM Opportunityy'), schema));
    expect(err.errorCode).toBe('INVALID_TYPE');
    expect(err.message).toContain("sObject type 'Opportunityy' is not supported.");
  });

  it('checks literal types against the field type', () => {
    const quotedNumber = soqlError(() => bindQuery(parseSoql("SELECT Id FROM Account WHERE Health_Score__c = '5'"), schema));
    expect(quotedNumber.errorCode).toBe('INVALID_FIELD');
    expect(quotedNumber.message).toContain("value of filter criterion for field 'Health_Score__c' must be of type double and should not be enclosed in quotes");
    const bareString = soqlError(() => bindQuery(parseSoql('SELECT Id FROM Account WHERE Name = 5'), schema));
    expect(bareString.message).toContain("must be of type string and should be enclosed in quotes");
    const badId = soqlError(() => bindQuery(parseSoql("SELECT Id FROM Account WHERE Id = 'nope'"), schema));
    expect(badId.errorCode).toBe('INVALID_QUERY_FILTER_OPERATOR');
    expect(badId.message).toContain('invalid ID field: nope');
  });

  it('rejects duplicate fields and offsets above 2000', () => {
    expect(soqlError(() => bindQuery(parseSoql('SELECT Id, id FROM Account'), schema)).message).toContain('duplicate field selected: Id');
    expect(soqlError(() => bindQuery(parseSoql('SELECT Id FROM Account OFFSET 2001'), schema)).errorCode).toBe('NUMBER_OUTSIDE_VALID_RANGE');
  });
});

describe('executeQuery', () => {
  const names = (rows: StoredRecord[]): unknown[] => rows.map((r) => r['Name']);

  it('matches IN and = case-insensitively on text', () => {
    expect(names(run("SELECT Id FROM Account WHERE External_Id__c IN ('A-1', 'a-2')", accounts))).toEqual(['Acme', "O'Brien Ltd"]);
    expect(names(run("SELECT Id FROM Account WHERE Name = 'ZETA'", accounts))).toEqual(['Zeta']);
    expect(names(run("SELECT Id FROM Account WHERE Name != 'zeta'", accounts))).toEqual(['Acme', "O'Brien Ltd"]);
  });

  it('handles null comparisons, numbers, NOT IN and LIKE', () => {
    expect(names(run('SELECT Id FROM Account WHERE Segment__c = null', accounts))).toEqual(['Zeta']);
    expect(names(run('SELECT Id FROM Account WHERE Health_Score__c > 50', accounts))).toEqual(['Acme']);
    expect(names(run("SELECT Id FROM Account WHERE Segment__c NOT IN ('healthy')", accounts))).toEqual(["O'Brien Ltd", 'Zeta']);
    expect(names(run("SELECT Id FROM Account WHERE Name LIKE 'o\\'%'", accounts))).toEqual(["O'Brien Ltd"]);
    expect(names(run("SELECT Id FROM Account WHERE NOT Name LIKE '%e%'", accounts))).toEqual([]);
  });

  it('compares datetimes by instant and ids by their 18-char form', () => {
    expect(names(run('SELECT Id FROM Account WHERE CreatedDate > 2026-01-15T00:00:00Z', accounts))).toEqual(["O'Brien Ltd", 'Zeta']);
    expect(names(run("SELECT Id FROM Account WHERE Id = '001000000000003'", accounts))).toEqual(['Zeta']);
  });

  it('orders (nulls first by default), then applies OFFSET and LIMIT', () => {
    expect(names(run('SELECT Id FROM Account ORDER BY Health_Score__c', accounts))).toEqual(['Zeta', "O'Brien Ltd", 'Acme']);
    expect(names(run('SELECT Id FROM Account ORDER BY Health_Score__c DESC NULLS LAST', accounts))).toEqual(['Acme', "O'Brien Ltd", 'Zeta']);
    expect(names(run('SELECT Id FROM Account ORDER BY Name DESC LIMIT 2', accounts))).toEqual(['Zeta', "O'Brien Ltd"]);
    expect(names(run('SELECT Id FROM Account ORDER BY Name LIMIT 1 OFFSET 1', accounts))).toEqual(["O'Brien Ltd"]);
  });

  it('keeps OR groups with AND', () => {
    const rows = run("SELECT Id FROM Account WHERE (Segment__c = 'healthy' OR Segment__c = 'at-risk') AND Health_Score__c < 50", accounts);
    expect(names(rows)).toEqual(["O'Brien Ltd"]);
  });
});
