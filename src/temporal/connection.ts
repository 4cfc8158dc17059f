import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { PROJECT_FILE } from '../config/load';
import { SECRET_REFERENCE, temporalConfigSchema } from '../config/schema';
import { UNSENDABLE } from '../config/secrets';
import type { BackflowEnv } from '../env';
import { BackflowError, ConfigError } from '../errors';
import { dataConverterFromEnv } from './codec';
import type { TemporalServer } from './server';

export type TemporalConfig = z.infer<typeof temporalConfigSchema>;

/** Where and how to reach a Temporal cluster that backflow did not start itself. */
export interface RemoteTemporal {
  address: string;
  /** Where the address was set (TEMPORAL_ADDRESS, or backflow.yaml's temporal.address), for errors. */
  addressFrom?: string;
  namespace: string;
  apiKey?: string;
  /** false: plaintext; true: TLS with the system's CAs; an object: TLS with these files. */
  tls: boolean | TlsFiles;
}

export interface TlsFiles {
  serverCaCertPath?: string;
  clientCertPath?: string;
  clientKeyPath?: string;
  serverName?: string;
}

export interface TemporalSettings {
  /** Undefined: no cluster configured, so the embedded dev server is started. */
  remote?: RemoteTemporal;
  namespace: string;
  taskQueue: string;
  /** Grace time for in-flight activities when a worker shuts down, in milliseconds. */
  shutdownGraceMs: number;
}

export const DEFAULT_SHUTDOWN_GRACE_TIME = '30s';

/** `500ms`, `30s`, `2m` (the forms env and backflow.yaml accept) → milliseconds. */
export function graceTimeMs(text: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(text);
  if (!match?.[1]) throw new Error(`invalid duration "${text}" (expected e.g. 500ms, 30s or 2m)`);
  const unit = match[2] === 'm' ? 60_000 : match[2] === 's' ? 1000 : 1;
  return Number(match[1]) * unit;
}

/**
 * The one place that decides how to reach Temporal: environment first (TEMPORAL_*, like Temporal's
 * own CLI and SDK env config), then backflow.yaml's `temporal:` section, then defaults.
 * `explicitEnv` tells which variables were really set: TEMPORAL_NAMESPACE and BACKFLOW_TASK_QUEUE
 * carry defaults in BackflowEnv, and a default must not override the file.
 */
export function resolveTemporalSettings(input: {
  env: BackflowEnv;
  explicitEnv: NodeJS.ProcessEnv;
  config?: TemporalConfig | undefined;
  projectDir: string;
}): TemporalSettings {
  const { env, explicitEnv, projectDir } = input;
  const config = input.config ?? {};
  const namespace = explicitEnv.TEMPORAL_NAMESPACE !== undefined ? env.TEMPORAL_NAMESPACE : (config.namespace ?? env.TEMPORAL_NAMESPACE);
  const taskQueue = explicitEnv.BACKFLOW_TASK_QUEUE !== undefined ? env.BACKFLOW_TASK_QUEUE : (config.taskQueue ?? env.BACKFLOW_TASK_QUEUE);
  const shutdownGraceMs = graceTimeMs(env.BACKFLOW_SHUTDOWN_GRACE_TIME ?? config.shutdownGraceTime ?? DEFAULT_SHUTDOWN_GRACE_TIME);
  const address = env.TEMPORAL_ADDRESS ?? config.address;
  if (address === undefined) return { namespace, taskQueue, shutdownGraceMs };

  const apiKey = env.TEMPORAL_API_KEY ?? resolveSecret(config.apiKey, explicitEnv);
  // gRPC refuses such a key quoting it whole ("Bearer <key>") in an error every command printed.
  if (apiKey !== undefined && UNSENDABLE.test(apiKey)) {
    const where = env.TEMPORAL_API_KEY !== undefined ? 'TEMPORAL_API_KEY' : `${PROJECT_FILE}: temporal.apiKey (${config.apiKey ?? ''})`;
    throw new BackflowError(
      'CONFIG_INVALID',
      `${where}: the key has a line break, control character, surrounding space or a character outside ASCII; remove it (the value is not shown)`,
    );
  }
  const fromProject = (file: string | undefined) => (file === undefined ? undefined : path.resolve(projectDir, file));
  const files: TlsFiles = dropUndefined({
    serverCaCertPath: env.TEMPORAL_TLS_SERVER_CA_CERT_PATH ?? fromProject(config.tls?.serverCaCert),
    clientCertPath: env.TEMPORAL_TLS_CLIENT_CERT_PATH ?? fromProject(config.tls?.clientCert),
    clientKeyPath: env.TEMPORAL_TLS_CLIENT_KEY_PATH ?? fromProject(config.tls?.clientKey),
    serverName: env.TEMPORAL_TLS_SERVER_NAME ?? config.tls?.serverName,
  });
  if ((files.clientCertPath === undefined) !== (files.clientKeyPath === undefined)) {
    throw new ConfigError([
      { file: 'environment', path: '', message: 'a client certificate and its key go together (mTLS needs both): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH' },
    ]);
  }
  const anyTlsFile = Object.keys(files).length > 0;
  // Temporal Cloud with an API key always speaks TLS; so does any setup that names a TLS file.
  const enabled = env.TEMPORAL_TLS ?? config.tls?.enabled ?? (anyTlsFile || apiKey !== undefined);
  const tls: RemoteTemporal['tls'] = !enabled ? false : anyTlsFile ? files : true;
  return {
    remote: {
      address,
      addressFrom: env.TEMPORAL_ADDRESS !== undefined ? 'TEMPORAL_ADDRESS' : `${PROJECT_FILE} temporal.address`,
      namespace,
      tls,
      ...(apiKey !== undefined ? { apiKey } : {}),
    },
    namespace,
    taskQueue,
    shutdownGraceMs,
  };
}

