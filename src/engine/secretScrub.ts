import type { Destination, RecordResult, TargetIssue, WriteResult } from '../destinations/destination';
import { referencedSecrets } from '../config/secrets';

/** What stands in for a secret's value in a message. */
export const SCRUBBED = '***';

/**
 * Replaces every one of `secrets` (each also as percent-encoded) in `text` with `***`. Longest first,
 * so a value that contains another is not left half shown.
 */
export function secretScrubber(secrets: readonly string[]): (text: string) => string {
  const forms = [...new Set(secrets.flatMap((secret) => [secret, encodeURIComponent(secret)]))].sort((a, b) => b.length - a.length);
  if (forms.length === 0) return (text) => text;
  return (text) => forms.reduce((scrubbed, form) => scrubbed.split(form).join(SCRUBBED), text);
}

/** The error and every cause under it (Temporal records the chain). */
function scrubError(error: unknown, scrub: (text: string) => string): unknown {
  for (let at: unknown = error, depth = 0; at instanceof Error && depth < 10; at = at.cause, depth++) {
    // A message that cannot be set (a DOMException's getter, a frozen error) stays: replacing the
    // error would lose its class, and with it whether it is retried.
    trySet(at, 'message', scrub(at.message));
    if (at.stack !== undefined) trySet(at, 'stack', scrub(at.stack));
  }
  return error;
}

function trySet(error: Error, property: 'message' | 'stack', value: string): void {
  try {
    error[property] = value;
  } catch {
    // read-only: see scrubError
  }
}

function scrubResult(result: RecordResult, scrub: (text: string) => string): RecordResult {
  return result.status === 'rejected' ? { ...result, error: { ...result.error, message: scrub(result.error.message) } } : result;
}

/**
 * The destination with its connection's secrets kept out of what it says: a server that echoes the
 * request in its error body (a proxy, a misrouted URL, a debugging receiver) put the token or the
 * webhook's secret URL into run errors, record results, alerts, logs and Temporal history. Every
 * error a method throws, every rejected record's message and every `check` finding is scrubbed.
 */
export function scrubbingDestination(destination: Destination, connection: Record<string, unknown>, env: NodeJS.ProcessEnv): Destination {
  const scrub = secretScrubber(referencedSecrets(connection, env));
  return new Proxy(destination, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        let answer: unknown;
        try {
          answer = (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          throw scrubError(error, scrub);
        }
        if (!(answer instanceof Promise)) return answer;
        return answer.then(
          (settled: unknown) => {
            if (property === 'write') return { ...(settled as WriteResult), results: (settled as WriteResult).results.map((r) => scrubResult(r, scrub)) };
            // `validate`'s findings may quote what the destination answered too.
            if (property === 'check') return (settled as TargetIssue[]).map((issue) => ({ ...issue, message: scrub(issue.message) }));
            return settled;
          },
          (error: unknown) => {
            throw scrubError(error, scrub);
          },
        );
      };
    },
  });
}
