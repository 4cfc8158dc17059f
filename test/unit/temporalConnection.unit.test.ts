import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseEnv } from '../../src/env';
import { ConfigError } from '../../src/errors';
import {
  connectionOptions,
  graceTimeMs,
  readTemporalConfig,
  connectTemporal,
  resolveTemporalSettings,
  type TemporalConfig,
} from '../../src/temporal/connection';

const PROJECT = '/srv/project';

function settings(vars: Record<string, string>, config?: TemporalConfig) {
  return resolveTemporalSettings({ env: parseEnv(vars), explicitEnv: vars, config, projectDir: PROJECT });
}

describe('resolveTemporalSettings', () => {
  it('without an address anywhere: no remote cluster (the embedded dev server), default names and grace', () => {
    expect(settings({})).toEqual({ namespace: 'default', taskQueue: 'backflow', shutdownGraceMs: 30_000 });
  });

  it('takes backflow.yaml’s temporal section when the environment is silent', () => {
    const resolved = settings({}, { address: 'temporal.internal:7233', namespace: 'prod', taskQueue: 'syncs', shutdownGraceTime: '2m' });
    expect(resolved).toEqual({
      remote: { address: 'temporal.internal:7233', addressFrom: 'backflow.yaml temporal.address', namespace: 'prod', tls: false },
      namespace: 'prod',
      taskQueue: 'syncs',
      shutdownGraceMs: 120_000,
    });
  });

  it('refuses an API key with a trailing newline or a character outside ASCII, never showing it (gRPC quoted it whole)', () => {
    expect(() => settings({ TEMPORAL_ADDRESS: 'cloud:7233', TEMPORAL_API_KEY: 'sekrit-KEY\n' })).toThrow(
      'TEMPORAL_API_KEY: the key has a line break, control character, surrounding space or a character outside ASCII; remove it (the value is not shown)',
    );
    expect(() => settings({ TEMPORAL_ADDRESS: 'cloud:7233', TEMPORAL_API_KEY: 'sekrit-KEY\u200b' })).toThrow(/^(?!.*sekrit)/);
    expect(() => settings({ TEMPORAL_ADDRESS: 'cloud:7233', TEMPORAL_API_KEY: 'sekrit-KEY\u200b' })).toThrow('TEMPORAL_API_KEY: the key has');
  });

  it('lets every environment variable override the file', () => {
    const resolved = settings(
      { TEMPORAL_ADDRESS: 'other:7233', TEMPORAL_NAMESPACE: 'staging', BACKFLOW_TASK_QUEUE: 'q2', BACKFLOW_SHUTDOWN_GRACE_TIME: '500ms' },
      { address: 'temporal.internal:7233', namespace: 'prod', taskQueue: 'syncs', shutdownGraceTime: '2m' },
    );
    expect(resolved).toEqual({
      remote: { address: 'other:7233', addressFrom: 'TEMPORAL_ADDRESS', namespace: 'staging', tls: false },
      namespace: 'staging',
      taskQueue: 'q2',
      shutdownGraceMs: 500,
    });
  });

  it('Temporal Cloud with an API key: TLS on with the system CAs, unless TEMPORAL_TLS=false', () => {
    const cloud = { TEMPORAL_ADDRESS: 'ns.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.a1b2c', TEMPORAL_API_KEY: 'key-123' };
    expect(settings(cloud).remote).toEqual({ address: 'ns.a1b2c.tmprl.cloud:7233', addressFrom: 'TEMPORAL_ADDRESS', namespace: 'ns.a1b2c', apiKey: 'key-123', tls: true });
    expect(settings({ ...cloud, TEMPORAL_TLS: 'false' }).remote?.tls).toBe(false);
  });

  it('resolves the file’s apiKey reference from the environment, and says which variable is missing', () => {
    const config: TemporalConfig = { address: 'ns.tmprl.cloud:7233', apiKey: '${env:MY_TEMPORAL_KEY}' };
    expect(settings({ MY_TEMPORAL_KEY: 'secret' }, config).remote).toMatchObject({ apiKey: 'secret', tls: true });
    expect(() => settings({}, config)).toThrow(ConfigError);
    expect(() => settings({}, config)).toThrow(/MY_TEMPORAL_KEY/);
  });

  it('mTLS: file paths from backflow.yaml are relative to the project; env paths are taken as given', () => {
    const fromFile = settings({}, {
      address: 'temporal.internal:7233',
      tls: { serverCaCert: 'certs/ca.pem', clientCert: 'certs/client.pem', clientKey: 'certs/client.key', serverName: 'temporal' },
    });
    expect(fromFile.remote?.tls).toEqual({
      serverCaCertPath: path.join(PROJECT, 'certs/ca.pem'),
      clientCertPath: path.join(PROJECT, 'certs/client.pem'),
      clientKeyPath: path.join(PROJECT, 'certs/client.key'),
      serverName: 'temporal',
    });
    const fromEnv = settings({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/etc/tls/tls.crt',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '/etc/tls/tls.key',
    });
    expect(fromEnv.remote?.tls).toEqual({ clientCertPath: '/etc/tls/tls.crt', clientKeyPath: '/etc/tls/tls.key' });
  });

  it('refuses a client certificate without its key', () => {
    expect(() => settings({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' })).toThrow(/go together/);
  });
});

describe('connectionOptions', () => {
  const files: Record<string, string> = { '/ca.pem': 'CA', '/c.pem': 'CERT', '/c.key': 'KEY' };
  const read = (file: string) => {
    const text = files[file];
    if (text === undefined) throw new Error('ENOENT: no such file');
    return Buffer.from(text);
  };

  it('builds the TLS config both the client and the worker connection take', () => {
    const options = connectionOptions(
      {
        address: 'h:7233',
        namespace: 'n',
        tls: { serverCaCertPath: '/ca.pem', clientCertPath: '/c.pem', clientKeyPath: '/c.key', serverName: 'sni' },
      },
      read,
    );
    expect(options).toEqual({
      address: 'h:7233',
      tls: { serverNameOverride: 'sni', serverRootCACertificate: Buffer.from('CA'), clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') } },
    });
  });

  it('plaintext, system-CA TLS and the API key map one to one', () => {
    expect(connectionOptions({ address: 'h:7233', namespace: 'n', tls: false }, read)).toEqual({ address: 'h:7233', tls: false });
    expect(connectionOptions({ address: 'h:7233', namespace: 'n', tls: true, apiKey: 'k' }, read)).toEqual({ address: 'h:7233', tls: true, apiKey: 'k' });
  });

  it('names an unreadable certificate file', () => {
    expect(() => connectionOptions({ address: 'h:7233', namespace: 'n', tls: { serverCaCertPath: '/missing.pem' } }, read)).toThrow(ConfigError);
    expect(() => connectionOptions({ address: 'h:7233', namespace: 'n', tls: { serverCaCertPath: '/missing.pem' } }, read)).toThrow(
      /\/missing\.pem.*server CA certificate/,
    );
  });
});

describe('readTemporalConfig', () => {
  function project(yaml: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'backflow-temporal-'));
    writeFileSync(path.join(dir, 'backflow.yaml'), yaml);
    return dir;
  }

  it('reads the temporal section of backflow.yaml, and nothing when there is none', () => {
    const dir = project('version: 1\nconnections: {}\ntemporal:\n  address: t:7233\n  apiKey: ${env:K}\n  tls: { serverName: x }\n');
    expect(readTemporalConfig(dir)).toEqual({ address: 't:7233', apiKey: '${env:K}', tls: { serverName: 'x' } });
    expect(readTemporalConfig(project('version: 1\nconnections: {}\n'))).toBeUndefined();
  });

  it('reports a bad section with its path, and an API key written out instead of referenced', () => {
    expect(() => readTemporalConfig(project('temporal:\n  tls: { clientCert: c.pem }\n'))).toThrow(/temporal\.tls: clientCert and clientKey go together/);
    expect(() => readTemporalConfig(project('temporal:\n  apiKey: plain-secret\n'))).toThrow(/temporal\.apiKey: must be a secret reference/);
    expect(() => readTemporalConfig(project('temporal:\n  address: no-port\n'))).toThrow(/temporal\.address: must be host:port/);
  });
});

describe('environment', () => {
  it('accepts sqlite: and postgres:// state URLs, and nothing else', () => {
    expect(parseEnv({ BACKFLOW_STATE_URL: 'postgres://u:p@db:5432/backflow' }).BACKFLOW_STATE_URL).toBe('postgres://u:p@db:5432/backflow');
    expect(parseEnv({ BACKFLOW_STATE_URL: 'postgresql://db/backflow' }).BACKFLOW_STATE_URL).toBe('postgresql://db/backflow');
    expect(parseEnv({ BACKFLOW_STATE_URL: 'sqlite:/tmp/s.db' }).BACKFLOW_STATE_URL).toBe('sqlite:/tmp/s.db');
    expect(() => parseEnv({ BACKFLOW_STATE_URL: 'mysql://db/backflow' })).toThrow(/BACKFLOW_STATE_URL/);
  });

  it('TEMPORAL_TLS is true or false, and grace times have a unit', () => {
    expect(parseEnv({ TEMPORAL_TLS: 'true' }).TEMPORAL_TLS).toBe(true);
    expect(() => parseEnv({ TEMPORAL_TLS: 'yes' })).toThrow(/TEMPORAL_TLS/);
    expect(() => parseEnv({ BACKFLOW_SHUTDOWN_GRACE_TIME: '30' })).toThrow(/BACKFLOW_SHUTDOWN_GRACE_TIME/);
    expect(graceTimeMs('45s')).toBe(45_000);
  });
});

describe('connectTemporal', () => {
  it('names the address and where it was set when Temporal cannot be reached (the SDK says only "before the deadline")', async () => {
    const remote = { address: '127.0.0.1:1', addressFrom: 'TEMPORAL_ADDRESS', namespace: 'default', tls: false };
    await expect(connectTemporal(remote)).rejects.toMatchObject({
      code: 'TEMPORAL_UNREACHABLE',
      message: expect.stringMatching(/^cannot reach Temporal at 127\.0\.0\.1:1 \(from TEMPORAL_ADDRESS\): /) as unknown,
    });
  }, 30_000);
});