function resolveSecret(reference: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (reference === undefined) return undefined;
  const name = SECRET_REFERENCE.exec(reference)?.[1];
  const value = name === undefined ? undefined : env[name];
  if (name === undefined || !value) {
    throw new ConfigError([
      { file: PROJECT_FILE, path: 'temporal.apiKey', message: `environment variable ${name ?? reference} is not set` },
    ]);
  }
  return value;
}

function dropUndefined<T extends object>(value: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Options for both the client `Connection` and the worker's `NativeConnection` (same fields). */
export type TemporalConnectionOptions = Pick<ConnectionOptions, 'address' | 'tls'> &
  Pick<NativeConnectionOptions, 'address' | 'tls' | 'apiKey'>;

/** Reads the PEM files now, so a wrong path fails at start-up with the path in the message. */
export function connectionOptions(
  remote: RemoteTemporal,
  readFile: (file: string) => Uint8Array = (file) => readFileSync(file),
): TemporalConnectionOptions {
  const read = (file: string, what: string) => {
    try {
      return readFile(file);
    } catch (err) {
      throw new ConfigError([{ file, path: '', message: `cannot read the ${what}: ${(err as Error).message}` }]);
    }
  };
  let tls: TemporalConnectionOptions['tls'] = remote.tls === true;
  if (typeof remote.tls === 'object') {
    const { serverCaCertPath, clientCertPath, clientKeyPath, serverName } = remote.tls;
    tls = {
      ...(serverName !== undefined ? { serverNameOverride: serverName } : {}),
      ...(serverCaCertPath !== undefined ? { serverRootCACertificate: read(serverCaCertPath, 'server CA certificate') } : {}),
      ...(clientCertPath !== undefined && clientKeyPath !== undefined
        ? { clientCertPair: { crt: read(clientCertPath, 'client certificate'), key: read(clientKeyPath, 'client key') } }
        : {}),
    };
  }
  return { address: remote.address, tls, ...(remote.apiKey !== undefined ? { apiKey: remote.apiKey } : {}) };
}

/** The settings a command uses: its environment plus the project's backflow.yaml. */
export function projectTemporalSettings(ctx: { env: BackflowEnv; projectDir: string }): TemporalSettings {
  return resolveTemporalSettings({
    env: ctx.env,
    explicitEnv: process.env,
    config: readTemporalConfig(ctx.projectDir),
    projectDir: ctx.projectDir,
  });
}

/** backflow.yaml's `temporal:` section, when the project has one (validated; other sections are not read here). */
export function readTemporalConfig(projectDir: string): TemporalConfig | undefined {
  const file = path.join(projectDir, PROJECT_FILE);
  if (!existsSync(file)) return undefined;
  const doc = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true });
  // A broken file must stop the command: falling back to defaults would use the wrong namespace.
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((error) => ({ file: PROJECT_FILE, path: '', message: `invalid YAML: ${error.message}` })));
  }
  const raw: unknown = doc.toJS();
  if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new ConfigError([{ file: PROJECT_FILE, path: '', message: 'must be a mapping (version, connections, temporal, …), not a list or a scalar' }]);
  }
  if (raw === null || !('temporal' in raw) || raw.temporal == null) return undefined;
  const parsed = temporalConfigSchema.safeParse(raw.temporal);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ file: PROJECT_FILE, path: ['temporal', ...issue.path].join('.'), message: issue.message })),
    );
  }
  return parsed.data;
}

/** Client + worker connections to a remote cluster, in the shape the rest of backflow uses. */
export async function connectTemporal(remote: RemoteTemporal, uiUrl?: string): Promise<TemporalServer> {
  const options = connectionOptions(remote);
  // The SDK says only "Failed to connect before the deadline": name the address and where it was set.
  const unreachable = (err: unknown) =>
    new BackflowError(
      'TEMPORAL_UNREACHABLE',
      `cannot reach Temporal at ${remote.address}${remote.addressFrom ? ` (from ${remote.addressFrom})` : ''}: ${err instanceof Error ? err.message : String(err)}`,
    );
  const connection = await Connection.connect(options).catch((err: unknown) => {
    throw unreachable(err);
  });
  let nativeConnection: NativeConnection;
  try {
    nativeConnection = await NativeConnection.connect(options);
  } catch (err) {
    await connection.close();
    throw unreachable(err);
  }
  return {
    address: remote.address,
    namespace: remote.namespace,
    ...(uiUrl !== undefined ? { uiUrl } : {}),
    client: new Client({ connection, namespace: remote.namespace, dataConverter: dataConverterFromEnv() }),
    nativeConnection,
    async stop() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}
