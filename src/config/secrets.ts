import { ConfigError, type ConfigIssue } from '../errors';
import { PROJECT_FILE, type Project } from './load';
import { EMBEDDED_REFERENCE, referenceFormProblem } from './referenceForm';

/** Where a secret reference sits, so a missing one is reported by file and path. */
export interface SecretLocation {
  file: string;
  path: string;
}

/**
 * Fields holding an endpoint, by name across every connection type and `alerts`, and the schemes each
 * may take. Checked once resolved: a URL without its scheme (`hooks.slack.com/…`, `127.0.0.1:8080`)
 * otherwise failed only when sent, as a network error retried for over an hour, and some clients quote
 * the whole URL (a Slack webhook's is itself a secret) in their error.
 */
const URL_FIELDS: Readonly<Record<string, readonly string[]>> = {
  url: ['http:', 'https:', 'postgres:', 'postgresql:'],
  instanceUrl: ['http:', 'https:'],
  loginUrl: ['http:', 'https:'],
  basePath: ['http:', 'https:'],
  apiUrl: ['http:', 'https:'],
  graphUrl: ['http:', 'https:'],
  slack: ['http:', 'https:'],
  webhook: ['http:', 'https:'],
};

/**
 * A control character (a newline a secret file or `echo` left), whitespace at either end, or a
 * character outside ASCII (a pasted `’` or zero-width space): HTTP and gRPC clients refuse such a
 * header quoting the whole value in their error, which then went to logs, run history and alerts.
 */
export const UNSENDABLE = /[^\u0020-\u007e]|^\s|\s$/;

/**
 * Resolves `${env:NAME}` references at any depth of a connection (nested objects, arrays), whole
 * strings or embedded in longer ones (`https://${env:HOST}/x` is interpolated). A `${env:` that is not
 * a well-formed reference is an error rather than text sent as is. Every problem is reported together.
 */
export function resolveSecrets<T extends Record<string, unknown>>(
  value: T,
  location: SecretLocation,
  env: NodeJS.ProcessEnv = process.env,
): T {
  const issues: ConfigIssue[] = [];
  const resolved = resolveValue(value, location.path, { file: location.file, env, issues });
  if (issues.length > 0) throw new ConfigError(issues);
  return resolved as T;
}

interface Walk {
  file: string;
  env: NodeJS.ProcessEnv;
  issues: ConfigIssue[];
}

function resolveValue(value: unknown, at: string, walk: Walk): unknown {
  if (typeof value === 'string') return resolveString(value, at, walk);
  if (Array.isArray(value)) return value.map((item, index) => resolveValue(item, `${at}[${index}]`, walk));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([field, item]) => {
        const path = at ? `${at}.${field}` : field;
        const resolved = resolveValue(item, path, walk);
        const schemes = URL_FIELDS[field];
        if (schemes && typeof item === 'string' && typeof resolved === 'string') checkUrl(item, resolved, schemes, path, walk);
        return [field, resolved];
      }),
    );
  }
  return value;
}

/** An endpoint must be an absolute URL of its schemes; named by its reference, not shown, when it came from one. */
function checkUrl(written: string, resolved: string, schemes: readonly string[], at: string, walk: Walk): void {
  if (resolved.includes('${')) return; // an unset or malformed reference, reported already
  let url: URL | undefined;
  try {
    url = new URL(resolved);
  } catch {
    url = undefined;
  }
  if (url !== undefined && schemes.includes(url.protocol)) {
    // fetch refuses such a URL, quoting it whole (password included) in an error that reached logs,
    // run history and alerts.
    if ((url.protocol === 'http:' || url.protocol === 'https:') && (url.username !== '' || url.password !== '')) {
      walk.issues.push({
        file: walk.file,
        path: at,
        message: 'a user or password in an http(s) URL is not sent by HTTP clients: put it in a header instead (Authorization: Basic ${env:…})',
      });
    }
    return;
  }
  // A literal is shown, its password masked (postgres://user:***@host).
  const what = written.includes('${env:') ? written : `'${resolved.replace(/\/\/([^/:@]*):[^@/]*@/, '//$1:***@')}'`;
  walk.issues.push({
    file: walk.file,
    path: at,
    message: `${what} is not an absolute URL (${schemes.map((s) => `${s}//`).join(', ')}…)`,
  });
}

