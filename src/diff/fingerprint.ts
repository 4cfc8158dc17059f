import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { Value } from '../sources/source';

/**
 * Fingerprint of what the destination would receive: the target (object + external id field) and
 * the mapped payload, with keys sorted. An unmapped column cannot change it; a mapping change does.
 */
export function fingerprint(target: string, payload: Record<string, Value>): string {
  const canonical = stringify({ target, payload });
  return createHash('sha256').update(canonical ?? '').digest('base64url');
}
