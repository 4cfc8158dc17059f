import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import type { BackflowEnv } from '../env';
import { dataConverterFromEnv } from './codec';
import { startDevServer } from './devServer';
import { lockDevServerDatabase, stopOrphanedServer, type DevServerDbLock } from './dbLock';
import { connectTemporal, resolveTemporalSettings } from './connection';
import { findTemporalCli } from './findCli';
import { BACKFLOW_SEARCH_ATTRIBUTES } from './searchAttributes';

/** A Temporal frontend backflow can use: the user's own cluster, or a dev server it started. */
export interface TemporalServer {
  address: string;
  namespace: string;
  /** Temporal Web, when known. */
  uiUrl?: string;
  client: Client;
  /** For workers in this process. */
  nativeConnection: NativeConnection;
  /** Closes connections; stops the dev server if this process started it. */
  stop(): Promise<void>;
}

export interface StartTemporalOptions {
  env: BackflowEnv;
  /** Dev server database (history survives restarts); default: in memory. */
  dbFile?: string;
  /** Start Temporal Web with the dev server. */
  ui?: boolean;
  log?: (line: string) => void;
  /** The dev server's own output lines. */
  serverLog?: (line: string) => void;
}

/** Connects to TEMPORAL_ADDRESS when set; otherwise starts `temporal server start-dev`. */
export async function startTemporal(options: StartTemporalOptions): Promise<TemporalServer> {
  const { env } = options;
  const log = options.log ?? (() => {});
  if (env.TEMPORAL_ADDRESS) {
    // The cluster's own settings (TLS, mTLS files, API key) come from the environment, as everywhere.
    const { remote } = resolveTemporalSettings({ env, explicitEnv: process.env, projectDir: process.cwd() });
    if (remote) return connectTemporal(remote, env.TEMPORAL_UI_URL);
  }

  const cli = findTemporalCli(log);
  const ui = options.ui ?? false;
  const dbFilename = options.dbFile ? path.resolve(options.dbFile) : undefined;
  // Its folder (a project's .backflow/) may not exist yet, e.g. when the state store is PostgreSQL.
  if (dbFilename) mkdirSync(path.dirname(dbFilename), { recursive: true });
  const lock: DevServerDbLock = dbFilename ? lockDevServerDatabase(dbFilename) : { release() {}, serverStarted() {} };
  try {
    if (lock.orphan !== undefined) {
      log(`stopping the dev server (pid ${lock.orphan}) a killed backflow command left running on ${dbFilename}`);
      await stopOrphanedServer(lock.orphan);
    }
    return await startLocal({ ...options, ui, log }, cli, dbFilename, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** The dev server (or, failing that, the SDK's download), stopped with the database lock released. */
async function startLocal(
  options: StartTemporalOptions & { ui: boolean },
  cli: ReturnType<typeof findTemporalCli>,
  dbFilename: string | undefined,
  lock: DevServerDbLock,
): Promise<TemporalServer> {
  const { env, ui } = options;
  if (cli.kind === 'download') {
    // Last resort (needs internet): the SDK downloads and runs a dev server itself.
    const testEnv = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        namespace: env.TEMPORAL_NAMESPACE,
        ui,
        ...(dbFilename ? { dbFilename } : {}),
        searchAttributes: BACKFLOW_SEARCH_ATTRIBUTES,
      },
      // The same payload codec as every other client: else inputs enter history unencrypted.
      client: { dataConverter: dataConverterFromEnv() },
    });
    const port = Number(testEnv.address.split(':').pop());
    return {
      address: testEnv.address,
      namespace: env.TEMPORAL_NAMESPACE,
      ...(ui ? { uiUrl: `http://127.0.0.1:${port + 1000}` } : {}),
      client: testEnv.client,
      nativeConnection: testEnv.nativeConnection,
      async stop() {
        await testEnv.teardown();
        lock.release();
      },
    };
  }

  const server = await startDevServer({
    executable: cli.path,
    namespace: env.TEMPORAL_NAMESPACE,
    ui,
    ...(dbFilename ? { dbFile: dbFilename } : {}),
    searchAttributes: BACKFLOW_SEARCH_ATTRIBUTES,
    log: options.serverLog ?? (() => {}),
    onSpawn: (pid) => lock.serverStarted(pid),
  });
  try {
    const connected = await connect(server.address, env.TEMPORAL_NAMESPACE);
    return {
      ...connected,
      ...(server.uiUrl ? { uiUrl: server.uiUrl } : {}),
      async stop() {
        await connected.stop();
        await server.stop();
        lock.release();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

async function connect(address: string, namespace: string): Promise<TemporalServer> {
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    address,
    namespace,
    client: new Client({ connection, namespace, dataConverter: dataConverterFromEnv() }),
    nativeConnection,
    async stop() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/** Temporal Web's page for one workflow. */
export function workflowUrl(server: Pick<TemporalServer, 'uiUrl' | 'namespace'>, workflowId: string): string | undefined {
  if (!server.uiUrl) return undefined;
  return `${server.uiUrl}/namespaces/${encodeURIComponent(server.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
