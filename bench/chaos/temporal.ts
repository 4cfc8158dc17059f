/**
 * A Temporal dev server the chaos run can restart: fixed port and db file, so workers and the
 * client reconnect to the same address and find their runs' history where it was.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Connection } from '@temporalio/client';
import { freePort } from '../../src/temporal/devServer';
import { findTemporalCli } from '../../src/temporal/findCli';
import { BACKFLOW_SEARCH_ATTRIBUTES } from '../../src/temporal/searchAttributes';

const CLI_TYPE: Record<string, string> = { KEYWORD: 'Keyword', TEXT: 'Text', INT: 'Int', DOUBLE: 'Double', BOOL: 'Bool', DATETIME: 'Datetime' };

export interface RestartableTemporal {
  address: string;
  /** SIGTERM the server, then start it again on the same port and db file; resolves once it answers. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRestartableTemporal(options: { dbFile: string; namespace?: string }): Promise<RestartableTemporal> {
  const cli = findTemporalCli(() => {});
  if (cli.kind === 'download') throw new Error('chaos needs the Temporal CLI (.backflow/bin/temporal or on PATH): run scripts/install-temporal.sh');
  const namespace = options.namespace ?? 'default';
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--namespace', namespace];
  args.push('--log-level', 'error', '--db-filename', options.dbFile);
  for (const key of BACKFLOW_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=${CLI_TYPE[key.type] ?? 'Keyword'}`);

  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const output: string[] = [];
    const started = spawn(cli.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    started.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    started.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child = started;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`temporal dev server exited with ${started.exitCode}: ${output.join('').slice(-500)}`);
      try {
        const connection = await Connection.connect({ address, connectTimeout: 1_000 });
        await connection.workflowService.describeNamespace({ namespace });
        await connection.close();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`temporal dev server did not answer on ${address}: ${(err as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  };
  const stop = async (): Promise<void> => {
    const running = child;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    address,
    restart: async () => {
      await stop();
      await start();
    },
    stop,
  };
}
