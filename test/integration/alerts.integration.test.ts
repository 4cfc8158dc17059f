import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { startSync } from '../../src/temporal/startSync';
import { useSyncFixture } from '../support/fixture';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const SYNC = 'accounts_to_salesforce';
const fx = useSyncFixture();

/** A tiny HTTP receiver standing in for Slack's incoming webhook and a generic webhook. */
async function receiver(): Promise<{ url: string; posts: Array<{ path: string; body: Record<string, unknown> }>; close(): Promise<void> }> {
  const posts: Array<{ path: string; body: Record<string, unknown> }> = [];
  const server: Server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      posts.push({ path: request.url ?? '', body: JSON.parse(text) as Record<string, unknown> });
      response.writeHead(200).end('ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, posts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('alerts', () => {
  it('a failing sync alerts once across two failed runs and sends one recovery message when it succeeds', async () => {
    const hooks = await receiver();
    try {
      fx.project.write(
        'backflow.yaml',
        `${fx.project.read('backflow.yaml')}alerts:\n  slack: \${env:TEST_SLACK_WEBHOOK_URL}\n  webhook: ${hooks.url}/hook\n`,
      );
      const env = { ...fx.project.deps.env, TEST_SLACK_WEBHOOK_URL: `${hooks.url}/slack` };
      const taskQueue = uniqueTaskQueue('alerts');
      // A revoked token: the destination refuses every batch, the runs fail.
      const broken = { ...fx.project.deps, env: { ...env, SALESFORCE_ACCESS_TOKEN: 'revoked' } };
      await withWorker(fx.temporal, broken, taskQueue, async () => {
        for (let run = 0; run < 2; run++) {
          const summary = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
          expect(summary).toMatchObject({ status: 'failed', error: { code: 'DESTINATION_AUTH_FAILED' } });
        }
      });
      expect(hooks.posts.map((post) => post.path).sort()).toEqual(['/hook', '/slack']);
      expect(hooks.posts.find((post) => post.path === '/hook')?.body).toMatchObject({ type: 'incident.opened', sync: SYNC, kind: 'failed' });
      expect(String(hooks.posts.find((post) => post.path === '/slack')?.body.text)).toContain(`backflow sync ${SYNC}: run failed`);

      await withWorker(fx.temporal, { ...fx.project.deps, env }, taskQueue, async () => {
        for (let run = 0; run < 2; run++) {
          expect(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).toMatchObject({ status: 'succeeded' });
        }
      });
      const webhook = hooks.posts.filter((post) => post.path === '/hook').map((post) => [post.body.type, post.body.kind]);
      expect(webhook).toEqual([
        ['incident.opened', 'failed'],
        ['incident.resolved', 'failed'],
      ]);
      const slack = hooks.posts.filter((post) => post.path === '/slack').map((post) => String(post.body.text));
      expect(slack).toHaveLength(2);
      expect(slack[1]).toContain('recovered');
    } finally {
      await hooks.close();
    }
  });

  it('a run that fails before it opens (a SQL error in the model) alerts once too, and recovers', async () => {
    const hooks = await receiver();
    try {
      fx.project.write('backflow.yaml', `${fx.project.read('backflow.yaml')}alerts:\n  webhook: ${hooks.url}/hook\n`);
      const file = `syncs/${SYNC}.yaml`;
      const good = fx.project.read(file);
      fx.project.write(file, good.replace('FROM accounts', 'FROM acounts'));
      const taskQueue = uniqueTaskQueue('alerts-start');
      await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
        for (let run = 0; run < 2; run++) {
          await expect((await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).rejects.toThrow(/acounts/);
        }
        expect(hooks.posts.map((post) => [post.body.type, post.body.kind])).toEqual([['incident.opened', 'failed']]);
        expect(String(hooks.posts[0]?.body.detail)).toContain('SOURCE_QUERY_FAILED');
        fx.project.write(file, good);
        expect(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).toMatchObject({ status: 'succeeded' });
      });
      expect(hooks.posts.map((post) => [post.body.type, post.body.kind])).toEqual([
        ['incident.opened', 'failed'],
        ['incident.resolved', 'failed'],
      ]);
    } finally {
      await hooks.close();
    }
  });
});
