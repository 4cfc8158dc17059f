/**
 * The CRM search endpoint (`POST /crm/v3/objects/{type}/search`) through the official client's
 * searchApi: filter groups, sorts, paging through `after`, and the documented limits
 * (https://developers.hubspot.com/docs/api/crm/search).
 */
import { Client } from '@hubspot/api-client';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/objects/models/Filter';

import { startHubspotSandbox, type HubspotSandbox } from '../../src/sandbox/hubspot';
import { rejectionOf } from '../support/rejection';

interface ApiExceptionLike {
  code?: number;
  body?: { message?: string; category?: string };
}

let sandbox: HubspotSandbox;
let client: Client;

const rejection = (promise: PromiseLike<unknown>) => rejectionOf<ApiExceptionLike>(promise);

beforeEach(async () => {
  sandbox = await startHubspotSandbox({ properties: { companies: [{ name: 'health_score', type: 'number' }] } });
  client = new Client({ accessToken: sandbox.accessToken, basePath: sandbox.basePath, numberOfApiCallRetries: 0 });
  const inputs = Array.from({ length: 25 }, (_, i) => ({
    idProperty: 'email',
    id: `user${i}@acme.io`,
    properties: { firstname: i % 2 === 0 ? 'Ada' : 'Grace', lastname: `Number ${i}` },
  }));
  await client.crm.contacts.batchApi.upsert({ inputs });
  await client.crm.companies.batchApi.create({
    inputs: [
      { properties: { name: 'Acme', domain: 'acme.io', health_score: '80' }, associations: [] },
      { properties: { name: 'Globex', domain: 'globex.com', health_score: '35' }, associations: [] },
      { properties: { name: 'Initech', domain: 'initech.com' }, associations: [] },
    ],
  });
});

afterEach(async () => {
  await sandbox.close();
});

describe('CRM search', () => {
  it('finds records by filter (EQ, CONTAINS_TOKEN), with the total and the requested properties', async () => {
    const answer = await client.crm.contacts.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'email', operator: FilterOperatorEnum.Eq, value: 'USER3@acme.io' }] }],
      properties: ['email', 'lastname'],
    });
    expect(answer.total).toBe(1);
    expect(answer.results[0]?.properties).toMatchObject({ email: 'user3@acme.io', lastname: 'Number 3' });

    const graces = await client.crm.contacts.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'firstname', operator: FilterOperatorEnum.ContainsToken, value: 'grace' }] }],
      limit: 100,
    });
    expect(graces.total).toBe(12);
  });

  it('ORs filter groups, ANDs filters, compares numbers and sorts', async () => {
    const answer = await client.crm.companies.searchApi.doSearch({
      filterGroups: [
        { filters: [{ propertyName: 'health_score', operator: FilterOperatorEnum.Gte, value: '50' }] },
        {
          filters: [
            { propertyName: 'health_score', operator: FilterOperatorEnum.NotHasProperty },
            { propertyName: 'domain', operator: FilterOperatorEnum.In, values: ['initech.com', 'nowhere.org'] },
          ],
        },
      ],
      sorts: [{ propertyName: 'name', direction: 'DESCENDING' } as unknown as string],
      properties: ['name'],
    });
    expect(answer.results.map((r) => r.properties['name'])).toEqual(['Initech', 'Acme']);
  });

  it('pages through `after` until there is no next page', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await client.crm.contacts.searchApi.doSearch({ limit: 10, ...(after === undefined ? {} : { after }) });
      expect(page.total).toBe(25);
      seen.push(...page.results.map((r) => r.id));
      after = page.paging?.next?.after;
    } while (after !== undefined);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
  });

  it('refuses more than 200 records a page, paging past 10,000 results, and too many filters (400 VALIDATION_ERROR)', async () => {
    const tooBig = await rejection(client.crm.contacts.searchApi.doSearch({ limit: 201 }));
    expect(tooBig.code).toBe(400);
    expect(tooBig.body?.category).toBe('VALIDATION_ERROR');

    const pastCap = await rejection(client.crm.contacts.searchApi.doSearch({ limit: 10, after: '10000' }));
    expect(pastCap.code).toBe(400);
    expect(pastCap.body?.category).toBe('VALIDATION_ERROR');

    const filter = { propertyName: 'firstname', operator: FilterOperatorEnum.HasProperty };
    const groups = await rejection(client.crm.contacts.searchApi.doSearch({ filterGroups: Array.from({ length: 6 }, () => ({ filters: [filter] })) }));
    expect(groups.code).toBe(400);
    const perGroup = await rejection(client.crm.contacts.searchApi.doSearch({ filterGroups: [{ filters: Array.from({ length: 7 }, () => filter) }] }));
    expect(perGroup.code).toBe(400);

    // The limits themselves are fine.
    const atLimits = await client.crm.contacts.searchApi.doSearch({
      limit: 200,
      filterGroups: Array.from({ length: 3 }, () => ({ filters: Array.from({ length: 6 }, () => filter) })),
    });
    expect(atLimits.total).toBe(25);
  });
});
