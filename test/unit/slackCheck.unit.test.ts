/**
 * `backflow validate` asks Slack whether a sync's channel can be posted to. Posting needs only
 * chat:write (and chat:write.public for a public channel the app has not joined); listing channels
 * needs channels:read and groups:read, which a token that posts fine may lack. What the token cannot
 * list is not a problem of the sync; a channel it can list is checked as Slack would answer a post.
 */
import { SlackDestination } from '../../src/destinations/slack';
import { LocalChannelPacer } from '../../src/destinations/slackPacing';
import { slackTargetSchema } from '../../src/destinations/slackTarget';
import { startSlackSandbox, type SlackSandbox } from '../../src/sandbox/slack';
import { memoryWriteContext } from '../support/writeContext';

let slack: SlackSandbox;

beforeEach(async () => {
  slack = await startSlackSandbox({
    channels: [
      { name: 'cs-alerts', id: 'C0CSALERTS1' },
      { name: 'sales', id: 'C0SALES0001', member: false },
      { name: 'vip', id: 'G0VIPROOM01', private: true },
    ],
  });
});
afterEach(async () => {
  await slack.close();
});

function destination(channel: string): SlackDestination {
  const target = slackTargetSchema.parse({ connection: 'slack', channel, template: '{{ name }}' });
  return new SlackDestination({ type: 'slack', token: slack.token, apiUrl: slack.apiUrl }, target, new LocalChannelPacer(0));
}

/** What a sync writing to `channel` meets: its post's result, and validate's issues. */
async function postAndCheck(channel: string) {
  const sync = destination(channel);
  const written = await sync.write('upsert', [{ key: '1', fields: { name: 'Acme' }, destinationId: null }], memoryWriteContext('alerts', `run-${channel}`));
  return { posted: written.results[0]?.status, issues: (await sync.check()).map((issue) => issue.message) };
}

describe('validate on a Slack channel', () => {
  it('finds nothing wrong with a token that posts but may not list channels (chat:write only, or no groups:read)', async () => {
    slack.setScopes(['chat:write']);
    expect(await postAndCheck('#cs-alerts')).toEqual({ posted: 'ok', issues: [] });
    slack.setScopes(['chat:write', 'channels:read']);
    expect(await postAndCheck('#cs-alerts')).toEqual({ posted: 'ok', issues: [] });
    expect(await postAndCheck('vip')).toEqual({ posted: 'ok', issues: [] });
  });

  it('finds nothing wrong with a public channel the app is not in when the token has chat:write.public', async () => {
    slack.setScopes(['chat:write', 'chat:write.public', 'channels:read', 'groups:read']);
    expect(await postAndCheck('#sales')).toEqual({ posted: 'ok', issues: [] });
  });

  it('still names a channel the app cannot post to, and one that does not exist', async () => {
    slack.setScopes(['chat:write', 'channels:read', 'groups:read']);
    expect(await postAndCheck('#sales')).toEqual({
      posted: 'rejected',
      issues: ['the app is not a member of #sales: invite it (/invite @app), or grant it chat:write.public (public channels)'],
    });
    expect((await destination('#nowhere').check()).map((issue) => issue.message)).toEqual(['no channel #nowhere in this workspace (or the app cannot see it)']);
    // Listed without private channels, a name not found may be one of them: nothing to say.
    slack.setScopes(['chat:write', 'channels:read']);
    expect(await destination('#nowhere').check()).toEqual([]);
  });
});
