/**
 * One message a second per channel, however a sync writes the channel: `#cs-alerts`, `cs-alerts` and
 * its id are one channel to pace (a name for new rows, the stored id for their edits and replies).
 */
import { SlackDestination } from '../../src/destinations/slack';
import type { ChannelPacer } from '../../src/destinations/slackPacing';
import type { WriteContext } from '../../src/destinations/destination';
import { startSlackSandbox } from '../../src/sandbox/slack';

it('paces a channel by the channel, not by how it was written', async () => {
  const sandbox = await startSlackSandbox();
  const keys: string[] = [];
  const pacer: ChannelPacer = { wait: async (channel) => void keys.push(channel) };
  try {
    const connection = { type: 'slack' as const, token: sandbox.token, apiUrl: sandbox.apiUrl };
    const context = (runId: string): WriteContext => ({ syncName: 's', runId, batchId: `${runId}#1`, checkpoint: null, saveCheckpoint: async () => {} });
    const byName = new SlackDestination(connection, { connection: 'slack', channel: '#cs-alerts', template: '{{ name }}', onChange: 'update' }, pacer);
    const first = await byName.write('upsert', [{ key: '1', fields: { name: 'Acme' }, destinationId: null }], context('r1'));
    const posted = first.results[0];
    if (posted?.status !== 'ok') throw new Error(`not posted: ${JSON.stringify(posted)}`);
    // The edit goes to the stored id; a new row of another sync names the channel without '#'.
    await byName.write('upsert', [{ key: '1', fields: { name: 'Acme Corp' }, destinationId: posted.destinationId }], context('r2'));
    const bare = new SlackDestination(connection, { connection: 'slack', channel: 'cs-alerts', template: '{{ name }}', onChange: 'update' }, pacer);
    await bare.write('upsert', [{ key: '2', fields: { name: 'Globex' }, destinationId: null }], context('r3'));
    expect(keys).toHaveLength(3);
    expect(new Set(keys.slice(1)).size).toBe(1);
    expect(keys[1]).toContain(posted.destinationId.split(':')[0]);
  } finally {
    await sandbox.close();
  }
});
