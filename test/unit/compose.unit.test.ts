/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine: the services refer to each
 * other correctly, the worker's environment is one backflow accepts, and the image installs exactly
 * as CI does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { ENV_NAMES, parseEnv } from '../../src/env';
import { BACKFLOW_SEARCH_ATTRIBUTES } from '../../src/temporal/searchAttributes';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

const serviceSchema = z.object({
  image: z.string().optional(),
  build: z.union([z.string(), z.object({ context: z.string() })]).optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  depends_on: z.record(z.string(), z.object({ condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']) })).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  healthcheck: z.object({ test: z.array(z.string()) }).optional(),
  ports: z.array(z.string()).optional(),
  volumes: z.array(z.string()).optional(),
});
const composeSchema = z.object({ services: z.record(z.string(), serviceSchema), volumes: z.record(z.string(), z.unknown()).optional() });

const compose = composeSchema.parse(parse(read('docker-compose.yml'), { merge: true }));
const services = compose.services;
function service(name: string) {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** Compose's interpolation: `${VAR}`, `${VAR:-default}`, and `$$` for a literal `$`. */
function interpolate(text: string, env: Record<string, string>): string {
  return text
    .replace(/\$\$/g, '\u0000')
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => env[name] || (fallback ?? ''))
    .replace(/\u0000/g, '$');
}

function environmentOf(name: string, hostEnv: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(service(name).environment ?? {}).map(([key, value]) => [key, interpolate(value, hostEnv)]));
}

/** `${env:NAME}` secrets the demo project's backflow.yaml refers to (in values, not comments). */
function projectSecrets(): string[] {
  const values = JSON.stringify(parse(read('examples/demo/backflow.yaml')));
  return [...values.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] ?? '');
}

describe('docker-compose.yml', () => {
  it('runs PostgreSQL, Temporal (Postgres-backed auto-setup), its search-attribute setup, Temporal Web and the worker', () => {
    expect(Object.keys(services).sort()).toEqual(['postgresql', 'temporal', 'temporal-setup', 'temporal-ui', 'worker']);
    expect(service('postgresql').image).toMatch(/^postgres:\d+/);
    expect(service('temporal').image).toMatch(/^temporalio\/auto-setup:\d+\.\d+\.\d+$/);
    expect(service('temporal-setup').image).toMatch(/^temporalio\/admin-tools:\d+\.\d+\.\d+/);
    expect(service('temporal-ui').image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
    // The server and its admin tools are the same release.
    expect(service('temporal-setup').image?.split(':')[1]).toMatch(new RegExp(`^${service('temporal').image?.split(':')[1]}`));
    expect(service('worker').build).toBe('.');
    expect(service('temporal').environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
  });

  it('every dependency exists, and waits for what it needs: health checks and the one-shot setup', () => {
    for (const [name, definition] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(definition.depends_on ?? {})) {
        expect({ name, dependency, exists: dependency in services }).toEqual({ name, dependency, exists: true });
        if (condition === 'service_healthy') expect(service(dependency).healthcheck?.test.length).toBeGreaterThan(0);
      }
    }
    expect(service('temporal').depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
    expect(service('worker').depends_on).toEqual({
      postgresql: { condition: 'service_healthy' },
      'temporal-setup': { condition: 'service_completed_successfully' },
    });
  });

  it('publishes the Temporal frontend and Temporal Web, and everyone reaches the frontend by its service name', () => {
    expect(service('temporal').ports).toContain('7233:7233');
    expect(service('temporal-ui').ports).toContain('8080:8080');
    for (const name of ['temporal-setup', 'temporal-ui', 'worker']) expect(environmentOf(name).TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(environmentOf('worker').TEMPORAL_UI_URL).toBe('http://localhost:8080');
  });

  it('the worker’s state store is the compose PostgreSQL: same host, database and credentials', () => {
    const host = { POSTGRES_USER: 'ops', POSTGRES_PASSWORD: 's3cret' };
    const postgres = environmentOf('postgresql', host);
    const url = new URL(environmentOf('worker', host).BACKFLOW_STATE_URL ?? '');
    expect(url.protocol).toBe('postgres:');
    expect(url.hostname).toBe('postgresql');
    expect(url.pathname).toBe(`/${postgres.POSTGRES_DB}`);
    expect([url.username, url.password]).toEqual([postgres.POSTGRES_USER, postgres.POSTGRES_PASSWORD]);
    // Temporal's persistence uses the same server and credentials.
    expect(environmentOf('temporal', host)).toMatchObject({ POSTGRES_USER: 'ops', POSTGRES_PWD: 's3cret' });
  });

  it('the worker’s environment is one backflow accepts: known names, valid values, secrets passed through from the host', () => {
    const environment = service('worker').environment ?? {};
    const secrets = projectSecrets();
    expect(secrets.length).toBeGreaterThan(0);
    for (const name of Object.keys(environment)) {
      expect({ name, known: ENV_NAMES.includes(name) || name === 'BACKFLOW_PROJECT' || secrets.includes(name) }).toEqual({ name, known: true });
    }
    // Secrets come from the host's environment, never written in the file.
    for (const secret of secrets) expect(environment[secret]).toMatch(new RegExp(`^\\$\\{${secret}(:-)?\\}$`));
    const parsed = parseEnv(environmentOf('worker'));
    expect(parsed).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', BACKFLOW_TASK_QUEUE: 'backflow' });
    expect(environmentOf('worker', { SALESFORCE_ACCESS_TOKEN: 'tok' }).SALESFORCE_ACCESS_TOKEN).toBe('tok');
  });

  it('mounts the project where BACKFLOW_PROJECT points, and runs `backflow worker`', () => {
    const worker = service('worker');
    expect(worker.command).toEqual(['backflow', 'worker']);
    const mount = worker.volumes?.map((v) => interpolate(v, {}).split(':')) ?? [];
    expect(mount).toContainEqual(['./examples/demo', environmentOf('worker').BACKFLOW_PROJECT]);
  });

  it('registers every search attribute the workflow upserts, with its type', () => {
    const script = [service('temporal-setup').command ?? []].flat().join(' ');
    const typeName: Record<string, string> = { KEYWORD: 'Keyword', INT: 'Int', TEXT: 'Text', BOOL: 'Bool', DOUBLE: 'Double', DATETIME: 'Datetime', KEYWORD_LIST: 'KeywordList' };
    for (const attribute of BACKFLOW_SEARCH_ATTRIBUTES) expect(script).toContain(`${attribute.name}:${typeName[attribute.type]}`);
    expect(script).toContain('temporal operator search-attribute create');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const runs = [...dockerfile.matchAll(/^RUN (.+)$/gm)].map((m) => m[1] ?? '');
  const ciNpm = read('.ci/run')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('npm ') && line !== 'npm test');

  it('builds on node:20-bookworm, the Node line package.json supports', () => {
    expect(dockerfile).toMatch(/^FROM node:20-bookworm$/m);
    expect(JSON.parse(read('package.json')).engines.node).toMatch(/^>=20\./);
  });

  it('installs exactly as .ci/run does, from the lockfile', () => {
    expect(ciNpm).toEqual(['npm ci --no-audit --no-fund']);
    for (const command of ciNpm) expect(runs).toContain(command);
    expect(runs.filter((run) => /\bnpm\b/.test(run))).toEqual(ciNpm);
    expect(dockerfile.indexOf('package-lock.json')).toBeLessThan(dockerfile.indexOf(ciNpm[0] ?? '<missing>'));
  });

  it('puts `backflow` on PATH for `docker compose run worker backflow …`, and leaves local state out of the build context', () => {
    expect(runs.some((run) => run.includes('/usr/local/bin/backflow'))).toBe(true);
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['node_modules', '.backflow', '.git']) expect(ignored).toContain(entry);
  });
});
