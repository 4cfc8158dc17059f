import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebClient } from '@slack/web-api';
import { SlackDestination } from '../../src/destinations/slack';
import { LocalChannelPacer, type ChannelPacer } from '../../src/destinations/slackPacing';
import { StoreChannelPacer } from '../../src/engine/channelPacing';
import { openStateStore } from '../../src/state/database';
import type { FaultKind } from '../../src/sandbox/faults';
import { previewRun } from '../../src/engine';
import { startSync } from '../../src/temporal/startSync';
import { backflow, expectSucceeded } from '../support/cli';
import { useMessagingFixture } from '../support/slackFixture';
import { uniqueTaskQueue, withWorker } from '../support/temporal';
import { rejectionOf } from '../support/rejection';
import type { BackflowError } from '../../src/errors';
import { recordResultsOf } from '../support/recordResults';

const SYNC = 'accounts_at_risk_to_slack';
const FILE = `syncs/${SYNC}.yaml`;
const fx = useMessagingFixture();

const run = async (taskQueue: string, sync = SYNC) => (await startSync(fx.temporal.client, sync, { taskQueue })).result();
const alerts = () => fx.slack.messages('#cs-alerts').map((m) => ({ text: m.text, edited: m.edited !== undefined, thread: m.thread_ts !== undefined }));
const writes = () => fx.slack.requests().filter((r) => r.method === 'chat.postMessage' || r.method === 'chat.update');

