import type { Connection } from '../../src/config/schema';
import { locatorOf } from '../../src/engine/destinationLocator';

const webhook = (url: string) => locatorOf({ type: 'webhook', url, method: 'POST', timeoutMs: 1_000 } as Connection);
const slackWebhook = (url: string) => locatorOf({ type: 'slack_webhook', url } as Connection);
const salesforce = (instanceUrl: string) => locatorOf({ type: 'salesforce', instanceUrl } as Connection);

describe('where a destination connection points', () => {
  it('tells orgs and receivers apart, not spellings of one', () => {
    expect(salesforce('https://acme.my.salesforce.com')).toEqual(salesforce('HTTPS://ACME.my.salesforce.com/'));
    expect(salesforce('https://acme.my.salesforce.com')).not.toEqual(salesforce('https://acme--dev.sandbox.my.salesforce.com'));
    expect(webhook('https://hooks.example.com/a')).not.toEqual(webhook('https://hooks.example.com/b'));
    expect(salesforce('https://acme.my.salesforce.com')?.field).toBe('instanceUrl');
  });

  it('does not take a rotated secret for a move: a webhook query token, a regenerated Slack webhook URL', () => {
    expect(webhook('https://hooks.example.com/in?token=old')).toEqual(webhook('https://hooks.example.com/in?token=new'));
    expect(slackWebhook('https://hooks.slack.com/services/T0/B0/old')).toEqual(slackWebhook('https://hooks.slack.com/services/T0/B0/new'));
    expect(slackWebhook('https://hooks.slack.com/services/T0/B0/old')).not.toEqual(slackWebhook('http://127.0.0.1:4000/services/T0/B0/old'));
  });

  it('tells Slack webhooks of other workspaces or channels apart: every one is at hooks.slack.com', () => {
    expect(slackWebhook('https://hooks.slack.com/services/TAAAA/BAAAA/x')).not.toEqual(slackWebhook('https://hooks.slack.com/services/TBBBB/BBBBB/y'));
    expect(slackWebhook('https://hooks.slack.com/services/TAAAA/BAAAA/x')).not.toEqual(slackWebhook('https://hooks.slack.com/services/TAAAA/BCCCC/x'));
  });

  it('keeps no value as written: a digest', () => {
    expect(JSON.stringify(webhook('https://hooks.example.com/in?token=s3cret'))).not.toContain('s3cret');
    expect(JSON.stringify(slackWebhook('https://hooks.slack.com/services/T0/B0/s3cret'))).not.toContain('hooks.slack.com');
    expect(JSON.stringify(slackWebhook('https://hooks.slack.com/services/T0/B0/s3cret'))).not.toContain('s3cret');
  });
});
