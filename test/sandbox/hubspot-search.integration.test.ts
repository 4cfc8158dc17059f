/**
 * The CRM search endpoint (`POST /crm/v3/objects/{type}/search`) through the official client's
 * searchApi: filter groups, sorts, paging through `after`, and the documented limits
 * (https://developers.hubspot.com/docs/api/crm/search), including its own rate limit of five
 * requests a second, answered without X-HubSpot-RateLimit-* headers (/docs/api/usage-details).
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

describe('CRM search rate limit', () => {
  const rateHeaders = (res: Response) => [...res.headers.keys()].filter((k) => k.startsWith('x-hubspot-ratelimit'));
  const rawSearch = () =>
    fetch(`${sandbox.basePath}/crm/v3/objects/contacts/search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sandbox.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ limit: 1 }),
    });

  it("answers the sixth search in a second 429 with HubSpot's secondly-limit body, no rate-limit headers, apart from the 10-second window", async () => {
    const ok = await Promise.all(Array.from({ length: 5 }, () => rawSearch()));
    expect(ok.map((r) => [r.status, rateHeaders(r)])).toEqual(Array.from({ length: 5 }, () => [200, []]));

    const limited = await rawSearch();
    expect(limited.status).toBe(429);
    expect(rateHeaders(limited)).toEqual([]);
    expect(await limited.json()).toEqual({
      status: 'error',
      message: 'You have reached your secondly limit.',
      errorType: 'RATE_LIMIT',
      correlationId: expect.any(String),
      policyName: 'SECONDLY',
      requestId: expect.any(String),
    });

    // Other endpoints still answer, with headers; the searches took nothing from the 10-second window.
    const read = await fetch(`${sandbox.basePath}/crm/v3/objects/contacts/batch/read`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sandbox.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [] }),
    });
    expect(read.status).toBe(200);
    // beforeEach's two batch writes and this read.
    expect(read.headers.get('x-hubspot-ratelimit-remaining')).toBe('97');

    // Configurable like the other limits; null switches it off.
    sandbox.setLimits({ searchSecondlyLimit: null });
    expect((await Promise.all(Array.from({ length: 8 }, () => rawSearch()))).map((r) => r.status)).toEqual(Array(8).fill(200));
  });

  it("is retried by the official client's RetryDecorator as the search limit (1 s wait), so every search succeeds", async () => {
    const waits = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      // The client picks its (process-wide) decorators when an API is first touched: touch it now.
      const searchApi = new Client({ accessToken: sandbox.accessToken, basePath: sandbox.basePath, numberOfApiCallRetries: 2 }).crm.contacts.searchApi;
      const answers = await Promise.all(Array.from({ length: 7 }, () => searchApi.doSearch({ limit: 1 })));
      expect(answers.map((a) => a.total)).toEqual(Array(7).fill(25));

      const statuses = sandbox.requests().filter((r) => r.path.endsWith('/search')).map((r) => r.status);
      expect(statuses.filter((s) => s === 429)).toHaveLength(2);
      expect(statuses.filter((s) => s === 200)).toHaveLength(7);
      // TOO_MANY_SEARCH_REQUESTS: 1000 ms (a TEN_SECONDLY_ROLLING 429 would wait 10 000 ms, another 429 not at all).
      expect(waits.mock.calls.map((c) => String(c[0]))).toEqual(Array(2).fill('Request failed with status code [429], will retry [1] time in [1000] ms'));
    } finally {
      waits.mockRestore();
    }
  });
});
