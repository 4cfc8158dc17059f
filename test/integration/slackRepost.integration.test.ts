/**
 * `onChange: update` when a row's message cannot be edited where it is, so the row is posted anew:
 * past the workspace's message edit window (Slack answers chat.update `edit_window_closed`; the row
 * was rejected on every run and never posted), or in a channel the sync no longer names (its
 * `channel:` edited; the old channel's message was edited and the new channel heard nothing). The
 * destination driven directly, as an activity would, against the Slack sandbox through @slack/web-api.
 */
import { SlackDestination } from '../../src/destinations/slack';
import { LocalChannelPacer } from '../../src/destinations/slackPacing';
import { slackTargetSchema } from '../../src/destinations/slackTarget';
import { startSlackSandbox, type SlackSandbox } from '../../src/sandbox/slack';
import { memoryWriteContext } from '../support/writeContext';

let slack: SlackSandbox;
let now = Date.UTC(2026, 0, 15, 9, 0, 0);

beforeEach(async () => {
  slack = await startSlackSandbox({ clock: () => now, messageEditWindowMinutes: 5 });
});

afterEach(async () => {
  await slack.close();
});

it('posts a changed row anew once its message is past the edit window, and edits it within', async () => {
  const destination = new SlackDestination(
    { type: 'slack', token: slack.token, apiUrl: slack.apiUrl },
    slackTargetSchema.parse({ connection: 'slack', channel: '#cs-alerts', template: '{{ name }} is at {{ health }}', onChange: 'update' }),
    new LocalChannelPacer(0),
  );
  const row = (health: number, destinationId: string | null) => ({ key: '1', fields: { name: 'Acme', health }, destinationId });
  const [first] = (await destination.write('upsert', [row(40, null)], memoryWriteContext('alerts', 'run-1'))).results;
  if (first?.status !== 'ok') throw new Error('expected the first post to land');

  now += 60_000;
  const [edited] = (await destination.write('upsert', [row(35, first.destinationId)], memoryWriteContext('alerts', 'run-2'))).results;
  expect(edited).toEqual({ key: '1', status: 'ok', destinationId: first.destinationId, created: false });

  now += 10 * 60_000;
  const [reposted] = (await destination.write('upsert', [row(20, first.destinationId)], memoryWriteContext('alerts', 'run-3'))).results;
  const messages = slack.messages('#cs-alerts');
  expect(messages.map((m) => m.text)).toEqual(['Acme is at 35', 'Acme is at 20']);
  expect(reposted).toEqual({ key: '1', status: 'ok', destinationId: `${messages[1]?.channel}:${messages[1]?.ts}`, created: true });
});

it("posts a changed row in the channel the sync names now, once its `channel:` was edited, rather than editing the old channel's message", async () => {
  const destination = (channel: string) =>
    new SlackDestination(
      { type: 'slack', token: slack.token, apiUrl: slack.apiUrl },
      slackTargetSchema.parse({ connection: 'slack', channel, template: '{{ name }} is at {{ health }}', onChange: 'update' }),
      new LocalChannelPacer(0),
    );
  const row = (health: number, destinationId: string | null) => ({ key: '1', fields: { name: 'Acme', health }, destinationId });
  const [first] = (await destination('#cs-alerts').write('upsert', [row(40, null)], memoryWriteContext('alerts', 'run-1'))).results;
  if (first?.status !== 'ok') throw new Error('expected the first post to land');
  // Same channel, by its name: the message is edited.
  const [edited] = (await destination('#cs-alerts').write('upsert', [row(35, first.destinationId)], memoryWriteContext('alerts', 'run-2'))).results;
  expect(edited).toMatchObject({ status: 'ok', destinationId: first.destinationId, created: false });

  const [moved] = (await destination('#general').write('upsert', [row(20, first.destinationId)], memoryWriteContext('alerts', 'run-3'))).results;
  const general = slack.messages('#general');
  // Before, the old channel's message was edited and #general never heard of the row.
  expect(general.map((m) => m.text)).toEqual(['Acme is at 20']);
  expect(slack.messages('#cs-alerts').map((m) => m.text)).toEqual(['Acme is at 35']);
  expect(moved).toEqual({ key: '1', status: 'ok', destinationId: `${general[0]?.channel}:${general[0]?.ts}`, created: true });
});
