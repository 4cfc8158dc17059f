import { SECRET_REFERENCE } from './schema';
import { ConfigError, type ConfigIssue } from '../errors';

/** Where a secret reference sits, so a missing one is reported by file and path. */
export interface SecretLocation {
  file: string;
  path: string;
}

/**
 * Resolves `${env:NAME}` references in a connection's string fields (other strings pass through).
 * Every unset variable is reported together.
 */
export function resolveSecrets<T extends Record<string, unknown>>(
  value: T,
  location: SecretLocation,
  env: NodeJS.ProcessEnv = process.env,
): T {
  const issues: ConfigIssue[] = [];
  const resolved: Record<string, unknown> = {};
  for (const [field, raw] of Object.entries(value)) {
    const match = typeof raw === 'string' ? SECRET_REFERENCE.exec(raw) : null;
    const name = match?.[1];
    if (name === undefined) {
      resolved[field] = raw;
      continue;
    }
    const secret = env[name];
    if (secret === undefined || secret === '') {
      issues.push({
        file: location.file,
        path: `${location.path}.${field}`,
        message: `environment variable ${name} is not set (referenced as \${env:${name}})`,
      });
    } else {
      resolved[field] = secret;
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return resolved as T;
}
