import { startMetaSandbox, type MetaSandbox } from '../../src/sandbox/meta';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce';
import { startSlackSandbox, type SlackSandbox } from '../../src/sandbox/slack';
import { startWebhookSandbox, type WebhookSandbox } from '../../src/sandbox/webhook';
import { createTestProject, type TestProject } from './project';
import { connectTestTemporal, type TestTemporal } from './temporal';

/** A webhook receiver's secret in tests (the connection reads it from WEBHOOK_SECRET). */
export const WEBHOOK_SECRET = 'whsec-test';

export interface MessagingFixture {
  temporal: TestTemporal;
  slack: SlackSandbox;
  meta: MetaSandbox;
  webhook: WebhookSandbox;
  salesforce: SalesforceSandbox;
  project: TestProject;
}

/**
 * The Slack, Meta and webhook sandboxes and a fresh demo project whose `${env:…}` references point
 * at them (the demo project names Salesforce and HubSpot connections too; only the synced one is resolved).
 */
export function useMessagingFixture(): MessagingFixture {
  const fixture = {} as MessagingFixture;
  beforeAll(async () => {
    fixture.temporal = await connectTestTemporal();
  });
  afterAll(async () => {
    await fixture.temporal.close();
  });
  beforeEach(async () => {
    fixture.salesforce = await startSalesforceSandbox();
    fixture.slack = await startSlackSandbox();
    fixture.meta = await startMetaSandbox();
    fixture.webhook = await startWebhookSandbox({ secret: WEBHOOK_SECRET });
    const project = await createTestProject(fixture.salesforce);
    const env = {
      SLACK_API_URL: fixture.slack.apiUrl,
      SLACK_BOT_TOKEN: fixture.slack.token,
      SLACK_WEBHOOK_URL: fixture.slack.webhookUrl,
      META_GRAPH_URL: fixture.meta.graphUrl,
      META_ACCESS_TOKEN: fixture.meta.accessToken,
      WEBHOOK_URL: fixture.webhook.url,
      WEBHOOK_SECRET,
    };
    Object.assign(project.env, env);
    project.deps.env = { ...project.deps.env, ...env };
    fixture.project = project;
  });
  afterEach(async () => {
    await fixture.project.close();
    await Promise.all([fixture.salesforce.close(), fixture.slack.close(), fixture.meta.close(), fixture.webhook.close()]);
  });
  return fixture;
}