/** Makes the sandbox answer the next write with `kind`, then behave again (the retry must cope). */
async function failNextWrite(kind: FaultKind, work: Promise<unknown>): Promise<void> {
  fx.slack.setFaults({ [kind]: 1, retryAfterSeconds: 1 });
  const started = Date.now();
  while (!fx.slack.requests().some((r) => r.fault === kind)) {
    if (Date.now() - started > 30_000) throw new Error(`no ${kind} fault was hit`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  fx.slack.setFaults({});
  await work;
}

const resultsOf = (runId: string) => recordResultsOf(fx.project.deps.state, runId, ['key', 'status', 'error_message', 'destination_id']);

describe('Slack destination through @slack/web-api against the Slack sandbox', () => {
  it('posts a message per at-risk row, edits it in place when the row changes, and sends nothing when nothing changed', async () => {
    const taskQueue = uniqueTaskQueue('slack');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await run(taskQueue);
      expect(first).toMatchObject({ status: 'succeeded', counts: { synced: 1, created: 1, skipped: 3, rejected: 0 } });
      expect(alerts()).toEqual([{ text: "Acme's health dropped to 38 (at-risk)", edited: false, thread: false }]);
      const results = await resultsOf(first.runId);
      expect(results.find((r) => r.key === '1')?.destination_id).toMatch(/^C[A-Z0-9]+:\d+\.\d+$/);
      expect(results.find((r) => r.key === '2')).toMatchObject({ status: 'skipped', error_message: 'when: segment is "healthy", not "at-risk"' });

      await fx.project.sql(fx.project.read('changes.sql'));
      const second = await run(taskQueue);
      expect(second).toMatchObject({ status: 'succeeded', counts: { synced: 2, created: 1, updated: 1 } });
      expect(alerts()).toEqual([
        { text: "Acme's health dropped to 30 (at-risk)", edited: true, thread: false },
        { text: "Initech's health dropped to 55 (at-risk)", edited: false, thread: false },
      ]);

      const before = writes().length;
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 0 } });
      expect(writes().length).toBe(before);
    });
  });

  it('in insert mode, posts a row the `when:` filter left out once it qualifies (the filter does not commit it as posted)', async () => {
    fx.project.write(FILE, fx.project.read(FILE).replace('mode: upsert', 'mode: insert'));
    const taskQueue = uniqueTaskQueue('slack-insert-when');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 1, created: 1, skipped: 3 } });
      await fx.project.sql(fx.project.read('changes.sql'));
      // Initech turns at-risk: a new alert. Acme changed too, and insert mode leaves its message alone.
      const second = await run(taskQueue);
      expect(second).toMatchObject({ status: 'succeeded', counts: { synced: 1, created: 1 } });
      expect(alerts()).toEqual([
        { text: "Acme's health dropped to 38 (at-risk)", edited: false, thread: false },
        { text: "Initech's health dropped to 55 (at-risk)", edited: false, thread: false },
      ]);
    });
  });

  it('a dry run counts a message per row the `when:` filter lets through, a second apart in the one channel, as the run then sends', async () => {
    // Only Acme is at-risk: the other three rows are skipped by the filter, without a request.
    expect(await previewRun(fx.project.deps, SYNC, false)).toMatchObject({ added: 4, skipped: 3, apiCalls: 1, estimatedSeconds: 1 });
    const taskQueue = uniqueTaskQueue('slack-dry-run');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { added: 4, synced: 1, skipped: 3 }, apiCalls: 1 });
      // Acme changes and Initech turns at-risk: two messages (an edit, a post). The rows the filter left
      // out were not committed, so they are added again, and Globex and Umbrella are left out again.
      await fx.project.sql(fx.project.read('changes.sql'));
      expect(await previewRun(fx.project.deps, SYNC, false)).toMatchObject({ added: 3, changed: 1, skipped: 2, apiCalls: 2, estimatedSeconds: 2 });
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { added: 3, changed: 1, synced: 2, skipped: 2 }, apiCalls: 2 });
    });
  });

  it('a dry run of a --full run counts the channel-name look-up its edits make in a fresh process, as the run then makes', async () => {
    const cli = async (...args: string[]) => {
      const result = await backflow(['run', SYNC, '--json', '--project', fx.project.dir, ...args], fx.project.env);
      expectSucceeded(result);
      return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { counts: Record<string, number>; apiCalls: number };
    };
    expect(await cli()).toMatchObject({ counts: { synced: 1, created: 1 }, apiCalls: 1 });
    await fx.project.sql(fx.project.read('changes.sql'));
    // Each command is a new process, which has not heard #cs-alerts's id from a post: Acme's edit
    // first looks the name up (is its message still in the channel the sync names?).
    const requestsBefore = fx.slack.requests().length;
    expect(await cli('--dry-run', '--full')).toMatchObject({ counts: { added: 3, changed: 1 }, apiCalls: 3 });
    expect(fx.slack.requests()).toHaveLength(requestsBefore);
    const full = await cli('--full');
    const made = fx.slack.requests().slice(requestsBefore).map((r) => r.method);
    expect(made.filter((method) => method !== 'auth.test')).toEqual(['conversations.list', 'chat.update', 'chat.postMessage']);
    expect(full).toMatchObject({ counts: { synced: 2, created: 1, updated: 1 }, apiCalls: 3 });
  });

  it('a mirror dry run with onChange: thread counts the thread read each deleted message takes, as the run then makes', async () => {
    fx.project.write(FILE, fx.project.read(FILE).replace('onChange: update', 'onChange: thread').replace('mode: upsert', 'mode: mirror'));
    const taskQueue = uniqueTaskQueue('slack-thread-mirror');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      await fx.project.sql(`UPDATE accounts SET segment = 'at-risk' WHERE name = 'Initech'`);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 2, created: 2 } });
      // Acme's health changes: a follow-up in its thread.
      await fx.project.sql(`UPDATE accounts SET health = 30 WHERE name = 'Acme'`);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 1, updated: 1 }, apiCalls: 1 });
      // Both leave the model: each message's thread is read for its follow-ups, which go first.
      await fx.project.sql(`DELETE FROM accounts WHERE name IN ('Acme', 'Initech')`);
      const preview = await previewRun(fx.project.deps, SYNC, false);
      const before = fx.slack.requests().length;
      const summary = await run(taskQueue);
      const made = fx.slack.requests().slice(before).map((r) => r.method);
      expect(made.sort()).toEqual(['chat.delete', 'chat.delete', 'chat.delete', 'conversations.replies', 'conversations.replies']);
      expect(summary).toMatchObject({ status: 'succeeded', counts: { removed: 2, deleted: 2 }, apiCalls: 5 });
      expect(fx.slack.messages('#cs-alerts')).toEqual([]);
      // The follow-ups cannot be known without asking Slack; the thread reads and the deletes can.
      expect(preview).toMatchObject({ removed: 2, apiCalls: 4 });
    });
  });

  it('an update-mode dry run counts no message for a row that has none to edit, an insert-mode one none for a row posted already (the run skips them without a request)', async () => {
    const taskQueue = uniqueTaskQueue('slack-update-dry-run');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      await fx.project.sql(`UPDATE accounts SET segment = 'at-risk' WHERE name = 'Initech'`);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 2, created: 2 }, apiCalls: 2 });
      // Update mode edits Acme's and Initech's messages; Umbrella, turned at-risk, has none to edit,
      // and Globex is left out by `when:`.
      fx.project.write(FILE, fx.project.read(FILE).replace('mode: upsert', 'mode: update'));
      await fx.project.sql(`UPDATE accounts SET health = 20, segment = 'at-risk' WHERE name IN ('Acme', 'Initech', 'Umbrella')`);
      expect(await previewRun(fx.project.deps, SYNC, false)).toMatchObject({ added: 2, changed: 2, skipped: 2, apiCalls: 2, estimatedSeconds: 2 });
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { added: 2, changed: 2, synced: 2, updated: 2, skipped: 2 }, apiCalls: 2 });
      expect(alerts().map((a) => a.text)).toEqual(["Acme's health dropped to 20 (at-risk)", "Initech's health dropped to 20 (at-risk)"]);

      // A --full run in insert mode posts Umbrella's first message, and leaves the two posted alone.
      fx.project.write(FILE, fx.project.read(FILE).replace('mode: update', 'mode: insert'));
      expect(await previewRun(fx.project.deps, SYNC, true)).toMatchObject({ skipped: 3, apiCalls: 1, estimatedSeconds: 1 });
      const full = await (await startSync(fx.temporal.client, SYNC, { taskQueue, full: true })).result();
      expect(full).toMatchObject({ status: 'succeeded', counts: { synced: 1, created: 1, skipped: 3 }, apiCalls: 1 });
    });
  });

  it('a digest dry run counts no request for a batch whose rows the `when:` filter all leaves out', async () => {
    fx.project.write(FILE, fx.project.read(FILE).replace("equals: at-risk", "equals: churned").replace('  onChange: update', '  digest: { title: "Accounts at risk" }'));
    expect(await previewRun(fx.project.deps, SYNC, false)).toMatchObject({ added: 4, skipped: 4, apiCalls: 0 });
    const taskQueue = uniqueTaskQueue('slack-dry-run-digest');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 0, skipped: 4 }, apiCalls: 0 });
    });
  });

  it('never posts twice when Slack applied a post but the answer was lost (the retry finds it in the channel)', async () => {
    const taskQueue = uniqueTaskQueue('slack-lost');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
      await failNextWrite('applyThenFail', handle.result());
      expect(await handle.result()).toMatchObject({ status: 'succeeded', counts: { synced: 1, rejected: 0 } });
      expect(alerts()).toEqual([{ text: "Acme's health dropped to 38 (at-risk)", edited: false, thread: false }]);
      expect(fx.slack.requests().filter((r) => r.method === 'chat.postMessage')).toHaveLength(1);
    });
  });

  it('waits out a 429 (Retry-After) through Temporal: the run succeeds, no record fails', async () => {
    const taskQueue = uniqueTaskQueue('slack-429');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
      await failNextWrite('rateLimited', handle.result());
      const summary = await handle.result();
      expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 1, rejected: 0 } });
      expect(fx.slack.requests().some((r) => r.status === 429)).toBe(true);
      expect(alerts()).toHaveLength(1);
      // The refused post counts as the one that went: two chat.postMessage calls of the app's rate limit.
      expect(writes().map((r) => r.status)).toEqual([429, 200]);
      expect(summary.apiCalls).toBe(2);
    });
  });

  it('threads a follow-up under the first message when onChange is thread', async () => {
    fx.project.write(FILE, fx.project.read(FILE).replace(/onChange: update/, 'onChange: thread'));
    const taskQueue = uniqueTaskQueue('slack-thread');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      await run(taskQueue);
      await fx.project.sql(`UPDATE accounts SET health = 30 WHERE name = 'Acme'`);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 1, updated: 1 } });
      const [parent, reply] = fx.slack.messages('#cs-alerts');
      expect(parent?.text).toBe("Acme's health dropped to 38 (at-risk)");
      expect(reply).toMatchObject({ text: "Acme's health dropped to 30 (at-risk)", thread_ts: parent?.ts });
    });
  });

  it('mirror with onChange thread deletes a leaving row\'s follow-ups with its message, leaving no tombstone', async () => {
    fx.project.write(FILE, fx.project.read(FILE).replace(/onChange: update/, 'onChange: thread').replace(/^mode: .*$/m, 'mode: mirror'));
    const taskQueue = uniqueTaskQueue('slack-thread-mirror');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      await run(taskQueue);
      await fx.project.sql(`UPDATE accounts SET health = 30 WHERE name = 'Acme'`);
      await run(taskQueue);
      expect(fx.slack.messages('#cs-alerts').map((m) => m.text)).toEqual(["Acme's health dropped to 38 (at-risk)", "Acme's health dropped to 30 (at-risk)"]);
      await fx.project.sql(`DELETE FROM accounts WHERE name = 'Acme'`);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { removed: 1, deleted: 1 } });
      expect(fx.slack.messages('#cs-alerts')).toEqual([]);
    });
  });

  it('deletes a leaving row\'s follow-ups posted before the sync was renamed (renamedFrom), with its message', async () => {
    fx.project.write(FILE, fx.project.read(FILE).replace(/onChange: update/, 'onChange: thread').replace(/^mode: .*$/m, 'mode: mirror'));
    const taskQueue = uniqueTaskQueue('slack-thread-renamed');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      await run(taskQueue);
      await fx.project.sql(`UPDATE accounts SET health = 30 WHERE name = 'Acme'`);
      await run(taskQueue);
      const renamed = 'at_risk_alerts';
      fx.project.write(`syncs/${renamed}.yaml`, `${fx.project.read(FILE)}renamedFrom: ${SYNC}\n`);
      rmSync(path.join(fx.project.dir, FILE));
      await fx.project.sql(`DELETE FROM accounts WHERE name = 'Acme'`);
      expect(await run(taskQueue, renamed)).toMatchObject({ status: 'succeeded', counts: { removed: 1, deleted: 1 } });
      expect(fx.slack.messages('#cs-alerts')).toEqual([]);
    });
  });

  it('rejects every row of a batch sent to a channel the app is not in, with Slack\'s error, and posts nothing', async () => {
    fx.project.write(FILE, fx.project.read(FILE).replace('"#cs-alerts"', '"#nowhere"').replace(/  when: .*\n/, ''));
    const taskQueue = uniqueTaskQueue('slack-channel');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const summary = await run(taskQueue);
      expect(summary).toMatchObject({ status: 'partial', counts: { rejected: 4, synced: 0 }, apiCalls: 1 });
      expect((await resultsOf(summary.runId)).map((r) => r.error_message)).toEqual(Array(4).fill('Slack chat.postMessage: channel_not_found'));
    });
  });

  it('posts one digest per batch: the count and the top rows', async () => {
    fx.project.write(
      FILE,
      fx.project
        .read(FILE)
        .replace(/  when: .*\n/, '')
        .replace(/  onChange: .*\n/, "  digest: { top: 2, title: '{{ count }} accounts changed', sortBy: health, order: asc }\n")
        .replace(/  template: .*\n/, '  template: "{{ name }} ({{ health }})"\n'),
    );
    const taskQueue = uniqueTaskQueue('slack-digest');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 4 }, apiCalls: 1 });
      await fx.project.sql(fx.project.read('changes.sql'));
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 2 }, apiCalls: 1 });
      expect(alerts().map((m) => m.text)).toEqual([
        '4 accounts changed\n• Acme (38)\n• Initech (55)\n…and 2 more',
        '2 accounts changed\n• Acme (30)\n• Initech (55)',
      ]);
    });
  });

  it('posts each row its own message once a digest sync is switched to a message per row, leaving the digest as it was', async () => {
    const plain = fx.project.read(FILE).replace(/  when: .*\n/, '').replace(/  template: .*\n/, '  template: "{{ name }} ({{ health }})"\n');
    fx.project.write(FILE, plain.replace(/  onChange: .*\n/, "  digest: { top: 10, title: '{{ count }} accounts changed' }\n"));
    const taskQueue = uniqueTaskQueue('slack-digest-switch');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 4 }, apiCalls: 1 });
      const digest = '4 accounts changed\n• Acme (38)\n• Globex (82)\n• Initech (55)\n• Umbrella (91)';
      expect(alerts().map((m) => m.text)).toEqual([digest]);

      // The new template is a new target: every row goes again, each to a message of its own.
      fx.project.write(FILE, plain.replace(/  onChange: .*\n/, '  onChange: update\n'));
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 4, rejected: 0 } });
      expect(alerts()).toEqual([
        { text: digest, edited: false, thread: false },
        ...['Acme (38)', 'Globex (82)', 'Initech (55)', 'Umbrella (91)'].map((text) => ({ text, edited: false, thread: false })),
      ]);
    });
  });

  it('keeps two workers posting to one channel to its one message a second together (per-process pacing got 429s)', async () => {
    // One message a second with a short burst of 2, which absorbs request jitter but not a second sender.
    fx.slack.setLimits({ postMessageBurst: 2 });
    const dir = mkdtempSync(path.join(tmpdir(), 'backflow-slack-fleet-'));
    const storeUrl = `sqlite:${path.join(dir, 'state.db')}`;
    // Two worker processes: each opens the destination, and the store, on its own.
    const stores = [await openStateStore(storeUrl), await openStateStore(storeUrl)];
    const postFromEachWorker = (pacers: ChannelPacer[], label: string) =>
      Promise.allSettled(
        pacers.map((pacer, worker) => {
          const destination = new SlackDestination(
            { type: 'slack', token: fx.slack.token, apiUrl: fx.slack.apiUrl },
            { connection: 'slack', channel: '#cs-alerts', template: '{{ name }}', onChange: 'update' },
            pacer,
          );
          const records = [1, 2, 3].map((n) => ({ key: `${label}-${worker}-${n}`, fields: { name: `${label} ${worker}.${n}` }, destinationId: null }));
          const context = { syncName: 'fleet', runId: label, batchId: `${label}#${worker}`, checkpoint: null, saveCheckpoint: async () => {} };
          return destination.write('upsert', records, context);
        }),
      );
    const limited = () => fx.slack.requests().filter((request) => request.status === 429).length;
    try {
      const perProcess = await postFromEachWorker([new LocalChannelPacer(), new LocalChannelPacer()], 'local');
      expect(limited()).toBeGreaterThan(0);
      expect(perProcess.some((outcome) => outcome.status === 'rejected')).toBe(true);

      fx.slack.reset();
      fx.slack.setLimits({ postMessageBurst: 2 });
      const shared = await postFromEachWorker(stores.map((store) => new StoreChannelPacer(store)), 'shared');
      expect(shared.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(limited()).toBe(0);
      expect(fx.slack.messages('#cs-alerts').map((message) => message.text).sort()).toEqual(['shared 0.1', 'shared 0.2', 'shared 0.3', 'shared 1.1', 'shared 1.2', 'shared 1.3']);
    } finally {
      await Promise.all(stores.map((store) => store.destroy()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("counts every conversations.list request an edit's channel-name look-up makes (no groups:read: refused, then public channels only)", async () => {
    // An app for public channels: it may list them, not private ones.
    fx.slack.setScopes(['chat:write', 'channels:read']);
    const posted = await new WebClient(fx.slack.token, { slackApiUrl: fx.slack.apiUrl }).chat.postMessage({ channel: '#cs-alerts', text: 'Acme is at 38' });
    const destination = new SlackDestination(
      { type: 'slack', token: fx.slack.token, apiUrl: fx.slack.apiUrl },
      { connection: 'slack', channel: '#cs-alerts', template: '{{ name }} is at {{ health }}', onChange: 'update' },
      new LocalChannelPacer(0),
    );
    const before = fx.slack.requests().length;
    const context = { syncName: 'scopes', runId: 'r', batchId: 'r#1', checkpoint: null, saveCheckpoint: async () => {} };
    const written = await destination.write('upsert', [{ key: '1', fields: { name: 'Acme', health: 30 }, destinationId: `${posted.channel}:${posted.ts}` }], context);
    const made = fx.slack.requests().slice(before);
    expect(made.map((r) => [r.method, r.status, r.error ?? null])).toEqual([
      ['conversations.list', 200, 'missing_scope'],
      ['conversations.list', 200, null],
      ['chat.update', 200, null],
    ]);
    expect(written).toMatchObject({ results: [{ key: '1', status: 'ok', created: false }], apiCalls: 3 });
    expect(fx.slack.messages('#cs-alerts').map((m) => m.text)).toEqual(['Acme is at 30']);
  });

  it('validate checks the channel against the workspace, and (offline too) the template variables against the mappings', async () => {
    const destination = new SlackDestination(
      { type: 'slack', token: fx.slack.token, apiUrl: fx.slack.apiUrl },
      { connection: 'slack', channel: '#nowhere', template: '{{ owner }}', onChange: 'update' },
    );
    const sync = { mode: 'upsert' as const, mappings: [{ from: 'name', to: 'name' }] };
    expect(destination.checkOffline(sync).map((issue) => issue.path)).toEqual(['destination.template']);
    expect((await destination.check()).map((issue) => issue.path)).toEqual(['destination.channel']);
    // The same workspace, read through the official client: the channels the issue names.
    const channels = await new WebClient(fx.slack.token, { slackApiUrl: fx.slack.apiUrl }).conversations.list();
    expect(channels.channels?.map((c) => c.name)).toEqual(['general', 'cs-alerts']);
  });
});

describe('Slack incoming-webhook destination through @slack/webhook', () => {
  it('posts each at-risk row to the webhook\'s channel; a changed row posts again (no message to edit)', async () => {
    fx.project.write('backflow.yaml', `${fx.project.read('backflow.yaml')}  slack_hook:\n    type: slack_webhook\n    url: \${env:SLACK_WEBHOOK_URL}\n`);
    fx.project.write('syncs/to_slack_webhook.yaml', fx.project.read(FILE).replace('connection: slack', 'connection: slack_hook').replace(/  channel: .*\n/, '').replace(/  onChange: .*\n/, ''));
    const taskQueue = uniqueTaskQueue('slack-webhook');
    // The dry run leaves out what `when:` does: one post, a second.
    expect(await previewRun(fx.project.deps, 'to_slack_webhook', false)).toMatchObject({ added: 4, skipped: 3, apiCalls: 1, estimatedSeconds: 1 });
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue, 'to_slack_webhook')).toMatchObject({ status: 'succeeded', counts: { synced: 1, skipped: 3 }, apiCalls: 1 });
      await fx.project.sql(`UPDATE accounts SET health = 30 WHERE name = 'Acme'`);
      expect(await run(taskQueue, 'to_slack_webhook')).toMatchObject({ status: 'succeeded', counts: { synced: 1 } });
      expect(fx.slack.messages('#general').map((m) => m.text)).toEqual(["Acme's health dropped to 38 (at-risk)", "Acme's health dropped to 30 (at-risk)"]);
    });
  });

  it('refuses a run whose template or `when:` names a field no mapping provides before anything is posted, as a bot-token sync does', async () => {
    fx.project.write('backflow.yaml', `${fx.project.read('backflow.yaml')}  slack_hook:\n    type: slack_webhook\n    url: \${env:SLACK_WEBHOOK_URL}\n`);
    const sync = fx.project.read(FILE).replace('connection: slack', 'connection: slack_hook').replace(/  channel: .*\n/, '').replace(/  onChange: .*\n/, '');
    fx.project.write('syncs/to_slack_webhook.yaml', sync.replace('{{ name }}', '{{ nmae }}').replace('field: segment', 'field: segmnt'));
    const taskQueue = uniqueTaskQueue('slack-webhook-check');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      // It ran (partial) and rejected every row, one by one, for what is a mistake in the sync file.
      const failure = await rejectionOf<BackflowError>(run(taskQueue, 'to_slack_webhook'));
      expect(failure.code).toBe('CONFIG_INVALID');
      expect(failure.message).toBe(
        'sync to_slack_webhook failed: syncs/to_slack_webhook.yaml: destination.template: the template uses nmae, which no mapping provides (mapped: name, health, segment)\n' +
          'syncs/to_slack_webhook.yaml: destination.when.field: segmnt is not a mapped field (mapped: name, health, segment)',
      );
    });
    expect(fx.slack.requests().filter((r) => r.method === 'incoming-webhook')).toEqual([]);
  });

  it('in insert mode, posts a row the `when:` filter left out once it qualifies', async () => {
    fx.project.write('backflow.yaml', `${fx.project.read('backflow.yaml')}  slack_hook:\n    type: slack_webhook\n    url: \${env:SLACK_WEBHOOK_URL}\n`);
    const sync = fx.project.read(FILE).replace('connection: slack', 'connection: slack_hook').replace(/  channel: .*\n/, '').replace(/  onChange: .*\n/, '');
    fx.project.write('syncs/to_slack_webhook.yaml', sync.replace('mode: upsert', 'mode: insert'));
    const taskQueue = uniqueTaskQueue('slack-webhook-insert');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue, 'to_slack_webhook')).toMatchObject({ status: 'succeeded', counts: { synced: 1, skipped: 3 } });
      await fx.project.sql(`UPDATE accounts SET health = 20, segment = 'at-risk' WHERE name = 'Initech'`);
      expect(await run(taskQueue, 'to_slack_webhook')).toMatchObject({ status: 'succeeded', counts: { synced: 1 } });
      expect(fx.slack.messages('#general').map((m) => m.text)).toEqual(["Acme's health dropped to 38 (at-risk)", "Initech's health dropped to 20 (at-risk)"]);
    });
  });
});