function resolveString(text: string, at: string, walk: Walk): string {
  const resolved = text.replace(EMBEDDED_REFERENCE, (reference, name: string) => {
    const secret = walk.env[name];
    if (secret === undefined || secret === '') {
      walk.issues.push({ file: walk.file, path: at, message: `environment variable ${name} is not set (referenced as \${env:${name}})` });
      return reference;
    }
    // Never quoted: a token with a newline went into an HTTP header, whose error printed it in full.
    if (UNSENDABLE.test(secret)) {
      walk.issues.push({
        file: walk.file,
        path: at,
        message: `environment variable ${name} (referenced as \${env:${name}}) has a line break, control character, surrounding space or a character outside ASCII; remove it, or percent-encode it in a URL (the value is not shown)`,
      });
    }
    return secret;
  });
  const problem = referenceFormProblem(text);
  if (problem !== undefined) walk.issues.push({ file: walk.file, path: at, message: problem });
  return resolved;
}

/**
 * The values a connection takes from `${env:…}` references, to keep out of messages (see
 * engine/secretScrub.ts): whole secrets, and values embedded in longer strings (`Bearer ${env:T}`,
 * `?key=${env:K}`). An API base (`instanceUrl`, `basePath`…) or any bare origin is where the connection
 * points, not a secret, and stays readable; values under 6 characters would blank out ordinary words.
 */
export function referencedSecrets(value: unknown, env: NodeJS.ProcessEnv): string[] {
  const found: string[] = [];
  const walk = (item: unknown): void => {
    if (typeof item === 'string') {
      for (const match of item.matchAll(EMBEDDED_REFERENCE)) {
        const secret = env[match[1] ?? ''];
        if (secret !== undefined && secret.length >= 6 && !isOrigin(secret)) found.push(secret, ...partsOfUrl(secret));
      }
    } else if (Array.isArray(item)) item.forEach(walk);
    else if (typeof item === 'object' && item !== null) {
      for (const [field, nested] of Object.entries(item)) if (!API_BASES.has(field)) walk(nested);
    }
  };
  walk(value);
  return found;
}

/** Where an API lives (a sandbox's, a proxy's): an address to keep readable in messages, not a secret. */
const API_BASES: ReadonlySet<string> = new Set(['instanceUrl', 'loginUrl', 'basePath', 'apiUrl', 'graphUrl']);

/** A secret URL's path with its query, and its query values: what an echo of the request line shows. */
function partsOfUrl(text: string): string[] {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [];
  }
  const parts = [`${url.pathname}${url.search}`, ...url.searchParams.values()];
  return parts.filter((part) => part.length >= 6 && part !== text);
}

function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return url.username === '' && url.password === '' && url.search === '' && url.hash === '' && url.pathname.replace(/\/+$/, '') === '';
  } catch {
    return false;
  }
}

/**
 * Unset or malformed `${env:…}` references among the alert URLs a sync notifies (or, without a sync,
 * the project's own), each named by the file it was written in: the sync's file for the fields it
 * overrides, backflow.yaml for those it inherits.
 */
export function alertSecretIssues(project: Project, sync: string | undefined, env: NodeJS.ProcessEnv = process.env): ConfigIssue[] {
  const alerts = sync === undefined ? project.alerts : project.syncs.get(sync)?.alerts;
  const syncFile = sync === undefined ? undefined : project.syncFiles.get(sync);
  const issues: ConfigIssue[] = [];
  for (const field of ['slack', 'webhook'] as const) {
    const url = alerts?.[field];
    if (url === undefined) continue;
    const file = syncFile === undefined || project.alerts?.[field] === url ? PROJECT_FILE : syncFile;
    try {
      resolveSecrets({ [field]: url }, { file, path: 'alerts' }, env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
    }
  }
  return issues;
}
