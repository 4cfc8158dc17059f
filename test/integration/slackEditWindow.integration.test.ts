/**
 * `onChange: update` in a workspace whose message edit setting limits edits to N minutes: a row that
 * changes after the window gets a new message (Slack answers chat.update `edit_window_closed`), where
 * it was rejected on every run and never posted. The destination driven directly, as an activity
 * would, against the Slack sandbox through @slack/web-api.
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
