/** The demo's accounts to Salesforce Accounts matched by Name through SOQL (no external id field), upsert. */
export const ACCOUNTS_BY_NAME_SYNC = [
  'source: warehouse',
  'model: SELECT name, health FROM accounts',
  'primaryKey: name',
  'destination: { connection: salesforce, object: Account, matchOn: { field: Name } }',
  'mode: upsert',
  'mappings:',
  '  - { from: health, to: Health_Score__c }',
  '',
].join('\n');
