/**
 * Slack's lost-post recovery: a retried batch must find the message a post it never heard back from
 * left in the channel by identity (the message metadata backflow sends with each post), never by
 * text — and must not look at all when Slack's answer proved nothing was posted. The channels here
 * hold earlier messages with the same text, which a text match would take for the lost one.
 */
import { WebClient } from '@slack/web-api';
import { SlackDestination } from '../../src/destinations/slack';
import type { DestinationRecord, WriteContext, WriteResult } from '../../src/destinations/destination';
import { memoryWriteContext } from '../support/writeContext';
import { LocalChannelPacer } from '../../src/destinations/slackPacing';
import { slackTargetSchema } from '../../src/destinations/slackTarget';
import type { FaultKind } from '../../src/sandbox/faults';
import type { SlackMessage } from '../../src/sandbox/slack';
import { startSync } from '../../src/temporal/startSync';
import { useMessagingFixture } from '../support/slackFixture';
import { silentSlackLogger } from '../support/slackLogger';
import { uniqueTaskQueue, withWorker } from '../support/temporal';
import { recordResultsOf } from '../support/recordResults';

const SYNC = 'accounts_at_risk_to_slack';
const FILE = `syncs/${SYNC}.yaml`;
const fx = useMessagingFixture();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A low-variety alert: Globex (key 2) and Umbrella (key 4) are both "healthy", so their messages read the same. One row per batch. */
function lowVarietySync(): void {
  fx.project.write(
    FILE,
    fx.project
      .read(FILE)
      .replace(/  template: .*\n/, '  template: "An account is now {{ segment }}"\n')
      .replace(/  when: .*\n/, '')
      .replace('mode: upsert', 'mode: upsert\nbatchSize: 1'),
  );
}

/** The row a message was posted for, read from the metadata backflow attached to it. */
function postedFor(message: SlackMessage, sync = SYNC): string | undefined {
  const metadata = message.metadata;
  if (metadata?.event_type !== 'backflow_record' || metadata.event_payload['sync'] !== sync) return undefined;
  const key = metadata.event_payload['key'];
  return typeof key === 'string' ? key : undefined;
}

/** Once `before` messages are in #cs-alerts, the next call to Slack (the next row's post) meets `kind`; then Slack behaves again. */
async function failPostAfter(before: number, kind: FaultKind): Promise<void> {
  const started = Date.now();
  const waitFor = async (done: () => boolean, what: string) => {
    while (!done()) {
      if (Date.now() - started > 60_000) throw new Error(`timed out waiting for ${what}`);
      await sleep(5);
    }
  };
  await waitFor(() => fx.slack.messages('#cs-alerts').length >= before, `${before} messages`);
  // Backflow paces posts to a channel a second apart: the fault is set well before the next one.
  fx.slack.setFaults({ [kind]: 1, retryAfterSeconds: 1 });
  await waitFor(() => fx.slack.requests().some((r) => r.fault === kind), `a ${kind} fault`);
  fx.slack.setFaults({});
}

const resultsOf = (runId: string) => recordResultsOf(fx.project.deps.state, runId, ['key', 'status', 'destination_id']);

/** Every row has exactly one message of its own in #cs-alerts, and its destination id is that message. */
async function expectOneOwnMessagePerRow(runId: string, keys: string[]): Promise<void> {
  const messages = fx.slack.messages('#cs-alerts');
  const results = await resultsOf(runId);
  expect(results.map((r) => r.key)).toEqual(keys);
  for (const key of keys) {
    const own = messages.filter((m) => postedFor(m) === key);
    expect({ key, posts: own.length }).toEqual({ key, posts: 1 });
    expect({ key, id: results.find((r) => r.key === key)?.destination_id }).toEqual({ key, id: `${own[0]?.channel}:${own[0]?.ts}` });
  }
  expect(new Set(results.map((r) => r.destination_id)).size).toBe(keys.length);
}

