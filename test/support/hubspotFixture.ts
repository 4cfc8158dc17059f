import { Client } from '@hubspot/api-client';
import { PropertyCreateFieldTypeEnum, PropertyCreateTypeEnum } from '@hubspot/api-client/lib/codegen/crm/properties';
import { DEMO_HUBSPOT_COMPANY_PROPERTIES } from '../../src/sandbox';
import { startHubspotSandbox, type HubspotSandbox } from '../../src/sandbox/hubspot';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce';
import { createTestProject, type TestProject } from './project';
import { connectTestTemporal, type TestTemporal } from './temporal';

export interface HubspotFixture {
  temporal: TestTemporal;
  hubspot: HubspotSandbox;
  /** The official client on the sandbox, for what someone does in HubSpot by hand. */
  client: Client;
  project: TestProject;
}

/**
 * Hooks for HubSpot integration tests: one connection to the suite's dev server per file; per test a
 * HubSpot sandbox with the demo's company properties, and a fresh copy of the demo project whose
 * `${env:HUBSPOT_*}` references point at it (a Salesforce sandbox too: the demo project names both).
 */
export function useHubspotFixture(): HubspotFixture {
  const fixture = {} as HubspotFixture;
  let salesforce: SalesforceSandbox;
  beforeAll(async () => {
    fixture.temporal = await connectTestTemporal();
  });
  afterAll(async () => {
    await fixture.temporal.close();
  });
  beforeEach(async () => {
    salesforce = await startSalesforceSandbox();
    fixture.hubspot = await startHubspotSandbox({ properties: { companies: DEMO_HUBSPOT_COMPANY_PROPERTIES } });
    fixture.client = new Client({ accessToken: fixture.hubspot.accessToken, basePath: fixture.hubspot.basePath, numberOfApiCallRetries: 0 });
    const project = await createTestProject(salesforce);
    const hubspotEnv = { HUBSPOT_BASE_PATH: fixture.hubspot.basePath, HUBSPOT_ACCESS_TOKEN: fixture.hubspot.accessToken };
    Object.assign(project.env, hubspotEnv);
    project.deps.env = { ...project.deps.env, ...hubspotEnv };
    fixture.project = project;
  });
  afterEach(async () => {
    await fixture.project.close();
    await fixture.hubspot.close();
    await salesforce.close();
  });
  return fixture;
}

/** A text property with unique values, created as someone would in HubSpot's settings (or a setup script). */
export function createUniqueProperty(client: Client, objectType: string, name: string, label = name) {
  return client.crm.properties.coreApi.create(objectType, {
    name,
    label,
    type: PropertyCreateTypeEnum.String,
    fieldType: PropertyCreateFieldTypeEnum.Text,
    groupName: 'companyinformation',
    hasUniqueValue: true,
  });
}
