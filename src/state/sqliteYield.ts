import { setTimeout as sleep } from 'node:timers/promises';
import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';

/** The longest the state store's queries may hold the event loop before letting timers run. */
export const SQLITE_YIELD_AFTER_MS = 200;

/**
 * better-sqlite3 runs each query synchronously and Kysely chains a transaction's queries through
 * microtasks only, so a long chain (the diff of a large model: 2.4 s per million rows, measured)
 * holds the event loop throughout. Timers never fire meanwhile: an activity's heartbeat interval
 * stays silent, and past the heartbeat timeout Temporal retries an activity that was working.
 * This connection lets the event loop turn (timers first) once queries have held it for `yieldAfterMs`.
 */
export function yieldingConnection(connection: DatabaseConnection, yieldAfterMs = SQLITE_YIELD_AFTER_MS): DatabaseConnection {
  /** When queries started holding the event loop in its current turn; undefined once it has turned. */
  let heldSince: number | undefined;
  const holding = (): number => {
    if (heldSince === undefined) {
      heldSince = performance.now();
      // Runs as soon as the event loop turns, whoever made it turn.
      setImmediate(() => {
        heldSince = undefined;
      });
    }
    return performance.now() - heldSince;
  };
  return {
    async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      // A timeout, not setImmediate: the timers phase is where the heartbeat interval is due.
      if (holding() >= yieldAfterMs) await sleep(0);
      return connection.executeQuery<R>(query);
    },
    streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
      return connection.streamQuery<R>(query, chunkSize);
    },
  };
}