/**
 * Runs the low-variety sync with a fault on Umbrella's post (key 4, the last, after Globex's identical
 * "An account is now healthy"), `meanwhile` done before the retry; the run must succeed with every row.
 */
async function runWithFaultOnLastPost(taskQueue: string, fault: Parameters<typeof failPostAfter>[1], meanwhile: () => Promise<unknown> = async () => {}) {
  const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
  await failPostAfter(3, fault);
  await meanwhile();
  const summary = await handle.result();
  expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 4, created: 4, rejected: 0 } });
  return summary;
}

const alertTexts = () => fx.slack.messages('#cs-alerts').map((m) => m.text);

describe('Slack lost-post recovery through Temporal (an earlier message has the same text)', () => {
  it.each([
    ['a 429', 'rateLimited' as const, 429],
    ['a 500', 'serverError' as const, 500],
  ])('after %s on a post, the retry posts that row once, to a message of its own (not the earlier one with the same text)', async (_name, kind, status) => {
    lowVarietySync();
    const taskQueue = uniqueTaskQueue(`slack-recover-${kind}`);
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const summary = await runWithFaultOnLastPost(taskQueue, kind);
      expect(alertTexts()).toEqual([
        'An account is now at-risk',
        'An account is now healthy',
        'An account is now neutral',
        'An account is now healthy',
      ]);
      await expectOneOwnMessagePerRow(summary.runId, ['1', '2', '3', '4']);
      const requests = fx.slack.requests();
      expect(requests.filter((r) => r.method === 'chat.postMessage').map((r) => r.status)).toEqual([200, 200, 200, status, 200]);
      // A 429 proves Slack posted nothing: the retry posts without looking; after a 500 Slack may
      // have stored the message (it says so of internal_error), so the retry looks for it first.
      expect(requests.filter((r) => r.method === 'conversations.history')).toHaveLength(kind === 'rateLimited' ? 0 : 1);
    });
  });

  it('when Slack stored a post but the answer was lost, the retry adopts exactly that message, not a newer one with the same text', async () => {
    lowVarietySync();
    const taskQueue = uniqueTaskQueue('slack-recover-lost');
    const otherApp = new WebClient(fx.slack.token, { slackApiUrl: fx.slack.apiUrl, logger: silentSlackLogger });
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      // Umbrella's post lands, but its answer is a 500; before the retry, another sync of the same
      // Slack app posts the same words (for its own row 4).
      const summary = await runWithFaultOnLastPost(taskQueue, 'applyThenFail', () =>
        otherApp.chat.postMessage({
          channel: '#cs-alerts',
          text: 'An account is now healthy',
          metadata: { event_type: 'backflow_record', event_payload: { sync: 'other_sync', run: 'elsewhere', key: '4' } },
        }),
      );
      expect(alertTexts()).toEqual([
        'An account is now at-risk',
        'An account is now healthy',
        'An account is now neutral',
        'An account is now healthy',
        'An account is now healthy',
      ]);
      // Umbrella's row points at the message its own post left (the fourth), not at the other sync's.
      const umbrella = fx.slack.messages('#cs-alerts')[3];
      expect((await resultsOf(summary.runId)).find((r) => r.key === '4')?.destination_id).toBe(`${umbrella?.channel}:${umbrella?.ts}`);
      await expectOneOwnMessagePerRow(summary.runId, ['1', '2', '3', '4']);
      // Backflow posted each row once (the fifth post is the other sync's).
      expect(fx.slack.requests().filter((r) => r.method === 'chat.postMessage')).toHaveLength(5);
    });
  });
});

const batchContext = (batch: string, runId = 'run-1'): WriteContext => memoryWriteContext('alerts', runId, batch);

/** Writes, and when the attempt fails (as a worker's would), tries again with the same checkpoint. */
async function writeWithRetry(destination: SlackDestination, records: DestinationRecord[], context: WriteContext, fault?: FaultKind): Promise<{ firstError: unknown; result: WriteResult }> {
  if (fault) fx.slack.setFaults({ [fault]: 1, retryAfterSeconds: 1 });
  let firstError: unknown;
  try {
    await destination.write('upsert', records, context);
  } catch (err) {
    firstError = err;
  }
  fx.slack.setFaults({});
  return { firstError, result: await destination.write('upsert', records, context) };
}

