import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import type { BackflowEnv } from '../env';
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
}

/** Connects to TEMPORAL_ADDRESS when set; otherwise starts `temporal server start-dev`. */
export async function startTemporal(options: StartTemporalOptions): Promise<TemporalServer> {
  const { env } = options;
  const log = options.log ?? (() => {});
  if (env.TEMPORAL_ADDRESS) {
    const address = env.TEMPORAL_ADDRESS;
    const connection = await Connection.connect({ address });
    const nativeConnection = await NativeConnection.connect({ address });
    return {
      address,
      namespace: env.TEMPORAL_NAMESPACE,
      ...(env.TEMPORAL_UI_URL ? { uiUrl: env.TEMPORAL_UI_URL } : {}),
      client: new Client({ connection, namespace: env.TEMPORAL_NAMESPACE }),
      nativeConnection,
      async stop() {
        await nativeConnection.close();
        await connection.close();
      },
    };
  }

  const cli = findTemporalCli(log);
  const ui = options.ui ?? false;
  const testEnv = await TestWorkflowEnvironment.createLocal({
    server: {
      ...(cli.kind === 'download' ? {} : { executable: { type: 'existing-path', path: cli.path } }),
      ip: '127.0.0.1',
      namespace: env.TEMPORAL_NAMESPACE,
      ui,
      ...(options.dbFile ? { dbFilename: path.resolve(options.dbFile) } : {}),
      searchAttributes: BACKFLOW_SEARCH_ATTRIBUTES,
      log: { format: 'pretty', level: 'error' },
    },
  });
  const port = Number(testEnv.address.split(':').pop());
  return {
    address: testEnv.address,
    namespace: env.TEMPORAL_NAMESPACE,
    // The SDK's launcher puts Web on port + 1000 unless told otherwise.
    ...(ui ? { uiUrl: `http://127.0.0.1:${port + 1000}` } : {}),
    client: testEnv.client,
    nativeConnection: testEnv.nativeConnection,
    stop: () => testEnv.teardown(),
  };
}

/** Temporal Web's page for one workflow. */
export function workflowUrl(server: Pick<TemporalServer, 'uiUrl' | 'namespace'>, workflowId: string): string | undefined {
  if (!server.uiUrl) return undefined;
  return `${server.uiUrl}/namespaces/${encodeURIComponent(server.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
