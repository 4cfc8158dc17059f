/**
 * A Slack incoming webhook that answers 429: the wait Slack names in Retry-After is the wait backflow
 * asks Temporal for (@slack/webhook's HTTP error keeps the status and body, not the headers).
 */
import type { SlackWebhookConnection } from '../../src/config/schema';
import { classifyWebhookError, SlackWebhookDestination } from '../../src/destinations/slackWebhook';
import { LocalChannelPacer } from '../../src/destinations/slackPacing';
import { slackWebhookTargetSchema } from '../../src/destinations/slackTarget';
import { DestinationTransientError } from '../../src/errors';
import { startSlackSandbox, type SlackSandbox } from '../../src/sandbox/slack';
import { memoryWriteContext } from '../support/writeContext';
import { rejectionOf } from '../support/rejection';

let slack: SlackSandbox;

beforeEach(async () => {
  slack = await startSlackSandbox();
});

afterEach(async () => {
  await slack.close();
});

function destination(): SlackWebhookDestination {
  const connection: SlackWebhookConnection = { type: 'slack_webhook', url: slack.webhookUrl };
  return new SlackWebhookDestination(connection, slackWebhookTargetSchema.parse({ connection: 'hook', template: '{{ name }}' }), new LocalChannelPacer(0));
}

describe('a Slack incoming webhook answering 429', () => {
  it('waits as long as its Retry-After says before the batch is tried again', async () => {
    slack.setFaults({ rateLimited: 1, retryAfterSeconds: 30 });
    const failure = await rejectionOf<DestinationTransientError>(destination().write('upsert', [{ key: '1', fields: { name: 'Acme' }, destinationId: null }], memoryWriteContext('to_slack_webhook')));
    expect(failure).toBeInstanceOf(DestinationTransientError);
    expect(failure).toMatchObject({ reason: 'rate-limit', retryAfterMs: 30_000 });
  });

  it('waits a second when the answer names no wait', () => {
    const error = { code: 'slack_webhook_http_error', statusCode: 429, body: 'rate_limited' };
    expect(classifyWebhookError(error, null)).toMatchObject({ scope: 'batch', error: { reason: 'rate-limit', retryAfterMs: 1_000 } });
    expect(classifyWebhookError(error, 'soon')).toMatchObject({ scope: 'batch', error: { retryAfterMs: 1_000 } });
    expect(classifyWebhookError(error, '7')).toMatchObject({ scope: 'batch', error: { retryAfterMs: 7_000 } });
  });
});
