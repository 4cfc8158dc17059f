import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';

export interface DevServerOptions {
  executable: string;
  namespace: string;
  /** History survives restarts in this SQLite file; in memory when omitted. */
  dbFile?: string;
  ui: boolean;
  searchAttributes: ReadonlyArray<{ name: string; type: SearchAttributeType }>;
  /** The server's own output (it is kept off stdout, which belongs to the command). */
  log: (line: string) => void;
  startTimeoutMs?: number;
  /** Picks each port the server is given; default freePort. */
  choosePort?: () => Promise<number>;
  /** Told each server process's pid as soon as it is spawned (see DevServerDbLock.serverStarted). */
  onSpawn?: (pid: number) => void;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

/**
 * A free TCP port on loopback, chosen by the OS and held back from it for a while: as the Temporal
 * CLI does for its own ports, a connection closed from the listening side leaves the port in
 * TIME_WAIT, so another `listen(0)` is not handed it before the dev server binds it (with
 * SO_REUSEADDR, which TIME_WAIT does not block).
 */
export async function freePort(): Promise<number> {
  const server = createServer((accepted) => accepted.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('could not pick a free port');
  const client = connect(address.port, '127.0.0.1');
  // The server side closes first; the client then sees the end and closes too.
  await once(client, 'close');
  server.close();
  await once(server, 'close');
  return address.port;
}

/** The CLI's spelling of a search attribute type. */
const CLI_TYPE: Record<SearchAttributeType, string> = {
  KEYWORD: 'Keyword',
  TEXT: 'Text',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** How often a start is tried again when another process took a chosen port in between. */
const PORT_TAKEN_ATTEMPTS = 3;

/** `temporal server start-dev` on loopback, ready once its frontend answers. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(options);
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= PORT_TAKEN_ATTEMPTS) throw err;
      options.log(`${err.message}; starting again on other ports`);
    }
  }
}

/** The server exited at start because a port picked for it was bound by someone else meanwhile. */
class PortTakenError extends Error {}

async function launch(options: DevServerOptions): Promise<DevServer> {
  const choosePort = options.choosePort ?? freePort;
  const port = await choosePort();
  const uiPort = options.ui ? await choosePort() : undefined;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', options.namespace];
  args.push('--log-level', 'error');
  if (uiPort !== undefined) args.push('--ui-ip', '127.0.0.1', '--ui-port', String(uiPort));
  else args.push('--headless');
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  for (const key of options.searchAttributes) args.push('--search-attribute', `${key.name}=${CLI_TYPE[key.type]}`);

  // Its own process group: a terminal's Ctrl-C reaches the command, which cancels its run and then
  // stops this server, rather than the server dying under the run. Killed with this process however
  // it exits (short of SIGKILL).
  const child = spawn(options.executable, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid !== undefined) options.onSpawn?.(child.pid);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      output.push(line);
      options.log(line);
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = once(child, 'exit');

  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) {
      const message = `temporal server start-dev exited with ${child.exitCode}: ${output.slice(-5).join(' | ')}`;
      throw output.some((line) => line.includes('address already in use')) ? new PortTakenError(message) : new Error(message);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.describeNamespace({ namespace: options.namespace });
      await connection.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`temporal dev server did not answer on ${address}: ${(err as Error).message}`);
      }
      await delay(200);
    }
  }

  return {
    address,
    ...(uiPort !== undefined ? { uiUrl: `http://127.0.0.1:${uiPort}` } : {}),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
