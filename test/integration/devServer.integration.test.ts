import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, type Server } from 'node:net';
import { Connection } from '@temporalio/client';
import { freePort, startDevServer } from '../../src/temporal/devServer';
import { findTemporalCli } from '../../src/temporal/findCli';
import { startTemporal } from '../../src/temporal/server';
import { parseEnv } from '../../src/env';

/** A port bound by "someone else": what a dev server start meets when its port was taken meanwhile. */
async function occupiedPort(): Promise<{ port: number; holder: Server }> {
  // It hangs up on whoever calls (the start's readiness probe may, before the server has exited).
  const holder = createServer((socket) => socket.destroy());
  holder.listen(0, '127.0.0.1');
  await once(holder, 'listening');
  const address = holder.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, holder };
}

describe('temporal dev server start', () => {
  it('starts again on another port when the chosen one was bound by someone else in between', async () => {
    const cli = findTemporalCli(() => {});
    if (cli.kind === 'download') throw new Error('the project-local Temporal CLI is missing: run scripts/install-temporal.sh');
    const { port: taken, holder } = await occupiedPort();
    const chosen: number[] = [];
    const log: string[] = [];
    try {
      const server = await startDevServer({
        executable: cli.path,
        namespace: 'default',
        ui: false,
        searchAttributes: [],
        log: (line) => log.push(line),
        choosePort: async () => {
          const port = chosen.length === 0 ? taken : await freePort();
          chosen.push(port);
          return port;
        },
      });
      try {
        expect(chosen).toHaveLength(2);
        expect(server.address).toBe(`127.0.0.1:${chosen[1]}`);
        expect(log.join('\n')).toContain(`can't set frontend port ${taken}`);
        const connection = await Connection.connect({ address: server.address });
        await expect(connection.workflowService.describeNamespace({ namespace: 'default' })).resolves.toBeDefined();
        await connection.close();
      } finally {
        await server.stop();
      }
    } finally {
      holder.close();
    }
  });

  it('freePort leaves its port in TIME_WAIT, which keeps listen(0) off it but lets the server bind it', async () => {
    const port = await freePort();
    // Linux's socket table: local address 127.0.0.1:port in state 06 (TIME_WAIT).
    const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    const sockets = readFileSync('/proc/net/tcp', 'utf8').split('\n').map((line) => line.trim().split(/\s+/));
    expect(sockets.some((fields) => fields[1] === local && fields[3] === '06')).toBe(true);
    // An explicit bind still succeeds (Node and Go both listen with SO_REUSEADDR).
    const server = createServer();
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    server.close();
  });
});

describe("a project's embedded Temporal", () => {
  it('serves one command at a time: a second start on the same database is refused before it starts a server, naming the first', async () => {
    const dbFile = path.join(mkdtempSync(path.join(tmpdir(), 'backflow-embedded-')), '.backflow', 'temporal.db');
    const env = parseEnv({ ...process.env, TEMPORAL_ADDRESS: undefined });
    const first = await startTemporal({ env, dbFile });
    try {
      await expect(startTemporal({ env, dbFile })).rejects.toMatchObject({
        code: 'TEMPORAL_DB_IN_USE',
        message: expect.stringContaining(`another backflow command (pid ${process.pid}) is using this project's embedded Temporal`) as unknown,
      });
    } finally {
      await first.stop();
    }
    // Released with the first: the next command starts.
    await (await startTemporal({ env, dbFile })).stop();
  });
});