function slackDestination(target: Record<string, unknown>): SlackDestination {
  return new SlackDestination({ type: 'slack', token: fx.slack.token, apiUrl: fx.slack.apiUrl }, slackTargetSchema.parse({ connection: 'slack', ...target }), new LocalChannelPacer(0));
}

describe('Slack lost-post recovery in the destination', () => {
  it('a post that never reached Slack (connection reset) is posted on retry, not matched to an earlier message with the same text', async () => {
    const destination = slackDestination({ channel: '#cs-alerts', template: '{{ name }} dropped into at-risk' });
    const first = await destination.write('upsert', [{ key: '17', fields: { name: 'Acme' }, destinationId: null }], batchContext('1'));
    const { firstError, result } = await writeWithRetry(destination, [{ key: '42', fields: { name: 'Acme' }, destinationId: null }], batchContext('2'), 'connectionReset');
    expect(firstError).toBeDefined();
    const messages = fx.slack.messages('#cs-alerts');
    expect(messages.map((m) => [m.text, m.metadata?.event_payload['key']])).toEqual([
      ['Acme dropped into at-risk', '17'],
      ['Acme dropped into at-risk', '42'],
    ]);
    expect(first.results).toEqual([{ key: '17', status: 'ok', destinationId: `${messages[0]?.channel}:${messages[0]?.ts}`, created: true }]);
    expect(result.results).toEqual([{ key: '42', status: 'ok', destinationId: `${messages[1]?.channel}:${messages[1]?.ts}`, created: true }]);
  });

  it('finds a lost post to a channel given by name without conversations.list (no channels:read), once a post has told its id', async () => {
    // Enough to post and to read the channel back; not to list channels by name.
    fx.slack.setScopes(['chat:write', 'channels:history', 'groups:history']);
    const destination = slackDestination({ channel: '#cs-alerts', template: '{{ name }} dropped into at-risk' });
    await destination.write('upsert', [{ key: '17', fields: { name: 'Acme' }, destinationId: null }], batchContext('1'));
    // Slack stores the next post but its answer is an error: the retry must find it, not post it again.
    const { firstError, result } = await writeWithRetry(destination, [{ key: '42', fields: { name: 'Globex' }, destinationId: null }], batchContext('2'), 'applyThenFail');
    expect(firstError).toBeDefined();
    const messages = fx.slack.messages('#cs-alerts');
    expect(messages.map((m) => m.text)).toEqual(['Acme dropped into at-risk', 'Globex dropped into at-risk']);
    expect(result.results).toEqual([{ key: '42', status: 'ok', destinationId: `${messages[1]?.channel}:${messages[1]?.ts}`, created: true }]);
    expect(fx.slack.requests().filter((r) => r.method === 'conversations.list')).toEqual([]);
  });

  it('pages through the channel history to find a lost post that more than a page of messages followed', async () => {
    const destination = slackDestination({ channel: '#cs-alerts', template: '{{ name }} dropped into at-risk' });
    const context = batchContext('1');
    const record = { key: '7', fields: { name: 'Hooli' }, destinationId: null };
    fx.slack.setFaults({ applyThenFail: 1 });
    await expect(destination.write('upsert', [record], context)).rejects.toThrow();
    fx.slack.setFaults({});
    // A busy channel: 250 messages after the lost one, before the retry.
    for (let i = 0; i < 250; i++) fx.slack.postAsUser('#cs-alerts', `chatter ${i}`);
    const result = await destination.write('upsert', [record], context);
    const lost = fx.slack.messages('#cs-alerts')[0];
    expect(lost?.text).toBe('Hooli dropped into at-risk');
    expect(result.results).toEqual([{ key: '7', status: 'ok', destinationId: `${lost?.channel}:${lost?.ts}`, created: true }]);
    expect(fx.slack.messages('#cs-alerts').filter((m) => m.text === 'Hooli dropped into at-risk')).toHaveLength(1);
    expect(fx.slack.requests().filter((r) => r.method === 'conversations.history').length).toBeGreaterThan(1);
  });

  it('finds a lost first post to a public channel given by name with channels:read alone (no groups:read, as an app for public channels has)', async () => {
    fx.slack.setScopes(['chat:write', 'channels:read', 'channels:history']);
    const destination = slackDestination({ channel: '#cs-alerts', template: '{{ name }} dropped into at-risk' });
    // The first post of this worker to the channel: its id is not known yet, only its name.
    const { firstError, result } = await writeWithRetry(destination, [{ key: '7', fields: { name: 'Hooli' }, destinationId: null }], batchContext('1'), 'applyThenFail');
    expect(firstError).toBeDefined();
    const messages = fx.slack.messages('#cs-alerts');
    expect(messages.map((m) => m.text)).toEqual(['Hooli dropped into at-risk']);
    expect(result.results).toEqual([{ key: '7', status: 'ok', destinationId: `${messages[0]?.channel}:${messages[0]?.ts}`, created: true }]);
  });

  it('a lost threaded follow-up is posted again rather than matched to an earlier reply with the same text', async () => {
    const destination = slackDestination({ channel: '#cs-alerts', template: '{{ name }} is {{ segment }}', onChange: 'thread' });
    const acme = (segment: string, destinationId: string | null): DestinationRecord => ({ key: '1', fields: { name: 'Acme', segment }, destinationId });
    const parent = (await destination.write('upsert', [acme('at-risk', null)], batchContext('1'))).results[0];
    if (parent === undefined || parent.status !== 'ok') throw new Error('the first message was not posted');
    const parentId = parent.destinationId;
    // An earlier run's follow-up, then the row goes back to at-risk, and this run's follow-up (same words) is lost on the wire.
    await destination.write('upsert', [acme('healthy', parentId)], batchContext('2'));
    await destination.write('upsert', [acme('at-risk', parentId)], batchContext('1', 'run-2'));
    const context = batchContext('1', 'run-3');
    const { firstError, result } = await writeWithRetry(destination, [acme('healthy', parentId)], context, 'connectionReset');
    expect(firstError).toBeDefined();
    expect(result.results).toEqual([{ key: '1', status: 'ok', destinationId: parentId, created: false }]);
    expect(fx.slack.messages('#cs-alerts').map((m) => m.text)).toEqual(['Acme is at-risk', 'Acme is healthy', 'Acme is at-risk', 'Acme is healthy']);
  });

  it('without the history scope of a private channel, a post whose outcome is unknown is posted again instead of failing the run', async () => {
    const base = fx.slack.apiUrl.replace(/\/api\/$/, '');
    const created = await fetch(`${base}/__sandbox/channels`, { method: 'POST', body: JSON.stringify({ name: 'vip-alerts', private: true }) });
    expect(created.status).toBe(200);
    // A bot that may post and read public channels, but not private ones (no groups:history).
    fx.slack.setScopes(['chat:write', 'channels:read', 'groups:read', 'channels:history']);
    const destination = slackDestination({ channel: '#vip-alerts', template: '{{ name }} dropped into at-risk' });
    const { firstError, result } = await writeWithRetry(destination, [{ key: '9', fields: { name: 'Acme' }, destinationId: null }], batchContext('1'), 'connectionReset');
    expect(firstError).toBeDefined();
    const messages = fx.slack.messages('#vip-alerts');
    expect(messages.map((m) => m.text)).toEqual(['Acme dropped into at-risk']);
    expect(result.results).toEqual([{ key: '9', status: 'ok', destinationId: `${messages[0]?.channel}:${messages[0]?.ts}`, created: true }]);
    expect(fx.slack.requests().filter((r) => r.error === 'missing_scope').map((r) => r.method)).toEqual(['conversations.history']);
  });
});
