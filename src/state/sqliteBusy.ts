import { setTimeout as sleep } from 'node:timers/promises';
import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';

/** How long a statement waits for another process's write lock before failing SQLITE_BUSY, as before. */
export const SQLITE_BUSY_WAIT_MS = 10_000;
/** SQLite's own wait (busy_timeout): short, since it blocks the whole event loop while it waits. */
export const SQLITE_BUSY_TIMEOUT_MS = 20;

function isBusy(err: unknown): boolean {
  // Checked by code, not class: the error may come from another realm (a test runner's).
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Waits for another process's write lock (a worker committing, a CLI's classify, a prune) without
 * holding the event loop: SQLite's busy_timeout waits inside the synchronous call, so a 10 s wait
 * froze the whole worker — its activities' heartbeats lapsed and Temporal retried batches that were
 * being sent. Each statement SQLite refuses BUSY (it did not run) is tried again after an
 * asynchronous pause, up to SQLITE_BUSY_WAIT_MS in all. With IMMEDIATE transactions BUSY comes at
 * `begin` or at an autocommit write, both safe to repeat.
 */
export function busyWaitingConnection(connection: DatabaseConnection, waitMs = SQLITE_BUSY_WAIT_MS): DatabaseConnection {
  return {
    async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      const deadline = performance.now() + waitMs;
      for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
        try {
          return await connection.executeQuery<R>(query);
        } catch (err) {
          if (!isBusy(err) || performance.now() + pause > deadline) throw err;
          await sleep(pause);
        }
      }
    },
    streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
      return connection.streamQuery<R>(query, chunkSize);
    },
  };
}
