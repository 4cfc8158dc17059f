import { ConfigError, type ConfigIssue } from '../errors';
import { PROJECT_FILE, type Project } from './load';

/** Where a secret reference sits, so a missing one is reported by file and path. */
export interface SecretLocation {
  file: string;
  path: string;
}

/** Every `${env:NAME}` inside a string; a whole-string one is SECRET_REFERENCE (schema.ts). */
const EMBEDDED_REFERENCE = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

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
      Object.entries(value).map(([field, item]) => [field, resolveValue(item, at ? `${at}.${field}` : field, walk)]),
    );
  }
  return value;
}

function resolveString(text: string, at: string, walk: Walk): string {
  const resolved = text.replace(EMBEDDED_REFERENCE, (reference, name: string) => {
    const secret = walk.env[name];
    if (secret === undefined || secret === '') {
      walk.issues.push({ file: walk.file, path: at, message: `environment variable ${name} is not set (referenced as \${env:${name}})` });
      return reference;
    }
    return secret;
  });
  // Checked on the text without its valid references, so a secret's value is never mistaken for one.
  if (text.replace(EMBEDDED_REFERENCE, '').includes('${env:')) {
    walk.issues.push({
      file: walk.file,
      path: at,
      message: 'malformed secret reference: write ${env:NAME} (NAME: letters, digits and _, not starting with a digit)',
    });
  }
  return resolved;
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
