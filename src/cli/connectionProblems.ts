import { PROJECT_FILE } from '../config/load';
import type { SyncSpec } from '../config/schema';
import { BackflowError } from '../errors';

/** A sync's check that failed with an error (not config issues), as validate collects them. */
export interface SyncFailure {
  sync: string;
  /** Its file, as the model error names it (`syncs/x.yaml: model: …`). */
  file: string;
  error: unknown;
}

/**
 * validate's failure lines, each said once where it belongs. A connection every sync fails on — the
 * destination refusing its credentials, or a warehouse every sync reading it fails to open the same
 * way — is one line against backflow.yaml naming the syncs, not one per sync blamed on each file.
 */
export function failureLines(failures: readonly SyncFailure[], syncs: ReadonlyMap<string, SyncSpec>): string[] {
  const groups = new Map<string, { line: string; syncs: string[] }>();
  const lines: string[] = [];
  const readers = (source: string) => [...syncs.values()].filter((spec) => spec.source === source).length;
  const bySource = new Map<string, SyncFailure[]>();
  for (const failure of failures) {
    const spec = syncs.get(failure.sync);
    const message = failure.error instanceof Error ? failure.error.message : String(failure.error);
    const code = failure.error instanceof BackflowError ? failure.error.code : undefined;
    if (spec && code === 'DESTINATION_AUTH_FAILED') {
      const key = `destination ${spec.destination.connection}`;
      const group = groups.get(key) ?? { line: `${PROJECT_FILE}: connections.${spec.destination.connection}: ${message}`, syncs: [] };
      groups.set(key, { ...group, syncs: [...group.syncs, failure.sync] });
    } else if (spec && code === 'SOURCE_QUERY_FAILED' && message.startsWith(`${failure.file}: model: `)) {
      bySource.set(spec.source, [...(bySource.get(spec.source) ?? []), failure]);
    } else lines.push(`${failure.sync}: ${message}`);
  }
  for (const [source, failed] of bySource) {
    const reasons = new Set(failed.map((failure) => (failure.error as Error).message.slice(`${failure.file}: model: `.length)));
    const [reason] = reasons;
    if (failed.length > 1 && failed.length === readers(source) && reasons.size === 1 && reason !== undefined) {
      groups.set(`source ${source}`, { line: `${PROJECT_FILE}: connections.${source}: ${reason}`, syncs: failed.map((failure) => failure.sync) });
    } else for (const failure of failed) lines.push(`${failure.sync}: ${(failure.error as Error).message}`);
  }
  return [...[...groups.values()].map((group) => `${group.line} (syncs: ${group.syncs.join(', ')})`), ...lines];
}
